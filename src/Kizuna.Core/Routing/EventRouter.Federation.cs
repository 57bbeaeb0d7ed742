using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// Where a federated event came from, as the history keeps it: the partner node that sent it
/// (its sender), the organization and node it entered the federation at, its place in that
/// node's sequence, and the nodes it passed through (the federation layer's text).
/// </summary>
public sealed record FederatedSource(string Sender, string OriginOrganization, string OriginNode, long OriginSequence, string Provenance);

/// <summary>Federated events: stored with their origin, then delivered once durable (docs/federation.md).</summary>
public sealed partial class EventRouter
{
    /// <summary>
    /// Takes a federated event into this node: the ownership rule with the originating
    /// organization as the uid's owner, then the history (with origin, sequence and provenance)
    /// and the latest state. Returns the event to <see cref="DeliverFederated"/> once it is
    /// durable, or null when its uid belongs to another organization (refused and logged).
    /// </summary>
    public SharedEvent? AcceptFederated(LabelledEvent labelled, FederatedSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (evt, label) = labelled;
        var now = _time.GetUtcNow().UtcDateTime;
        if (UidOwners.Applies(evt))
        {
            if (!_owners.TryClaim(evt.Uid, source.OriginOrganization, out var claimed, out var owner))
            {
                _metrics.UidRefused();
                Diagnostics.Log.UidOwnedElsewhere(_logger, 0, source.Sender, source.OriginOrganization, owner);
                return null;
            }

            if (claimed)
            {
                _store.RecordOwner(evt.Uid, source.OriginOrganization);
            }
        }

        var shared = new SharedEvent(evt, label, source.Sender, now);
        KeepFederated(shared, source);
        _latest.Update(shared);
        return shared;
    }

    /// <summary>Keeps an event in history with its federation origin without routing it (a vouched sensor report).</summary>
    public void ArchiveFederated(LabelledEvent labelled, FederatedSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        KeepFederated(new SharedEvent(labelled.Event, labelled.Label, source.Sender, _time.GetUtcNow().UtcDateTime), source);
    }

    /// <summary>Queues a federated event (taken by <see cref="AcceptFederated"/>) to every client the access decision permits.</summary>
    public void DeliverFederated(IReadOnlyList<SharedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        Span<long> withheld = stackalloc long[AccessExitCount];
        foreach (var session in Volatile.Read(ref _sessions))
        {
            foreach (var one in events)
            {
                var destinations = one.Event.Detail.MartiDestinations;
                if (destinations.Count != 0 && !IsAddressedTo(destinations, session))
                {
                    continue;
                }

                if (!AccessControl.Permits(session.Principal, one.Label))
                {
                    withheld[(int)session.StreamExit]++;
                    continue;
                }

                session.Deliver(one, Lane.Picture);
            }
        }

        CountWithheld(withheld);
    }

    private void KeepFederated(SharedEvent shared, FederatedSource source)
        => _store.Append(new StoredEvent(shared.Event, shared.ReceivedAt, shared.Sender)
        {
            EncodedXml = shared.Encoded(WireFormat.CotXml),
            Label = StoredLabel.Of(shared.Label),
            OriginNode = source.OriginNode,
            OriginSequence = source.OriginSequence,
            Provenance = source.Provenance,
        });
}
