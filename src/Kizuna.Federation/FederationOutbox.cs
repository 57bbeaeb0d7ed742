using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>
/// One partner's outbox: a cursor into this node's history (the last position the partner
/// acknowledged as stored, kept durably), read forward with the partner's access decision. Every
/// event read is accounted for once: sent (then acknowledged), withheld (label, the link's highest
/// classification, its flows, the provenance) or expired (a picture update already stale).
/// See docs/federation.md and docs/dev/federation-outbox.md.
/// </summary>
internal sealed class FederationOutbox(FederationExchange exchange, string partnerNodeId, long acknowledged)
{
    /// <summary>Events sent and not yet acknowledged before the outbox waits for an acknowledgement.</summary>
    internal const int Window = 2048;

    private const int ReadChunk = 256;
    private static readonly TimeSpan SaveEvery = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private readonly LinkedList<Item> _pending = new();
    private long _acknowledged = acknowledged;
    private long _read = acknowledged;
    private int _inFlight;
    private long _sent;
    private long _acked;
    private long _expired;
    private long _withheld;
    private string _state = "down";
    private string _organization = string.Empty;
    private DateTime? _since;
    private DateTime _lastAckAt;
    private TaskCompletionSource _ackArrived = NewSignal();
    private CancellationTokenSource? _run;
    private IFederationLink? _link;
    private long _savedPosition = acknowledged;
    private long _lastSaveTicks;
    private int _saving;

    public string PartnerNodeId { get; } = partnerNodeId;

    private enum Outcome
    {
        Send,
        Withheld,
        Expired,
        Held,
    }

    private sealed class Item(long position, string origin, long sequence, DateTime receivedAt)
    {
        public long Position { get; } = position;
        public string Origin { get; } = origin;
        public long Sequence { get; } = sequence;
        public DateTime ReceivedAt { get; } = receivedAt;
        public bool Done { get; set; }
    }

    /// <summary>Starts sending on <paramref name="link"/> (a newer link with the partner replaces an older one).</summary>
    public void Start(IFederationLink link)
    {
        CancellationTokenSource run;
        lock (_gate)
        {
            _run?.Cancel();
            _run = run = CancellationTokenSource.CreateLinkedTokenSource(link.Closed, exchange.Stopping);
            _link = link;
            _sent -= _inFlight;
            _state = "up";
            _organization = link.Peer.Organization;
            _since = exchange.Now;
            _pending.Clear();
            _inFlight = 0;
            _read = _acknowledged;
        }

        _ = Task.Run(() => RunAsync(link, run.Token), CancellationToken.None);
    }

