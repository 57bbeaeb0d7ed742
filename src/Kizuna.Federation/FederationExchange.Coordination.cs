using Kizuna.Core.Coordination;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Cot;

namespace Kizuna.Federation;

/// <summary>
/// Coordination across the links (docs/coordination.md, "Across federation"): the coordination
/// desk keeps each version it makes as the node's own event, which an outbox carrying the
/// <c>coordination</c> flow sends like any labelled item and never skips; a partner's version is
/// handed to the desk, which takes only what the origin node may speak for, and what it takes is
/// kept with its origin, so the hub relays it on where the label releases it.
/// </summary>
public sealed partial class FederationExchange
{
    private CoordinationDesk? _coordination;

    /// <summary>Carries coordination over this node's links: the desk speaks for this node's nation from now on.</summary>
    public void CarryCoordination(CoordinationDesk desk)
    {
        ArgumentNullException.ThrowIfNull(desk);
        var nation = Labels.Profile.FindOrganization(Organization)?.Nation
            ?? throw new InvalidOperationException($"{Organization} is not an organization of {Labels.Profile.Id}");
        desk.JoinFederation(nation);
        _coordination = desk;
    }

    /// <summary>
    /// Whether a stored event is a coordination item for the outbox: a partner's version (relayed
    /// on), or one of this node's own that its coordination desk kept (sender <c>node</c>); a
    /// client's <c>__coordination</c> never reaches the history (the answer desk takes it), and
    /// would be withheld here if it did.
    /// </summary>
    internal static bool IsCoordinationItem(StoredEvent stored, bool local)
        => CoordinationCotReader.IsCoordination(stored.Event) && (!local || string.Equals(stored.Sender, "node", StringComparison.Ordinal));

    /// <summary>A partner's version: to the desk, then kept with its origin when the desk took it.</summary>
    private async Task TakeCoordinationAsync(IFederationLink link, CotEvent evt, ConfidentialityLabel label, FederatedSource source, string? originOrganization, CancellationToken cancellationToken)
    {
        if (_coordination is null || originOrganization is null)
        {
            FederationLog.EventRefused(Logger, link.Peer.NodeId, source.OriginNode, (ulong)source.OriginSequence,
                _coordination is null ? "this node keeps no coordination" : "a coordination version whose origin node is not named in its provenance: no node vouches for it");
            return;
        }

        await _coordination.ReceiveFederatedAsync(evt, label, originOrganization, source.OriginNode, () => _router.ArchiveFederated(new LabelledEvent(evt, label), source), cancellationToken).ConfigureAwait(false);
    }
}
