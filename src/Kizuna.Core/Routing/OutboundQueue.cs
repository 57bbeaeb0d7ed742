using System.Threading.Tasks.Sources;

namespace Kizuna.Core.Routing;

/// <summary>What a writer does with one queued item.</summary>
public enum OutboundAction
{
    /// <summary>Write the event in the connection's current wire format.</summary>
    Send,
    /// <summary>
    /// Write the event (the t-x-takp-r answer) as XML, then TAK protocol v1 frames from here on.
    /// One item, so nothing of a higher lane can come between the answer and the switch.
    /// </summary>
    SendThenSwitchToProtobuf,
}

public readonly record struct OutboundItem(SharedEvent? Event, OutboundAction Action = OutboundAction.Send);

/// <summary>
/// A connection's bounded outbound queue with lanes (see <see cref="Lane"/>). Many producers
/// (the router, on publishers' threads) and one consumer (the connection's writer).
/// A lock is cheap here: each operation holds it for a few instructions.
/// </summary>
public sealed class OutboundQueue : IValueTaskSource
{
    private readonly Lock _gate = new();
    // One queue per lane, indexed by Lane: warning, control, picture.
    private readonly Queue<OutboundItem>[] _lanes = [new(), new(), new()];
    // Inside the picture lane, calm publishers' picture goes ahead of the
    // rest (docs/dev/admission.md): a position a second never waits behind a flood's backlog.
    private readonly Queue<OutboundItem> _calm = new();
    // The latest picture replayed to a client that has just attached, ahead of all live picture and
    // without the lane's bound: it is the whole picture (held by the latest state anyway), and a
    // bound would lose its oldest part whenever the picture is larger than the lane.
    private readonly Queue<OutboundItem> _replay = new();
    private readonly int[] _capacity;
    // One reusable waiter (the single writer waits on at most one at a time): no allocation per wake.
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };
    // The writer is parked in WaitAsync and nobody has signalled it yet.
    private bool _waiting;
    // The writer took a batch and has not come back for the next one: it is writing (or flushing).
    // Between batches, parked or woken and not yet run, it is not, and its turn may be taken.
    private bool _writing;
    private bool _completed;
    // Someone other than the writer holds the writer's turn (an express warning write); the writer is not woken meanwhile.
    private bool _express;
    // Admission (docs/dev/admission.md): the picture lane tells it when it is backlogged and when it has caught up.
    // A lane whose writer has taken nothing for a while is stalled: its client is not reading, and
    // it no longer counts as the node's backlog (it only loses its own oldest picture).
    private Admission? _admission;
    private int _backlogAt = int.MaxValue;
    private int _caughtUpAt;
    private volatile PictureBacklog _backlog;
    // When the writer last took a batch from this lane while it was backlogged (or when it became backlogged).
    private long _drainedAt;

    public OutboundQueue(int controlCapacity, int pictureCapacity, int warningCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(controlCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pictureCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(warningCapacity, 1);
        _capacity = [warningCapacity, controlCapacity, pictureCapacity];
    }

    public int Count
    {
        get { lock (_gate) { return _lanes[0].Count + _lanes[1].Count + _lanes[2].Count + _calm.Count + _replay.Count; } }
    }

    /// <summary>
    /// Reports this queue's picture backlog to <paramref name="admission"/> from now on (the
    /// router does it when the session attaches); null stops it, and a backlog reported is withdrawn.
    /// </summary>
    internal void ReportTo(Admission? admission)
    {
        lock (_gate)
        {
            Withdraw();
            _admission = admission;
            (_backlogAt, _caughtUpAt) = admission?.Bounds(_capacity[(int)Lane.Picture]) ?? (int.MaxValue, 0);
        }
    }

    /// <summary>Under the lock: the lane no longer reports anything (it caught up, closed, or left).</summary>
    private void Withdraw()
    {
        var was = _backlog;
        _backlog = PictureBacklog.None;
        if (was == PictureBacklog.Counted)
        {
            _admission!.LaneCaughtUp();
        }
        else if (was == PictureBacklog.Stalled)
        {
            _admission!.StalledLaneLeft();
        }
    }

    /// <summary>
    /// Under the lock, after picture came in: tells admission when the lane has become backlogged,
    /// and when a backlogged lane's writer has taken nothing for <see cref="AdmissionOptions.StalledAfter"/>
    /// (its client is not reading: the lane stops counting as the node's backlog).
    /// </summary>
    private void CheckBacklog()
    {
        if (_backlog == PictureBacklog.None)
        {
            if (_lanes[(int)Lane.Picture].Count >= _backlogAt)
            {
                _backlog = PictureBacklog.Counted;
                _drainedAt = _admission!.Now;
                _admission.LaneBacklogged();
            }
        }
        else if (_backlog == PictureBacklog.Counted && _admission!.HasStalled(_drainedAt))
        {
            _backlog = PictureBacklog.Stalled;
            _admission.LaneStalled();
        }
    }

    /// <summary>
    /// Under the lock, after the writer took a batch (<paramref name="drained"/>) or the queue
    /// closed: tells admission when the lane has caught up, and when a stalled lane is read again.
    /// </summary>
    private void CheckCaughtUp(bool drained)
    {
        if (_backlog == PictureBacklog.None)
        {
            return;
        }

        if (_completed || _lanes[(int)Lane.Picture].Count <= _caughtUpAt)
        {
            Withdraw();
        }
        else if (drained)
        {
            _drainedAt = _admission!.Now;
            if (_backlog == PictureBacklog.Stalled)
            {
                _backlog = PictureBacklog.Counted;
                _admission.StalledLaneDrained();
            }
        }
    }

    /// <summary>Items waiting in one lane (the picture lane's calm part and replay included).</summary>
    public int CountIn(Lane lane)
    {
        lock (_gate)
        {
            return _lanes[(int)lane].Count + (lane == Lane.Picture ? _calm.Count + _replay.Count : 0);
        }
    }

    /// <summary>
    /// Whether the picture lane counts as backlogged now (for admission: a read that fed it helped
    /// fill it); a stalled lane does not. Read without the lock.
    /// </summary>
    internal bool PictureBacklogged => _backlog == PictureBacklog.Counted;

    public bool IsCompleted
    {
        get { lock (_gate) { return _completed; } }
    }

    /// <summary>
    /// Queues one item. Returns how many old picture items were dropped to make room, and whether
    /// a lane that never drops (warning, control) overflowed: the client is not reading and must
    /// be disconnected.
    /// </summary>
    public (int Dropped, bool Overflow) Enqueue(OutboundItem item, Lane lane)
    {
        var dropped = 0;
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return (0, false);
            }

            if (!Add(item, lane, ref dropped))
            {
                return (dropped, true);
            }

            if (lane == Lane.Picture)
            {
                CheckBacklog();
            }

            wake = TakeWaiter();
        }

        Wake(wake);
        return (dropped, false);
    }

    /// <summary>
    /// Queues a run of events in one lane under one lock, with one wake of the writer. Calm
    /// picture (<paramref name="calm"/>: from a publisher admission counts as calm) goes ahead of
    /// the rest of the picture lane, with a bound of its own.
    /// </summary>
    public (int Dropped, bool Overflow) Enqueue(ReadOnlySpan<SharedEvent> events, Lane lane, bool calm = false)
    {
        var dropped = 0;
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return (0, false);
            }

            foreach (var evt in events)
            {
                if (calm && lane == Lane.Picture)
                {
                    AddCalm(new OutboundItem(evt), ref dropped);
                }
                else if (!Add(new OutboundItem(evt), lane, ref dropped))
                {
                    return (dropped, true);
                }
            }

            if (lane == Lane.Picture)
            {
                CheckBacklog();
            }

            wake = TakeWaiter();
        }

        Wake(wake);
        return (dropped, false);
    }

    /// <summary>
    /// Queues the latest picture for a client that has just attached (oldest first): on the picture
    /// lane ahead of every live picture item, so a live update queued meanwhile always comes after
    /// the older version it replaces; not bounded by the lane (nothing of it is dropped) and not
    /// counted as the node's backlog (admission is about live load).
    /// </summary>
    public void Replay(ReadOnlySpan<SharedEvent> picture)
    {
        bool wake;
        lock (_gate)
        {
            if (_completed || picture.IsEmpty)
            {
                return;
            }

            foreach (var evt in picture)
            {
                _replay.Enqueue(new OutboundItem(evt));
            }

            wake = TakeWaiter();
        }

        Wake(wake);
    }

    /// <summary>
    /// Queues a warning and, when the writer is not writing, gives the caller the writer's turn
    /// instead of waking the writer: every queued warning moves into <paramref name="express"/>,
    /// and the caller writes them at once on its own thread, then calls <see cref="EndExpress"/>.
    /// "Not writing" is parked in <see cref="WaitAsync"/>, and also woken by picture but still
    /// queued in the thread pool, which a saturating picture load keeps tens of milliseconds deep:
    /// a writer that comes back meanwhile finds nothing to dequeue and parks until the turn is
    /// given back. A writer in the middle of a batch is left alone: it takes the warning lane
    /// first in its next batch.
    /// </summary>
    public (int Dropped, bool Overflow, bool Express) EnqueueWarning(OutboundItem item, List<OutboundItem> express)
    {
        ArgumentNullException.ThrowIfNull(express);
        var dropped = 0;
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return (0, false, false);
            }

            if (!Add(item, Lane.Warning, ref dropped))
            {
                return (dropped, true, false);
            }

            if (!_writing && !_express)
            {
                _express = true;
                var warnings = _lanes[(int)Lane.Warning];
                while (warnings.TryDequeue(out var queued))
                {
                    express.Add(queued);
                }

                return (dropped, false, true);
            }

            wake = TakeWaiter();
        }

        Wake(wake);
        return (dropped, false, false);
    }

    /// <summary>
    /// Gives the writer's turn back after an express write. A parked writer is woken if anything
    /// is left for it; one woken before and not yet run dequeues when it runs.
    /// </summary>
    public void EndExpress()
    {
        bool wake;
        lock (_gate)
        {
            _express = false;
            wake = _waiting && (_completed || AnyQueued);
            if (wake)
            {
                _waiting = false;
            }
        }

        Wake(wake);
    }

    /// <summary>Under the lock: whether any lane holds an item.</summary>
    private bool AnyQueued => _lanes[0].Count > 0 || _lanes[1].Count > 0 || _lanes[2].Count > 0 || _calm.Count > 0 || _replay.Count > 0;

    /// <summary>Adds calm picture under the lock; past the picture lane's capacity its oldest goes, as the picture's does.</summary>
    private void AddCalm(OutboundItem item, ref int dropped)
    {
        if (_calm.Count >= _capacity[(int)Lane.Picture])
        {
            _calm.Dequeue();
            dropped++;
        }

        _calm.Enqueue(item);
    }

    /// <summary>Adds one item under the lock; false when a lane that never drops is full.</summary>
    private bool Add(OutboundItem item, Lane lane, ref int dropped)
    {
        var queue = _lanes[(int)lane];
        if (queue.Count >= _capacity[(int)lane])
        {
            if (lane != Lane.Picture)
            {
                return false;
            }

            queue.Dequeue();
            dropped++;
        }

        queue.Enqueue(item);
        return true;
    }

    /// <summary>Under the lock: whether the writer is waiting, clearing the flag. False while an express write holds the turn.</summary>
    private bool TakeWaiter()
    {
        if (!_waiting || _express)
        {
            return false;
        }

        _waiting = false;
        return true;
    }

    private void Wake(bool wake)
    {
        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> items into <paramref name="batch"/>, highest lane first;
    /// the writer is writing until it comes back. Nothing while an express write holds the turn.
    /// </summary>
    public int DequeueBatch(List<OutboundItem> batch, int max)
    {
        lock (_gate)
        {
            _writing = false;
            if (_express)
            {
                return 0;
            }

            var taken = Take(_lanes[(int)Lane.Warning], batch, max, 0);
            taken = Take(_lanes[(int)Lane.Control], batch, max, taken);
            taken = Take(_replay, batch, max, taken);
            taken = Take(_calm, batch, max, taken);
            taken = Take(_lanes[(int)Lane.Picture], batch, max, taken);

            _writing = taken > 0;
            CheckCaughtUp(drained: taken > 0);
            return taken;
        }
    }

    private static int Take(Queue<OutboundItem> queue, List<OutboundItem> batch, int max, int taken)
    {
        while (taken < max && queue.TryDequeue(out var item))
        {
            batch.Add(item);
            taken++;
        }

        return taken;
    }

    /// <summary>
    /// Completes when there is something to dequeue, or the queue is completed, and no express
    /// write holds the turn. Only the one writer calls it, and never twice at once; it is woken by
    /// <see cref="Complete"/> at the end.
    /// </summary>
    public ValueTask WaitAsync()
    {
        lock (_gate)
        {
            if (!_express && (AnyQueued || _completed))
            {
                return ValueTask.CompletedTask;
            }

            _signal.Reset();
            _waiting = true;
            return new ValueTask(this, _signal.Version);
        }
    }

    void IValueTaskSource.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _signal.OnCompleted(continuation, state, token, flags);

    /// <summary>No more items are accepted; the writer drains what is there and stops.</summary>
    public void Complete()
    {
        bool wake;
        lock (_gate)
        {
            _completed = true;
            CheckCaughtUp(drained: false);
            wake = TakeWaiter();
        }

        Wake(wake);
    }
}

/// <summary>What a picture lane reports to admission.</summary>
internal enum PictureBacklog
{
    /// <summary>Keeping up (at most the caught-up mark since it was last backlogged).</summary>
    None,
    /// <summary>Backlogged, and its writer takes from it: counted towards "the node is behind".</summary>
    Counted,
    /// <summary>Backlogged, and its writer has taken nothing for a while: the client's own backlog, not counted.</summary>
    Stalled,
}
