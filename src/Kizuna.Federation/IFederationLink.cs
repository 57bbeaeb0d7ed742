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

    /// <summary>Queues a message for the peer on its lane (an acknowledgement on <see cref="FederationLane.Control"/>, an event on <see cref="FederationLane.Picture"/>).</summary>
    ValueTask SendAsync(FederatedEvent message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a message for the peer on <paramref name="lane"/>; waits while that lane's queue is
    /// full (backpressure, never a silent drop). The most urgent lane with something is written
    /// first; within a lane the order is kept. Throws <see cref="OperationCanceledException"/> once the link is down.
    /// </summary>
    ValueTask SendAsync(FederatedEvent message, FederationLane lane, CancellationToken cancellationToken);
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
    /// <summary>Messages queued for the peer on one lane before its sender waits.</summary>
    internal const int SendQueueCapacity = 1024;

    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<FederatedEvent>[] _lanes = [.. Enumerable.Range(0, FederationLanes.Count).Select(_ => NewLane())];

    // Released once per message queued: the pump looks at every lane before it waits on it.
    private readonly SemaphoreSlim _queued = new(0);

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

    public ValueTask SendAsync(FederatedEvent message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(message, message.Event is null ? FederationLane.Control : FederationLane.Picture, cancellationToken);
    }

    public async ValueTask SendAsync(FederatedEvent message, FederationLane lane, CancellationToken cancellationToken)
    {
        var writer = _lanes[(int)lane].Writer;
        if (!writer.TryWrite(message))
        {
            if (_closed.IsCancellationRequested)
            {
                throw new OperationCanceledException("the link is down");
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            await writer.WriteAsync(message, both.Token).ConfigureAwait(false);
        }

        _queued.Release();
    }

    /// <summary>Writes queued messages with <paramref name="write"/>, the most urgent lane first, until the link or <paramref name="cancellationToken"/> ends.</summary>
    internal async Task PumpAsync(Func<FederatedEvent, Task> write, CancellationToken cancellationToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        try
        {
            while (true)
            {
                if (TryTake(out var message))
                {
                    await write(message).ConfigureAwait(false);
                    continue;
                }

                await _queued.WaitAsync(both.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The link closed: the pump ends as a completed queue's would.
        }
    }

    private bool TryTake(out FederatedEvent message)
    {
        foreach (var lane in _lanes)
        {
            if (lane.Reader.TryRead(out message!))
            {
                return true;
            }
        }

        message = null!;
        return false;
    }

    internal void Close()
    {
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }

        _closed.Cancel();
    }

    // The semaphore is left to the collector: a sender may still release it as the link closes.
    public void Dispose() => _closed.Dispose();

    private static Channel<FederatedEvent> NewLane() => Channel.CreateBounded<FederatedEvent>(new BoundedChannelOptions(SendQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
}
