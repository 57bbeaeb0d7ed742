using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Routing;

/// <summary>
/// The router's view of one connected client: who it is, how to address it (uid and callsign,
/// learned from its own position reports), and its outbound queue.
/// </summary>
public sealed class ClientSession : IRecipient
{
    private static long s_nextId;
    private readonly KizunaMetrics _metrics;
    private readonly Action<string> _abort;
    private long _pictureDrops;

    public ClientSession(Principal principal, string remoteEndpoint, string listener, OutboundQueue queue, KizunaMetrics metrics, Action<string> abort)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Principal = principal;
        RemoteEndpoint = remoteEndpoint;
        Listener = listener;
        Queue = queue;
        _metrics = metrics;
        _abort = abort;
    }

    public long Id { get; }

    /// <summary>Who the client is: every delivery to it is decided for this principal.</summary>
    public Principal Principal { get; }

    /// <summary>Certificate subject for TLS; "tcp:{endpoint}" on the plain listener, which has no identity.</summary>
    public string Identity => Principal.Name;

    public string RemoteEndpoint { get; }
    public string Listener { get; }
    public OutboundQueue Queue { get; }

    /// <summary>The uid of the client's own position reports, once seen.</summary>
    public string? Uid { get; set; }

    /// <summary>The callsign of the client's own position reports, once seen.</summary>
    public string? Callsign { get; set; }

    public long PictureDrops => Volatile.Read(ref _pictureDrops);

    /// <summary>What this client has published lately, as admission counts it (docs/dev/admission.md).</summary>
    public IntakeRate Intake { get; } = new();

    /// <summary>The exit a live delivery withheld from this session is counted under (<c>kizuna_withheld_total{exit}</c>).</summary>
    public AccessExit StreamExit { get; init; } = AccessExit.Stream;

    /// <summary>The exit a replayed event withheld from this session is counted under.</summary>
    public AccessExit ReplayExit { get; init; } = AccessExit.Replay;

    /// <summary>
    /// The connection's express path for warnings, when it has one (CoT connections do): a
    /// warning queued while the writer is idle is written by the caller at once.
    /// </summary>
    public IExpressWriter? Express { get; set; }

    /// <summary>
    /// Queues an item. Never blocks: a full picture lane drops its oldest entry; a full warning or
    /// control lane means the client has stopped reading, and the connection is aborted. A warning
    /// finding the writer idle is written on the caller's thread (<see cref="Express"/>).
    /// </summary>
    public void Deliver(OutboundItem item, Lane lane)
    {
        if (lane == Lane.Warning && Express is { } express)
        {
            var batch = new List<OutboundItem>(1);
            var (dropped, overflow, claimed) = Queue.EnqueueWarning(item, batch);
            Account((dropped, overflow), lane);
            if (claimed)
            {
                express.WriteNow(batch);
            }

            return;
        }

        Account(Queue.Enqueue(item, lane), lane);
    }

    public void Deliver(SharedEvent evt, Lane lane) => Deliver(new OutboundItem(evt), lane);

    /// <summary>Queues a run of events in one step (one lock, one wake of the writer); calm picture goes ahead of the rest (<see cref="OutboundQueue.Enqueue(ReadOnlySpan{SharedEvent}, Lane, bool)"/>).</summary>
    public void Deliver(ReadOnlySpan<SharedEvent> events, Lane lane, bool calm = false) => Account(Queue.Enqueue(events, lane, calm), lane);

    /// <summary>Queues the latest picture for this newly attached session, whole and ahead of live picture (<see cref="OutboundQueue.Replay"/>).</summary>
    public void Replay(ReadOnlySpan<SharedEvent> picture) => Queue.Replay(picture);

    /// <summary>Closes the connection (the reason is logged when it closes).</summary>
    public void Close(string reason) => _abort(reason);

    private void Account((int Dropped, bool Overflow) outcome, Lane lane)
    {
        if (outcome.Dropped > 0)
        {
            Interlocked.Add(ref _pictureDrops, outcome.Dropped);
            _metrics.Dropped(DropReason.PictureQueueFull, outcome.Dropped);
        }

        if (outcome.Overflow)
        {
            var warning = lane == Lane.Warning;
            _metrics.Dropped(warning ? DropReason.WarningQueueOverflow : DropReason.ControlQueueOverflow);
            _abort(warning ? "warning lane overflow: the client is not taking warnings" : "control lane overflow: the client is not reading");
        }
    }

    public override string ToString() => $"#{Id} {Identity} ({RemoteEndpoint})";
}
