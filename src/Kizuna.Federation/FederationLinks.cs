using System.Collections.Concurrent;
using Kizuna.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>
/// The handler until the outbox/resume work replaces it: holds nothing, states nothing, ignores
/// what arrives (the registry still logs and raises its events).
/// </summary>
public sealed class NoFederationHandler : IFederationHandler
{
    public static NoFederationHandler Instance { get; } = new();

    public KizunaHoldings Holdings() => new();

    public ValueTask OnLinkUpAsync(IFederationLink link, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask OnReceivedAsync(IFederationLink link, FederatedEvent message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void OnLinkDown(IFederationLink link, string reason)
    {
    }
}

/// <summary>
/// Every federation link that is up, keyed by direction and the peer's certificate fingerprint.
/// The listener's two streams from one peer (events each way) share one link; a link is up while
/// either is open. Logs up and down (4501, 4502) and passes each to the <see cref="IFederationHandler"/>.
/// </summary>
public sealed class FederationLinks(IFederationHandler handler, ILogger logger)
{
    private readonly ConcurrentDictionary<(LinkDirection, string), Entry> _links = new();
    private readonly Lock _gate = new();

    /// <summary>Raised after a link came up and the handler saw it.</summary>
    public event Action<IFederationLink>? LinkUp;

    /// <summary>Raised after a link went down.</summary>
    public event Action<IFederationLink, string>? LinkDown;

    /// <summary>Raised for every message a peer sent, after the handler took it.</summary>
    public event Action<IFederationLink, FederatedEvent>? Received;

    public IFederationHandler Handler { get; } = handler;

    public IReadOnlyList<IFederationLink> Current => [.. _links.Values.Select(e => e.Link)];

    internal async ValueTask<LinkState> AcquireAsync(FederationPeer peer, LinkDirection direction, bool peerIsKizuna, KizunaHoldings? peerHoldings, CancellationToken cancellationToken)
    {
        LinkState link;
        bool created;
        lock (_gate)
        {
            if (_links.TryGetValue((direction, peer.Fingerprint), out var entry))
            {
                entry.Users++;
                link = entry.Link;
                link.PeerIsKizuna |= peerIsKizuna;
                if (peerHoldings is not null)
                {
                    link.PeerHoldings = peerHoldings;
                }

                created = false;
            }
            else
            {
                link = new LinkState(peer, direction, peerIsKizuna, peerHoldings);
                _links[(direction, peer.Fingerprint)] = new Entry(link) { Users = 1 };
                created = true;
            }
        }

        if (created)
        {
            FederationLog.LinkUp(
                logger, peer.NodeId, peer.Organization, peer.Nation, Describe(direction), peer.Fingerprint,
                string.Join(", ", peer.Link.Flows.Select(Core.Alliance.FederationTopology.FlowName)), peer.Link.MaxClassification);
            await Handler.OnLinkUpAsync(link, cancellationToken).ConfigureAwait(false);
            LinkUp?.Invoke(link);
        }

        return link;
    }

    internal void Release(LinkState link, string reason)
    {
        lock (_gate)
        {
            var key = (link.Direction, link.Peer.Fingerprint);
            if (!_links.TryGetValue(key, out var entry) || entry.Link != link || --entry.Users > 0)
            {
                return;
            }

            _links.TryRemove(key, out _);
        }

        link.Close();
        FederationLog.LinkDown(logger, link.Peer.NodeId, link.Peer.Organization, Describe(link.Direction), reason);
        Handler.OnLinkDown(link, reason);
        LinkDown?.Invoke(link, reason);
        link.Dispose();
    }

    internal async ValueTask DeliverAsync(LinkState link, FederatedEvent message, CancellationToken cancellationToken)
    {
        await Handler.OnReceivedAsync(link, message, cancellationToken).ConfigureAwait(false);
        Received?.Invoke(link, message);
    }

    private static string Describe(LinkDirection direction) => direction == LinkDirection.Outbound ? "dialled by this node" : "dialled by the partner";

    private sealed class Entry(LinkState link)
    {
        public LinkState Link { get; } = link;

        public int Users { get; set; }
    }
}
