using System.Threading.Tasks.Sources;

namespace Kizuna.Core.Routing;

/// <summary>What a writer does with one queued item.</summary>
public enum OutboundAction
{
    /// <summary>Write the event in the connection's current wire format.</summary>
    Send,
    /// <summary>From here on, write TAK protocol v1 frames (queued right after the t-x-takp-r answer).</summary>
    SwitchToProtobuf,
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
    private readonly Queue<OutboundItem> _control = new();
    private readonly Queue<OutboundItem> _picture = new();
    private readonly int _controlCapacity;
    private readonly int _pictureCapacity;
    // One reusable waiter (the single writer waits on at most one at a time): no allocation per wake.
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private bool _completed;

    public OutboundQueue(int controlCapacity, int pictureCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(controlCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pictureCapacity, 1);
        _controlCapacity = controlCapacity;
        _pictureCapacity = pictureCapacity;
    }

    public int Count
    {
        get { lock (_gate) { return _control.Count + _picture.Count; } }
    }

    public bool IsCompleted
    {
        get { lock (_gate) { return _completed; } }
    }

    /// <summary>
    /// Queues one item. Returns how many old picture items were dropped to make room, and whether
    /// the control lane overflowed (the client is not reading and must be disconnected).
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

            wake = TakeWaiter();
        }

        Wake(wake);
        return (dropped, false);
    }

    /// <summary>Queues a run of events in one lane under one lock, with one wake of the writer.</summary>
    public (int Dropped, bool Overflow) Enqueue(ReadOnlySpan<SharedEvent> events, Lane lane)
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
                if (!Add(new OutboundItem(evt), lane, ref dropped))
                {
                    return (dropped, true);
                }
            }

            wake = TakeWaiter();
        }

        Wake(wake);
        return (dropped, false);
    }

    /// <summary>Adds one item under the lock; false when the control lane is full.</summary>
    private bool Add(OutboundItem item, Lane lane, ref int dropped)
    {
        if (lane == Lane.Control)
        {
            if (_control.Count >= _controlCapacity)
            {
                return false;
            }

            _control.Enqueue(item);
            return true;
        }

        if (_picture.Count >= _pictureCapacity)
        {
            _picture.Dequeue();
            dropped++;
        }

        _picture.Enqueue(item);
        return true;
    }

    /// <summary>Under the lock: whether the writer is waiting, clearing the flag.</summary>
    private bool TakeWaiter()
    {
        var waiting = _waiting;
        _waiting = false;
        return waiting;
    }

    private void Wake(bool wake)
    {
        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Moves up to <paramref name="max"/> items into <paramref name="batch"/>, control lane first.</summary>
    public int DequeueBatch(List<OutboundItem> batch, int max)
    {
        lock (_gate)
        {
            var taken = 0;
            while (taken < max && _control.TryDequeue(out var item))
            {
                batch.Add(item);
                taken++;
            }

            while (taken < max && _picture.TryDequeue(out var item))
            {
                batch.Add(item);
                taken++;
            }

            return taken;
        }
    }

    /// <summary>
    /// Completes when there is something to dequeue, or the queue is completed. Only the one
    /// writer calls it, and never twice at once; it is woken by <see cref="Complete"/> at the end.
    /// </summary>
    public ValueTask WaitAsync()
    {
        lock (_gate)
        {
            if (_control.Count > 0 || _picture.Count > 0 || _completed)
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
            wake = TakeWaiter();
        }

        Wake(wake);
    }
}
