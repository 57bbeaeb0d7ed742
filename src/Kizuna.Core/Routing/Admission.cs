using Kizuna.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Routing;

/// <summary>The limits of <see cref="Admission"/>, each with its default.</summary>
public sealed record AdmissionOptions
{
    /// <summary>
    /// A picture lane holding this many events (or a quarter of its capacity, if less) is
    /// backlogged. Default 256: held ahead of a calm client's update, a few milliseconds of a
    /// writer's work, and enough that a writer always has a full batch.
    /// </summary>
    public int BacklogEvents { get; init; } = 256;

    /// <summary>A backlogged lane counts again as keeping up once it is down to this many events. Default 64.</summary>
    public int CaughtUpEvents { get; init; } = 64;

    /// <summary>The node is behind when more than this share of its clients' lanes are backlogged (and at least <see cref="MinBackloggedLanes"/>). Default a quarter.</summary>
    public double BehindShare { get; init; } = 0.25;

    /// <summary>Fewer backlogged lanes than this are the clients', never the node's. Default 2: one slow or stalled client never holds anyone.</summary>
    public int MinBackloggedLanes { get; init; } = 2;

    /// <summary>A publisher sending no more than this many events a second is never held. Default 50 (a TAK client sends a few).</summary>
    public int CalmEventsPerSecond { get; init; } = 50;

    /// <summary>How long a publisher is held at most before one more read (no deadlock, whatever the lanes do). Default 1 s.</summary>
    public TimeSpan MaxHold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The span over which publishers' rates are counted. Default 250 ms.</summary>
    public TimeSpan RateInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A backlogged lane whose writer has taken nothing for this long is stalled: its client is
    /// not reading, and the lane stops counting towards "the node is behind" (it only loses its
    /// own oldest picture) until its writer takes from it again. Default 2 s: longer than a
    /// writer waits for the CPU on a node that is behind, far shorter than the write-stall timeout.
    /// </summary>
    public TimeSpan StalledAfter { get; init; } = TimeSpan.FromSeconds(2);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BacklogEvents, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(CaughtUpEvents);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(CaughtUpEvents, BacklogEvents);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinBackloggedLanes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(BehindShare);
        ArgumentOutOfRangeException.ThrowIfNegative(CalmEventsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxHold, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RateInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StalledAfter, TimeSpan.Zero);
    }
}

/// <summary>
/// Admission that follows delivery (docs/dev/admission.md): the node reads from publishers only
/// as fast as it delivers. Each picture lane says when it becomes backlogged and when it has
/// caught up (<see cref="OutboundQueue"/>); when more than a share of all lanes are backlogged,
/// the node, not one client, is behind, and a publisher whose recent rate is above the calm
/// limit and at least the fair share (the mean over publishers) waits after its read until the
/// lanes catch up. Its socket then fills and TCP slows the sender. Calm clients are never held;
/// warnings, control and directed messages are not affected (they are not held publishers'
/// lanes: warning input is never held, and every lane but the picture's is untouched). A lane
/// whose client has stopped reading (stalled, <see cref="AdmissionOptions.StalledAfter"/>) is
/// that client's backlog, not the node's: it counts neither as backlogged nor among the lanes
/// the share is taken of.
/// </summary>
public sealed class Admission
{
    private readonly AdmissionOptions _options;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Lock _gate = new();
    private int _backlogged;
    private int _stalled;
    private int _sessions;
    private int _held;
    private long _countedAt;
    private TaskCompletionSource? _caughtUp;

    // Rates by interval: the current interval's totals and the last whole one's.
    private long _window;
    private long _windowEvents;
    private int _windowPublishers;
    private long _lastEvents;
    private int _lastPublishers;

    public Admission(AdmissionOptions options, KizunaMetrics metrics, ILogger logger, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _intervalTicks = Math.Max(1, (long)(options.RateInterval.TotalSeconds * time.TimestampFrequency));
        _window = time.GetTimestamp() / _intervalTicks;
        metrics.AdmissionBacklogged = () => Volatile.Read(ref _backlogged);
        metrics.AdmissionHeldNow = () => Volatile.Read(ref _held);
        metrics.AdmissionStalled = () => Volatile.Read(ref _stalled);
    }

    public AdmissionOptions Options => _options;

    /// <summary>Lanes backlogged now.</summary>
    public int Backlogged => Volatile.Read(ref _backlogged);

