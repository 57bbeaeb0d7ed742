using System.Threading.Channels;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>Who dialled: <see cref="Outbound"/> when this node did (<c>--federate-with</c>), <see cref="Inbound"/> when the partner did.</summary>
public enum LinkDirection
{
    Inbound,
    Outbound,
}

/// <summary>
/// One authenticated link with a partner node, as the rest of the node sees it. This is the seam
/// the durable outbox plugs into: it sends through <see cref="SendAsync"/> (which waits while the
/// link's small send queue is full: backpressure, never a silent drop), learns where to resume
/// from <see cref="PeerHoldings"/>, and sees the peer's acknowledgements arrive at
/// <see cref="IFederationHandler.OnReceivedAsync"/>.
/// </summary>
public interface IFederationLink
{
    FederationPeer Peer { get; }

    LinkDirection Direction { get; }

    /// <summary>True when the peer announced itself as a Kizuna node (gRPC metadata), so it reads the Kizuna envelope and acknowledgements.</summary>
    bool PeerIsKizuna { get; }

    /// <summary>What the peer said it holds per origin when the link came up (empty for a TAK Server): resume after it.</summary>
    KizunaHoldings PeerHoldings { get; }

    /// <summary>Cancelled when the link goes down.</summary>
    CancellationToken Closed { get; }

    /// <summary>Queues a message for the peer; waits while the send queue is full. Throws <see cref="OperationCanceledException"/> once the link is down.</summary>
    ValueTask SendAsync(FederatedEvent message, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the node does with links: the second seam of the later outbox/resume work. The default,
/// <see cref="FederationLinks"/>, only keeps the registry, logs, and raises events.
/// </summary>
public interface IFederationHandler
{
    /// <summary>What this node holds per origin, stated to a partner when a link comes up (the resume handshake).</summary>
    KizunaHoldings Holdings();

    ValueTask OnLinkUpAsync(IFederationLink link, CancellationToken cancellationToken);

    /// <summary>Every message the peer sent: events, and acknowledgements (an envelope with <c>ack</c> and no event).</summary>
    ValueTask OnReceivedAsync(IFederationLink link, FederatedEvent message, CancellationToken cancellationToken);

    void OnLinkDown(IFederationLink link, string reason);
}

/// <summary>A link's state: the peer, its send queue, and the token that ends it.</summary>
internal sealed class LinkState : IFederationLink, IDisposable
{
    /// <summary>Messages queued for the peer before a sender waits.</summary>
    internal const int SendQueueCapacity = 1024;

    private readonly CancellationTokenSource _closed = new();

    public LinkState(FederationPeer peer, LinkDirection direction, bool peerIsKizuna, KizunaHoldings? peerHoldings)
    {
        Peer = peer;
        Direction = direction;
        PeerIsKizuna = peerIsKizuna;
        PeerHoldings = peerHoldings ?? new KizunaHoldings();
    }

    public FederationPeer Peer { get; }

    public LinkDirection Direction { get; }

    public bool PeerIsKizuna { get; set; }

    public KizunaHoldings PeerHoldings { get; set; }

    public CancellationToken Closed => _closed.Token;

    internal Channel<FederatedEvent> Outgoing { get; } = Channel.CreateBounded<FederatedEvent>(new BoundedChannelOptions(SendQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public async ValueTask SendAsync(FederatedEvent message, CancellationToken cancellationToken = default)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        await Outgoing.Writer.WriteAsync(message, both.Token).ConfigureAwait(false);
    }

    /// <summary>Writes queued messages with <paramref name="write"/> until the link or <paramref name="cancellationToken"/> ends.</summary>
    internal async Task PumpAsync(Func<FederatedEvent, Task> write, CancellationToken cancellationToken)
    {
        await foreach (var message in Outgoing.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await write(message).ConfigureAwait(false);
        }
    }

    internal void Close()
    {
        Outgoing.Writer.TryComplete();
        _closed.Cancel();
    }

    public void Dispose() => _closed.Dispose();
}
