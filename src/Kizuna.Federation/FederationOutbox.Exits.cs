using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>The outbox's reads of the history and its exit decision for one event.</summary>
internal sealed partial class FederationOutbox
{
    /// <summary>
    /// The next rows after <paramref name="after"/>, and how far the cursor may move: to the last
    /// row returned or, when the read found only unreadable rows, to what was committed before the
    /// read began. Never further: a batch the writer commits while the query runs is not in its
    /// result, and a cursor moved to the newest position after the read would pass it unsent.
    /// </summary>
    internal static async Task<(IReadOnlyList<StoredEvent> Batch, long Through)> ReadNextAsync(IEventStore store, long after, int limit, CancellationToken cancellationToken)
    {
        var committed = store.LastPosition;
        var batch = await store.ReadAfterAsync(after, null, limit, cancellationToken).ConfigureAwait(false);
        return (batch, batch.Count > 0 ? batch[^1].Position : Math.Max(after, committed));
    }

    /// <summary>The exit decision for one stored event and this partner, and what to send.</summary>
    private (Outcome Outcome, FederatedEvent? Message, Item Item) Decide(StoredEvent stored, IFederationLink link, Principal partner, Dictionary<string, long> peerHolds)
    {
        var own = exchange.NodeId;
        var local = stored.OriginNode is null || string.Equals(stored.OriginNode, own, StringComparison.Ordinal);
        var origin = local ? own : stored.OriginNode!;
        var sequence = local ? stored.Position : stored.OriginSequence;
        var item = new Item(stored.Position, origin, sequence, stored.ReceivedAt);
        var evt = stored.Event;

        // Flows: the picture, and of missile-warning traffic only vouched sensor reports (each
        // nation's node fuses and issues its own warnings). Protocol control never crosses.
        var type = evt.Type;
        FederationFlow flow;
        if (type.StartsWith("b-w-m-", StringComparison.Ordinal))
        {
            // Receipts go back towards the nations whose reports the warning fuses, and only there.
            var receipt = string.Equals(type, WarningReceiptItem.Type, StringComparison.Ordinal) && stored.OriginNode is not null;
            var vouched = string.Equals(type, "b-w-m-r", StringComparison.Ordinal) && stored.OriginNode is not null;
            if (!vouched && !(receipt && WarningReceiptItem.TryRead(evt, out var of) && exchange.LeadsTo(link.Peer.Organization, of!.ForNations)))
            {
                return (Outcome.Withheld, null, item);
            }

            flow = FederationFlow.Warning;
        }
        else if (type.StartsWith("t-x-", StringComparison.Ordinal))
        {
            return (Outcome.Withheld, null, item);
        }
        else if (Core.Coordination.CoordinationCotReader.IsCoordination(evt))
        {
            // Coordination: the desk's own versions and partners' relayed on; never skipped.
            if (!FederationExchange.IsCoordinationItem(stored, local))
            {
                return (Outcome.Withheld, null, item);
            }

            flow = FederationFlow.Coordination;
        }
        else
        {
            flow = FederationFlow.Picture;
        }

        if (!link.Peer.Link.Carries(flow))
        {
            return (Outcome.Withheld, null, item);
        }

        // Never back to where it came from.
        var provenance = FederationExchange.ParseProvenance(stored.Provenance);
        if (string.Equals(origin, link.Peer.NodeId, StringComparison.Ordinal) || provenance.Any(p => string.Equals(p.FederationServerId, link.Peer.NodeId, StringComparison.Ordinal)))
        {
            return (Outcome.Withheld, null, item);
        }

        var label = exchange.Labels.ReadStored(evt, exchange.NodePrincipal);
        if (AccessControl.Decide(partner, label) != AccessDecision.Permit)
        {
            return (Outcome.Withheld, null, item);
        }

        if (peerHolds.TryGetValue(origin, out var held) && sequence <= held)
        {
            return (Outcome.Held, null, item);
        }

        if (flow == FederationFlow.Picture && evt.Detail.MartiDestinations.Count == 0 && evt.Stale <= exchange.Now)
        {
            return (Outcome.Expired, null, item);
        }

        if (provenance.Count == 0 && !local)
        {
            provenance.Add(new FederateProvenance { FederationServerId = origin, FederationServerName = string.Empty });
        }

        provenance.Add(new FederateProvenance { FederationServerId = own, FederationServerName = exchange.Organization });
        var message = FederationMapper.ToFederated(evt, label, new EventOrigin(origin, (ulong)sequence), provenance);
        return (Outcome.Send, message, item);
    }
}