    /// <summary>Publishers held now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Lanes stalled now (backlogged, their clients not reading): not counted as the node's backlog.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    /// <summary>Whether the node is behind: more than the behind share of its clients' lanes backlogged.</summary>
    public bool IsBehind => Behind(Volatile.Read(ref _backlogged));

    /// <summary>Raised (on the held publisher's thread) each time a publisher is held; for tests and diagnostics.</summary>
    public event Action<ClientSession>? Holding;

    // Stalled lanes are out of the share too: clients that never read must not dilute it, or enough of them would keep the node from ever counting as behind.
    private bool Behind(int backlogged) => backlogged >= _options.MinBackloggedLanes && backlogged > (Volatile.Read(ref _sessions) - Volatile.Read(ref _stalled)) * _options.BehindShare;

    /// <summary>The backlog bound of a lane of <paramref name="capacity"/> events: at most a quarter of it.</summary>
    internal (int Backlog, int CaughtUp) Bounds(int capacity)
    {
        var backlog = Math.Max(2, Math.Min(_options.BacklogEvents, capacity / 4));
        return (backlog, Math.Min(_options.CaughtUpEvents, backlog / 2));
    }

    internal void SessionsChanged(int count) => Volatile.Write(ref _sessions, count);

    /// <summary>A lane became backlogged (called under its queue's lock: only an atomic add).</summary>
    internal void LaneBacklogged() => Interlocked.Increment(ref _backlogged);

    /// <summary>A lane caught up, or left: held publishers go on once the node is no longer behind.</summary>
    internal void LaneCaughtUp() => Release(Interlocked.Decrement(ref _backlogged));

    private void Release(int backlogged)
    {
        if (!Behind(backlogged))
        {
            // Continuations run asynchronously: never on the writer's (or the queue lock's) stack.
            Interlocked.Exchange(ref _caughtUp, null)?.TrySetResult();
        }
    }

    /// <summary>The clock a lane's stall is measured on (ticks of the injected time provider's UTC time, so a fake clock moves it).</summary>
    internal long Now => _time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Whether a backlogged lane whose writer last took from it at <paramref name="drainedAt"/>
    /// (<see cref="Now"/>) is stalled, by the time of the last read counted (<see cref="Count"/>):
    /// one reading of the clock per read, not one per copy. A clock behind the lane's (set back,
    /// or not yet read again) counts as no time passed.
    /// </summary>
    internal bool HasStalled(long drainedAt) => Volatile.Read(ref _countedAt) - drainedAt >= _options.StalledAfter.Ticks;

    /// <summary>A backlogged lane stalled (under its queue's lock): it stops counting, and held publishers may go on.</summary>
    internal void LaneStalled()
    {
        Interlocked.Increment(ref _stalled);
        _metrics.AdmissionLaneStalled();
        Release(Interlocked.Decrement(ref _backlogged));
    }

    /// <summary>A stalled lane's writer took from it again (its client reads): it counts as backlogged again.</summary>
    internal void StalledLaneDrained()
    {
        Interlocked.Increment(ref _backlogged);
        Interlocked.Decrement(ref _stalled);
    }

    /// <summary>A stalled lane caught up, closed or left (it counted towards nothing, so nobody is released by it).</summary>
    internal void StalledLaneLeft() => Interlocked.Decrement(ref _stalled);

    /// <summary>Counts the events one read of <paramref name="sender"/> published.</summary>
    internal void Count(ClientSession sender, int events)
    {
        Volatile.Write(ref _countedAt, Now);
        var window = Roll();
        var rate = sender.Intake;
        lock (rate)
        {
            if (rate.Window != window)
            {
                rate.Last = rate.Window == window - 1 ? rate.Current : 0;
                rate.Current = 0;
                rate.Window = window;
                Interlocked.Increment(ref _windowPublishers);
            }

            rate.Current += events;
        }

        Interlocked.Add(ref _windowEvents, events);
    }

    /// <summary>The current interval, starting a new one (and keeping the last one's totals) when it is time.</summary>
    private long Roll()
    {
        var window = _time.GetTimestamp() / _intervalTicks;
        if (window != Volatile.Read(ref _window))
        {
            lock (_gate)
            {
                if (window != _window)
                {
                    var consecutive = window == _window + 1;
                    _lastEvents = consecutive ? Interlocked.Exchange(ref _windowEvents, 0) : 0;
                    _lastPublishers = consecutive ? Interlocked.Exchange(ref _windowPublishers, 0) : 0;
                    if (!consecutive)
                    {
                        Interlocked.Exchange(ref _windowEvents, 0);
                        Interlocked.Exchange(ref _windowPublishers, 0);
                    }

                    Volatile.Write(ref _window, window);
                }
            }
        }

        return window;
    }