    public void Stop(IFederationLink link)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_link, link))
            {
                return;
            }

            _run?.Cancel();
            _link = null;
            _state = "down";
            _since = exchange.Now;

            // What was in flight is offered again on the next link: it was not yet accounted for.
            _sent -= _inFlight;
            _pending.Clear();
            _inFlight = 0;
            _read = _acknowledged;
            _ackArrived.TrySetResult();
        }

        SaveSoon(force: true);
    }

    /// <summary>An acknowledgement: the partner processed, in order, everything sent up to (origin, sequence).</summary>
    public void OnAck(KizunaHoldings ack)
    {
        if (ack.Positions.Count == 0)
        {
            return;
        }

        var last = ack.Positions[^1];
        lock (_gate)
        {
            var through = _pending.First;
            LinkedListNode<Item>? match = null;
            for (var node = through; node is not null; node = node.Next)
            {
                if (node.Value.Sequence == (long)last.Sequence && string.Equals(node.Value.Origin, last.OriginNodeId, StringComparison.Ordinal))
                {
                    match = node;
                    break;
                }
            }

            if (match is null)
            {
                return;
            }

            for (var node = _pending.First; node is not null; node = node.Next)
            {
                if (!node.Value.Done)
                {
                    node.Value.Done = true;
                    _acked++;
                    _inFlight--;
                }

                if (node == match)
                {
                    break;
                }
            }

            _lastAckAt = exchange.Now;
            Advance();
            _ackArrived.TrySetResult();
            _ackArrived = NewSignal();
        }

        SaveSoon(force: false);
    }

    public FederationLinkStatus Status()
    {
        var last = exchange.Store.LastPosition;
        var now = exchange.Now;
        lock (_gate)
        {
            var lag = Math.Max(0, last - _acknowledged);
            var oldest = _pending.FirstOrDefault(i => !i.Done)?.ReceivedAt;
            var lagSeconds = lag == 0 ? 0 : Math.Max(0, (now - (oldest ?? (_lastAckAt == default ? _since ?? now : _lastAckAt))).TotalSeconds);
            return new FederationLinkStatus(
                PartnerNodeId,
                _organization,
                _state,
                _acknowledged,
                _inFlight + Math.Max(0, last - _read),
                lag,
                lagSeconds,
                _sent,
                _acked,
                _expired,
                _withheld,
                _since);
        }
    }

    internal void Describe(string organization)
    {
        lock (_gate)
        {
            if (_organization.Length == 0)
            {
                _organization = organization;
            }
        }
    }

    private async Task RunAsync(IFederationLink link, CancellationToken cancellationToken)
    {
        var peerHolds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var held in link.PeerHoldings.Positions)
        {
            peerHolds[held.OriginNodeId] = (long)held.Sequence;
        }

        long read;
        lock (_gate)
        {
            read = _read;
        }

        FederationLog.OutboxResumed(exchange.Logger, PartnerNodeId, link.Peer.Organization, read, peerHolds.Count);
        var partner = exchange.Labels.PartnerNode(link.Peer.Organization, link.Peer.Link.MaxClassification);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Task? waitForAck = null;
                lock (_gate)
                {
                    if (_inFlight >= Window)
                    {
                        waitForAck = _ackArrived.Task;
                    }
                }

                if (waitForAck is not null)
                {
                    await waitForAck.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var (batch, through) = await ReadNextAsync(exchange.Store, read, ReadChunk, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    if (through > read)
                    {
                        // Only unreadable rows were left: the cursor passes them.
                        read = through;
                        continue;
                    }

                    await exchange.Store.WaitForPositionAsync(read, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                foreach (var stored in batch)
                {
                    read = stored.Position;
                    var (outcome, message, item) = Decide(stored, link, partner, peerHolds);
                    lock (_gate)
                    {
                        if (!ReferenceEquals(_link, link))
                        {
                            return;
                        }

                        _read = read;
                        _sent++;
                        switch (outcome)
                        {
                            case Outcome.Send:
                                _inFlight++;
                                break;
                            case Outcome.Withheld:
                                _withheld++;
                                item.Done = true;
                                break;
                            case Outcome.Expired:
                                _expired++;
                                item.Done = true;
                                break;
                            default:
                                _acked++;
                                item.Done = true;
                                break;
                        }

                        _pending.AddLast(item);
                        Advance();
                    }

                    if (message is not null)
                    {
                        await link.SendAsync(message, cancellationToken).ConfigureAwait(false);
                    }
                }

                SaveSoon(force: false);
            }
        }
        catch (OperationCanceledException)
        {
            // The link went down or the node is stopping: the cursor is where the acknowledgements left it.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            FederationLog.OutboxFailed(exchange.Logger, PartnerNodeId, ex.Message, ex);
        }
    }

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

    /// <summary>Under the lock: moves the cursor over the acknowledged (or withheld, expired) prefix.</summary>
    private void Advance()
    {
        while (_pending.First is { Value.Done: true } first)
        {
            _acknowledged = first.Value.Position;
            _pending.RemoveFirst();
        }

        if (_pending.Count == 0 && _read > _acknowledged)
        {
            _acknowledged = _read;
        }
    }

    /// <summary>Keeps the cursor durably: at most every <see cref="SaveEvery"/> while it moves, at once when forced.</summary>
    private void SaveSoon(bool force)
    {
        var now = Environment.TickCount64;
        if (!force && now - Interlocked.Read(ref _lastSaveTicks) < SaveEvery.TotalMilliseconds)
        {
            return;
        }

        if (Interlocked.Exchange(ref _saving, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _lastSaveTicks, now);
        _ = Task.Run(async () =>
        {
            try
            {
                long position;
                lock (_gate)
                {
                    position = _acknowledged;
                }

                if (position > _savedPosition)
                {
                    await exchange.Store.SaveFederationCursorAsync(PartnerNodeId, position, CancellationToken.None).ConfigureAwait(false);
                    _savedPosition = position;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                FederationLog.CursorSaveFailed(exchange.Logger, PartnerNodeId, ex.Message);
            }
            finally
            {
                Volatile.Write(ref _saving, 0);
            }
        });
    }

    /// <summary>Saves the cursor now (the node is stopping).</summary>
    internal async Task SaveNowAsync()
    {
        long position;
        lock (_gate)
        {
            position = _acknowledged;
        }

        if (position > _savedPosition)
        {
            await exchange.Store.SaveFederationCursorAsync(PartnerNodeId, position, CancellationToken.None).ConfigureAwait(false);
            _savedPosition = position;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
