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
internal sealed partial class FederationOutbox(FederationExchange exchange, string partnerNodeId, long acknowledged)
{
    /// <summary>Events sent on one lane and not yet acknowledged before that lane waits for an acknowledgement.</summary>
    internal const int Window = 2048;

    private const int ReadChunk = 256;

    // What the read-ahead looks for: warning traffic, and b-t-f (coordination among GeoChat, told apart per row).
    private static readonly string[] UrgentTypes = ["b-w-m-", Core.Coordination.CoordinationCot.Type];
    private static readonly TimeSpan SaveEvery = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();

    // Decided and not yet under the cursor, each in position order: by the picture reader, and by the read-ahead.
    private readonly LinkedList<Item> _picture = new();
    private readonly LinkedList<Item> _urgent = new();

    // Sent and not yet acknowledged, per lane, in the order sent: an acknowledgement covers a lane's prefix.
    private readonly LinkedList<Item>[] _unacknowledged = [.. Enumerable.Range(0, FederationLanes.Count).Select(_ => new LinkedList<Item>())];
    private long _acknowledged = acknowledged;
    private long _read = acknowledged;
    private long _ahead = acknowledged;
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
    private TaskCompletionSource _aheadMoved = NewSignal();
    private bool _readerBusy;
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
        public Outcome Outcome { get; set; }
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
            _state = "up";
            _organization = link.Peer.Organization;
            _since = exchange.Now;
            Forget();
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
            Forget();
            _ackArrived.TrySetResult();
            _aheadMoved.TrySetResult();
        }

        SaveSoon(force: true);
    }

    /// <summary>
    /// An acknowledgement: for each lane it names, the partner processed everything sent on that
    /// lane up to (origin, sequence). A lane keeps its order on the link, lanes do not keep theirs
    /// between each other, so one lane's acknowledgement says nothing of another's.
    /// </summary>
    public void OnAck(KizunaHoldings ack)
    {
        if (ack.Positions.Count == 0)
        {
            return;
        }

        var moved = false;
        lock (_gate)
        {
            foreach (var position in ack.Positions)
            {
                foreach (var lane in _unacknowledged)
                {
                    if (Find(lane, position) is { } match)
                    {
                        while (lane.First is { } first)
                        {
                            first.Value.Done = true;
                            _acked++;
                            _inFlight--;
                            lane.RemoveFirst();
                            if (first == match)
                            {
                                break;
                            }
                        }

                        moved = true;
                        break;
                    }
                }
            }

            if (!moved)
            {
                return;
            }

            _lastAckAt = exchange.Now;
            Advance();
            _ackArrived.TrySetResult();
            _ackArrived = NewSignal();
        }

        SaveSoon(force: false);
    }

    private static LinkedListNode<Item>? Find(LinkedList<Item> lane, KizunaOriginPosition position)
    {
        for (var node = lane.First; node is not null; node = node.Next)
        {
            if (node.Value.Sequence == (long)position.Sequence && string.Equals(node.Value.Origin, position.OriginNodeId, StringComparison.Ordinal))
            {
                return node;
            }
        }

        return null;
    }

    public FederationLinkStatus Status()
    {
        var last = exchange.Store.LastPosition;
        var now = exchange.Now;
        lock (_gate)
        {
            var lag = Math.Max(0, last - _acknowledged);
            var oldest = Oldest(_picture.FirstOrDefault(i => !i.Done)?.ReceivedAt, _urgent.FirstOrDefault(i => !i.Done)?.ReceivedAt);
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

    private static DateTime? Oldest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a < b ? a : b;

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
        await Task.WhenAll(
            Guard(() => ReadAheadAsync(link, partner, peerHolds, read, cancellationToken)),
            Guard(() => ReadPictureAsync(link, partner, peerHolds, read, cancellationToken))).ConfigureAwait(false);
    }

    private async Task Guard(Func<Task> loop)
    {
        try
        {
            await loop().ConfigureAwait(false);
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
    /// The read-ahead: reads the history as it is committed and sends warning and coordination
    /// items at once on their lanes, whatever picture backlog the picture reader has before them.
    /// Every position up to <see cref="_ahead"/> has been looked at by it; the picture reader reads
    /// no further.
    /// </summary>
    private async Task ReadAheadAsync(IFederationLink link, Principal partner, Dictionary<string, long> peerHolds, long ahead, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task? waitForAck = null;
            lock (_gate)
            {
                if (_unacknowledged[(int)FederationLane.Warning].Count + _unacknowledged[(int)FederationLane.Coordination].Count >= Window)
                {
                    waitForAck = _ackArrived.Task;
                }
            }

            if (waitForAck is not null)
            {
                await waitForAck.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Only warning and coordination rows are read: the picture backlog is passed over, not parsed.
            var (batch, through) = await exchange.Store.ReadAfterOfTypesAsync(ahead, UrgentTypes, ReadChunk, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                if (through > ahead)
                {
                    if (!Publish(link, through))
                    {
                        return;
                    }

                    ahead = through;
                    continue;
                }

                await exchange.Store.WaitForPositionAsync(ahead, cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var stored in batch)
            {
                var lane = FederationLanes.Of(stored.Event);
                if (!FederationLanes.IsUrgent(lane))
                {
                    continue;
                }

                var (outcome, message, item) = Decide(stored, link, partner, peerHolds);
                lock (_gate)
                {
                    if (!ReferenceEquals(_link, link))
                    {
                        return;
                    }

                    Account(item, outcome, lane);
                    _urgent.AddLast(item);
                    Advance();
                }

                if (message is not null)
                {
                    await link.SendAsync(message, lane, cancellationToken).ConfigureAwait(false);
                }
            }

            // Every row of the range was one the read-ahead decided: the picture reader, if it is
            // caught up, passes the range without reading it (the quiet path of a warning).
            var allUrgent = batch.Count(r => FederationLanes.IsUrgent(FederationLanes.Of(r.Event))) == through - ahead;
            if (!Publish(link, through, allUrgent ? ahead : null))
            {
                return;
            }

            ahead = through;
        }
    }

    /// <summary>
    /// The read-ahead passed <paramref name="through"/>: the picture reader may read up to it. When
    /// the range after <paramref name="decidedAfter"/> held only rows the read-ahead decided and the
    /// picture reader is there, it is moved over the range at once and not woken.
    /// </summary>
    private bool Publish(IFederationLink link, long through, long? decidedAfter = null)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_link, link))
            {
                return false;
            }

            _ahead = through;
            if (decidedAfter is { } after && _read == after && !_readerBusy)
            {
                _read = through;
                Advance();
                return true;
            }

            _aheadMoved.TrySetResult();
            _aheadMoved = NewSignal();
            return true;
        }
    }

    /// <summary>
    /// The picture reader: the history in order up to where the read-ahead has been, each event
    /// decided for the partner and sent on the picture lane (warning and coordination items it
    /// passes: the read-ahead decided them). Its position is the cursor's limit.
    /// </summary>
    private async Task ReadPictureAsync(IFederationLink link, Principal partner, Dictionary<string, long> peerHolds, long read, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task wait;
            long limit;
            lock (_gate)
            {
                if (!ReferenceEquals(_link, link))
                {
                    return;
                }

                // The read-ahead may have moved it over a range it decided alone while this reader waited.
                read = Math.Max(read, _read);
                if (_unacknowledged[(int)FederationLane.Picture].Count >= Window)
                {
                    wait = _ackArrived.Task;
                    limit = read;
                }
                else
                {
                    wait = _aheadMoved.Task;
                    limit = _ahead;
                }

                _readerBusy = limit > read;
            }

            if (limit <= read)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var (batch, through) = await ReadNextAsync(exchange.Store, read, ReadChunk, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                var passed = Math.Min(through, limit);
                if (passed <= read)
                {
                    await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                read = passed;
                lock (_gate)
                {
                    if (!ReferenceEquals(_link, link))
                    {
                        return;
                    }

                    _read = read;
                    Advance();
                }

                continue;
            }

            foreach (var stored in batch)
            {
                if (stored.Position > limit)
                {
                    break;
                }

                read = stored.Position;
                var lane = FederationLanes.Of(stored.Event);
                (Outcome Outcome, FederatedEvent? Message, Item Item)? decided = FederationLanes.IsUrgent(lane) ? null : Decide(stored, link, partner, peerHolds);
                lock (_gate)
                {
                    if (!ReferenceEquals(_link, link))
                    {
                        return;
                    }

                    _read = read;
                    if (decided is { } d)
                    {
                        Account(d.Item, d.Outcome, lane);
                        _picture.AddLast(d.Item);
                    }

                    Advance();
                }

                if (decided is { Message: { } message })
                {
                    await link.SendAsync(message, FederationLane.Picture, cancellationToken).ConfigureAwait(false);
                }
            }

            SaveSoon(force: false);
        }
    }

    /// <summary>Under the lock: counts one decided item, and keeps a sent one until its lane is acknowledged.</summary>
    private void Account(Item item, Outcome outcome, FederationLane lane)
    {
        _sent++;
        item.Outcome = outcome;
        switch (outcome)
        {
            case Outcome.Send:
                _inFlight++;
                _unacknowledged[(int)lane].AddLast(item);
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
    }

    /// <summary>
    /// Under the lock: both readers start again at the cursor. What they decided beyond it is
    /// decided again then, so it is taken out of the counts now (each event is counted once).
    /// </summary>
    private void Forget()
    {
        foreach (var item in _picture.Concat(_urgent))
        {
            _sent--;
            if (!item.Done)
            {
                _inFlight--;
                continue;
            }

            switch (item.Outcome)
            {
                case Outcome.Withheld:
                    _withheld--;
                    break;
                case Outcome.Expired:
                    _expired--;
                    break;
                default:
                    _acked--;
                    break;
            }
        }

        _picture.Clear();
        _urgent.Clear();
        foreach (var lane in _unacknowledged)
        {
            lane.Clear();
        }

        _inFlight = 0;
        _read = _acknowledged;
        _ahead = _acknowledged;
        _readerBusy = false;
    }

    /// <summary>
    /// Under the lock: moves the cursor to the lowest position not yet done: over the done prefix
    /// of each reader's items, never past the picture reader (beyond it nothing is decided but
    /// what the read-ahead took).
    /// </summary>
    private void Advance()
    {
        while (_picture.First is { Value.Done: true })
        {
            _picture.RemoveFirst();
        }

        while (_urgent.First is { Value.Done: true } first && first.Value.Position <= _read)
        {
            _urgent.RemoveFirst();
        }

        var cursor = _read;
        if (_picture.First is { } picture)
        {
            cursor = Math.Min(cursor, picture.Value.Position - 1);
        }

        if (_urgent.First is { } urgent)
        {
            cursor = Math.Min(cursor, urgent.Value.Position - 1);
        }

        if (cursor > _acknowledged)
        {
            _acknowledged = cursor;
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