    /// <summary>
    /// Whether the read just counted fed a picture lane that is backlogged (the router says so
    /// after delivering it). A publisher whose events reach no backlogged lane is not what the
    /// node is behind on (its audience keeps up), and is not held, however much it sends.
    /// </summary>
    internal void Fed(ClientSession sender, bool backloggedLane) => Volatile.Write(ref sender.Intake.FedBacklog, backloggedLane);

    /// <summary>
    /// Whether <paramref name="sender"/> sends no more than a calm client (its events of the
    /// current and the last rate interval): its picture goes ahead of the rest in every picture lane.
    /// </summary>
    /// <remarks>
    /// Once above the calm limit, a connection is never calm again: its later picture would go
    /// ahead of its own older updates still queued behind a backlog, and a client would show an
    /// older position after a newer one. A client that calms down after a flood stays in the
    /// rest of the lane (in order) until it reconnects.
    /// </remarks>
    public bool IsCalm(ClientSession sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var rate = sender.Intake;
        if (Volatile.Read(ref rate.WasAboveCalm))
        {
            return false;
        }

        if (!AboveCalm(RecentEvents(sender)))
        {
            return true;
        }

        Volatile.Write(ref rate.WasAboveCalm, true);
        return false;
    }

    private long RecentEvents(ClientSession sender)
    {
        var window = Roll();
        var rate = sender.Intake;
        lock (rate)
        {
            return rate.Window == window ? Math.Max(rate.Current, rate.Last) : rate.Window == window - 1 ? rate.Current : 0;
        }
    }

    private bool AboveCalm(long events) => events > _options.CalmEventsPerSecond * _options.RateInterval.TotalSeconds;

    /// <summary>Whether <paramref name="sender"/> sends more than a calm client and at least its fair share.</summary>
    private bool Heavy(ClientSession sender)
    {
        var events = RecentEvents(sender);
        if (!AboveCalm(events))
        {
            return false;
        }

        long total;
        int publishers;
        lock (_gate)
        {
            total = _lastEvents;
            publishers = _lastPublishers;
        }

        return publishers == 0 || events * publishers >= total;
    }

    /// <summary>
    /// After a read that published picture: completes at once unless the node is behind,
    /// <paramref name="sender"/> is a heavy publisher, and its read fed a backlogged lane
    /// (<see cref="Fed"/>); then when the lanes have caught up (or after
    /// <see cref="AdmissionOptions.MaxHold"/>, for one more read).
    /// </summary>
    public ValueTask WaitForTurnAsync(ClientSession sender, CancellationToken cancellationToken)
        => !IsBehind || !Volatile.Read(ref sender.Intake.FedBacklog) || !Heavy(sender) ? ValueTask.CompletedTask : HoldAsync(sender, cancellationToken);

    private async ValueTask HoldAsync(ClientSession sender, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        Interlocked.Increment(ref _held);
        _metrics.AdmissionHeld();
        Log.PublisherHeld(_logger, sender.Id, sender.RemoteEndpoint, Volatile.Read(ref _backlogged), Volatile.Read(ref _sessions));
        Holding?.Invoke(sender);
        try
        {
            while (IsBehind)
            {
                var left = _options.MaxHold - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                var caughtUp = Volatile.Read(ref _caughtUp);
                if (caughtUp is null)
                {
                    var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    caughtUp = Interlocked.CompareExchange(ref _caughtUp, fresh, null) ?? fresh;
                }

                // Caught up between the check and the waiter's publication: the waiter may never be completed.
                if (!IsBehind)
                {
                    return;
                }

                try
                {
                    await caughtUp.Task.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            _metrics.AdmissionHeldFor(_time.GetElapsedTime(started));
        }
    }
}

/// <summary>One publisher's events per rate interval, as <see cref="Admission"/> counts them; locked by itself.</summary>
public sealed class IntakeRate
{
    // Whether its last read fed a backlogged picture lane; until a read says otherwise, assumed so.
    internal bool FedBacklog = true;
    // Set the first time the connection is above the calm limit; never cleared (Admission.IsCalm).
    internal bool WasAboveCalm;
    internal long Window = long.MinValue;
    internal long Current;
    internal long Last;
}
