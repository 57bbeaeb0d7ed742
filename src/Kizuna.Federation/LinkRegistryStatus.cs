using System.Collections.Concurrent;

namespace Kizuna.Federation;

/// <summary>
/// The link status this node can give before the durable outbox runs: every imported partner and
/// every link that is up, with its state (<c>up</c> or <c>down</c>) and when it last changed, from
/// <see cref="FederationLinks"/>. It moves no events, so every count is zero. Registered only when
/// no other <see cref="IFederationStatus"/> is (the outbox registers the real one).
/// </summary>
public sealed class LinkRegistryStatus : IFederationStatus
{
    private readonly FederationNode _node;
    private readonly ConcurrentDictionary<string, DateTime> _since = new(StringComparer.Ordinal);

    public LinkRegistryStatus(FederationNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        node.Links.LinkUp += link => _since[link.Peer.NodeId] = node.Time.GetUtcNow().UtcDateTime;
        node.Links.LinkDown += (link, _) => _since[link.Peer.NodeId] = node.Time.GetUtcNow().UtcDateTime;
    }

    public IReadOnlyList<FederationLinkStatus> Links()
    {
        // A partner linked both ways (it dials this node and this node dials it) is one partner.
        var up = _node.Links.Current
            .GroupBy(l => l.Peer.NodeId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Peer.Organization, StringComparer.Ordinal);
        var partners = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var bundle in _node.Trust.Partners)
        {
            partners[bundle.NodeId] = bundle.Organization;
        }

        foreach (var (nodeId, organization) in up)
        {
            partners[nodeId] = organization;
        }

        return [.. partners
            .Select(p => new FederationLinkStatus(
                p.Key,
                p.Value,
                up.ContainsKey(p.Key) ? FederationLinkStates.Up : FederationLinkStates.Down,
                LastAcknowledgedPosition: 0,
                OutboxDepth: 0,
                LagEvents: 0,
                LagSeconds: 0,
                Sent: 0,
                Acknowledged: 0,
                Expired: 0,
                Withheld: 0,
                Since: _since.TryGetValue(p.Key, out var since) ? since : null))
            .OrderBy(s => s.PartnerOrganization, StringComparer.Ordinal)
            .ThenBy(s => s.PartnerNodeId, StringComparer.Ordinal)];
    }
}

/// <summary>The values of <see cref="FederationLinkStatus.State"/>.</summary>
public static class FederationLinkStates
{
    public const string Up = "up";
    public const string Down = "down";
    public const string Connecting = "connecting";

    /// <summary>Every state, in the order the metrics list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Up, Connecting, Down];
}
