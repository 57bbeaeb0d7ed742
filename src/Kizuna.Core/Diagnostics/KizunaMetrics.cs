using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Diagnostics;

/// <summary>Why an outbound message did not reach a client.</summary>
public enum DropReason
{
    /// <summary>The client fell behind and its picture lane was full: the oldest update went.</summary>
    PictureQueueFull,
    /// <summary>The client let its control lane overflow and was disconnected; the item is lost with the connection.</summary>
    ControlQueueOverflow,
    /// <summary>The client let its warning lane overflow and was disconnected; unacknowledged warnings go again on reconnect.</summary>
    WarningQueueOverflow,
}

/// <summary>Why a listener refused or ended a connection before it was a client.</summary>
public enum ConnectionRefusal
{
    /// <summary>The remote address had as many connections open on the listener as one address may (<c>--max-connections-per-address</c>).</summary>
    PerAddressLimit,
    /// <summary>The warning intake had every connection slot taken.</summary>
    IntakeFull,
    /// <summary>The TLS handshake did not finish within <c>--handshake-timeout</c>.</summary>
    HandshakeTimeout,
    /// <summary>Every handshake slot of the warning intake was taken: the oldest unfinished handshake gave way to a new connection.</summary>
    HandshakeDisplaced,
}

/// <summary>Where an event leaves the node: every exit asks the access decision, and counts what it withheld.</summary>
public enum AccessExit
{
    /// <summary>Live delivery to a connected client (directed messages included).</summary>
    Stream,
    /// <summary>The latest state replayed to a client on connect.</summary>
    Replay,
    /// <summary>The REST API: history queries and the latest picture.</summary>
    Api,
    /// <summary>The browser console's live feed (its snapshot, events and warnings).</summary>
    Console,
}

/// <summary>
/// The node's counters, kept once as atomic fields: exposed through a <see cref="Meter"/> named
/// "Kizuna" (for dotnet-counters and any listener) and as Prometheus text for GET /metrics.
/// </summary>
public sealed class KizunaMetrics : IDisposable
{
    public const string MeterName = "Kizuna";

    private static readonly CotRejectReason[] RejectReasons = Enum.GetValues<CotRejectReason>();
    private static readonly DropReason[] DropReasons = Enum.GetValues<DropReason>();
    private static readonly LabelRefusal[] LabelRefusals = Enum.GetValues<LabelRefusal>();
    private static readonly AccessExit[] AccessExits = Enum.GetValues<AccessExit>();
    private static readonly Warnings.ReportRefusal[] ReportRefusals = Enum.GetValues<Warnings.ReportRefusal>();
    private static readonly Warnings.AcknowledgementRefusal[] AckRefusals = Enum.GetValues<Warnings.AcknowledgementRefusal>();
    private static readonly SendRefusal[] SendRefusals = Enum.GetValues<SendRefusal>();
    private static readonly ConnectionRefusal[] ConnectionRefusals = Enum.GetValues<ConnectionRefusal>();

    private readonly Meter _meter;
    private readonly long[] _rejects = new long[RejectReasons.Length];
    private readonly long[] _drops = new long[DropReasons.Length];
    private readonly long[] _labelRefusals = new long[LabelRefusals.Length];
    private readonly long[] _withheld = new long[AccessExits.Length];
    private readonly long[] _reportRefusals = new long[ReportRefusals.Length];
    private readonly long[] _ackRefusals = new long[AckRefusals.Length];
    private readonly long[] _sendRefusals = new long[SendRefusals.Length];
    private readonly long[] _connectionRefusals = new long[ConnectionRefusals.Length];
    private long _warningsAcknowledged;
    private long _connectionsOpen;
    private long _connectionsAccepted;
    private long _consoleFeedsOpen;
    private long _intakeRefusals;
    private long _uidRefusals;
    private long _eventsIn;
    private long _eventsOut;
    private long _bytesIn;
    private long _bytesOut;
    private long _disconnectsForMisbehaviour;
    private readonly Histogram<double> _warningStoreSeconds;
    private readonly Histogram<double> _warningIssueSeconds;

    public KizunaMetrics()
    {
        _meter = new Meter(MeterName);
        _meter.CreateObservableUpDownCounter("kizuna.connections", () => Volatile.Read(ref _connectionsOpen), description: "Open CoT connections");
        _meter.CreateObservableUpDownCounter("kizuna.console.feeds", () => Volatile.Read(ref _consoleFeedsOpen), description: "Open console live feeds (WebSocket)");
        _meter.CreateObservableCounter("kizuna.events.in", () => Volatile.Read(ref _eventsIn), description: "Events accepted from clients");
        _meter.CreateObservableCounter("kizuna.events.out", () => Volatile.Read(ref _eventsOut), description: "Events written to clients");
        _meter.CreateObservableCounter("kizuna.bytes.in", () => Volatile.Read(ref _bytesIn), unit: "By");
        _meter.CreateObservableCounter("kizuna.bytes.out", () => Volatile.Read(ref _bytesOut), unit: "By");
        _meter.CreateObservableGauge("kizuna.queue.depth", () => QueueDepth?.Invoke() ?? 0, description: "Items waiting in all outbound queues");
        _warningStoreSeconds = _meter.CreateHistogram<double>("kizuna.warning.store.duration", unit: "s", description: "The durable append of a warning version, before anyone is told");
        _warningIssueSeconds = _meter.CreateHistogram<double>("kizuna.warning.issue.duration", unit: "s", description: "A sensor report accepted for fusion, to its warning version queued to every entitled client");
    }

    /// <summary>Per issued warning version: its durable append.</summary>
    public DurationHistogram WarningStoreTimes { get; } = new();

    /// <summary>Per issued warning version: from the report that caused it being accepted for fusion (read, parsed, its label allowed) to the version queued to every entitled client.</summary>
    public DurationHistogram WarningIssueTimes { get; } = new();

    /// <summary>Set by the router: the sum of every connection's queued items.</summary>
    public Func<long>? QueueDepth { get; set; }

    public long ConnectionsOpen => Volatile.Read(ref _connectionsOpen);
    public long EventsIn => Volatile.Read(ref _eventsIn);
    public long EventsOut => Volatile.Read(ref _eventsOut);

    public long Rejects(CotRejectReason reason) => Volatile.Read(ref _rejects[(int)reason]);
    public long Drops(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);
    public long LabelRefusalCount(LabelRefusal reason) => Volatile.Read(ref _labelRefusals[(int)reason]);
    public long WithheldCount(AccessExit exit) => Volatile.Read(ref _withheld[(int)exit]);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsOpen);
        Interlocked.Increment(ref _connectionsAccepted);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connectionsOpen);
    public long ConsoleFeedsOpen => Volatile.Read(ref _consoleFeedsOpen);
    public void ConsoleFeedOpened() => Interlocked.Increment(ref _consoleFeedsOpen);
    public void ConsoleFeedClosed() => Interlocked.Decrement(ref _consoleFeedsOpen);
    public long IntakeRefusals => Volatile.Read(ref _intakeRefusals);

    /// <summary>Events refused because their uid belongs to another organization.</summary>
    public long UidRefusals => Volatile.Read(ref _uidRefusals);
    public void IntakeRefused() => Interlocked.Increment(ref _intakeRefusals);
    public void UidRefused() => Interlocked.Increment(ref _uidRefusals);
    public void EventReceived() => Interlocked.Increment(ref _eventsIn);
    public void BytesReceived(long bytes) => Interlocked.Add(ref _bytesIn, bytes);
    public void EventsWritten(int events, long bytes) { Interlocked.Add(ref _eventsOut, events); Interlocked.Add(ref _bytesOut, bytes); }
    public void Rejected(CotRejectReason reason) => Interlocked.Increment(ref _rejects[(int)reason]);
    public void Dropped(DropReason reason, long count = 1) => Interlocked.Add(ref _drops[(int)reason], count);
    public void DisconnectedForMisbehaviour() => Interlocked.Increment(ref _disconnectsForMisbehaviour);
    public void LabelRefused(LabelRefusal reason) => Interlocked.Increment(ref _labelRefusals[(int)reason]);
    public void Withheld(AccessExit exit, long count = 1) => Interlocked.Add(ref _withheld[(int)exit], count);
    public void ReportRefused(Warnings.ReportRefusal reason) => Interlocked.Increment(ref _reportRefusals[(int)reason]);
    public long ReportRefusalCount(Warnings.ReportRefusal reason) => Volatile.Read(ref _reportRefusals[(int)reason]);
    public void AcknowledgementRefused(Warnings.AcknowledgementRefusal reason) => Interlocked.Increment(ref _ackRefusals[(int)reason]);
    public long AcknowledgementRefusalCount(Warnings.AcknowledgementRefusal reason) => Volatile.Read(ref _ackRefusals[(int)reason]);
    public void SenderRefused(SendRefusal reason) => Interlocked.Increment(ref _sendRefusals[(int)reason]);
    public long SenderRefusalCount(SendRefusal reason) => Volatile.Read(ref _sendRefusals[(int)reason]);
    public void ConnectionRefused(ConnectionRefusal reason) => Interlocked.Increment(ref _connectionRefusals[(int)reason]);
    public long ConnectionRefusalCount(ConnectionRefusal reason) => Volatile.Read(ref _connectionRefusals[(int)reason]);
    /// <summary>Every issued version is timed once, so the store histogram's count is the number issued.</summary>
    public long WarningsIssued => WarningStoreTimes.Count;
    public long WarningsAcknowledged => Volatile.Read(ref _warningsAcknowledged);

    /// <summary>A warning version was issued: <paramref name="stored"/> is its durable append, <paramref name="issued"/> from its report accepted for fusion to every client's lane.</summary>
    public void WarningIssued(TimeSpan stored, TimeSpan issued)
    {
        WarningStoreTimes.Record(stored);
        WarningIssueTimes.Record(issued);
        _warningStoreSeconds.Record(stored.TotalSeconds);
        _warningIssueSeconds.Record(issued.TotalSeconds);
    }

    public void WarningAcknowledged() => Interlocked.Increment(ref _warningsAcknowledged);

    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    public string ToPrometheusText()
    {
        var text = new StringBuilder(2048);
        Gauge(text, "kizuna_connections", "Open CoT connections.", ConnectionsOpen);
        Counter(text, "kizuna_connections_accepted_total", "CoT connections accepted since start.", Volatile.Read(ref _connectionsAccepted));
        Gauge(text, "kizuna_console_feeds", "Open console live feeds (WebSocket), each a router session like a CoT connection.", ConsoleFeedsOpen);
        Counter(text, "kizuna_events_in_total", "Events accepted from clients.", EventsIn);
        Counter(text, "kizuna_events_out_total", "Events written to clients.", EventsOut);
        Counter(text, "kizuna_bytes_in_total", "Bytes read from CoT connections.", Volatile.Read(ref _bytesIn));
        Counter(text, "kizuna_bytes_out_total", "Bytes written to CoT connections.", Volatile.Read(ref _bytesOut));
        Gauge(text, "kizuna_queue_depth", "Items waiting in all outbound queues.", QueueDepth?.Invoke() ?? 0);
        Counter(text, "kizuna_misbehaviour_disconnects_total", "Connections closed because the client kept failing or stopped reading.", Volatile.Read(ref _disconnectsForMisbehaviour));

        // Label values are fixed names (reasons, exits), never anything taken from an event.
        ByName(text, "kizuna_drops_total", "Outbound messages that did not reach a client, by reason.", "reason", DropReasons, Drops);
        ByName(text, "kizuna_rejects_total", "Input refused, by reason.", "reason", RejectReasons, Rejects);
        ByName(text, "kizuna_label_refusals_total", "Events refused for their confidentiality label, by reason.", "reason", LabelRefusals, LabelRefusalCount);
        Counter(text, "kizuna_warnings_issued_total", "Warning versions issued (stored, then queued to every entitled client).", WarningsIssued);
        Counter(text, "kizuna_warnings_acknowledged_total", "Warning acknowledgements received.", WarningsAcknowledged);
        WarningStoreTimes.WritePrometheus(text, "kizuna_warning_store_seconds", "Durable append of each warning version, before anyone is told.");
        WarningIssueTimes.WritePrometheus(text, "kizuna_warning_issue_seconds", "From a sensor report accepted for fusion to its warning version queued to every entitled client.");
        Counter(text, "kizuna_intake_refusals_total", "Events refused on the warning intake because they were neither sensor reports nor acknowledgements.", IntakeRefusals);
        Counter(text, "kizuna_uid_refusals_total", "Events refused because their uid belongs to another organization (an update or re-label of what another sent).", UidRefusals);
        ByName(text, "kizuna_report_refusals_total", "Sensor reports refused, by reason.", "reason", ReportRefusals, ReportRefusalCount);
        ByName(text, "kizuna_acknowledgement_refusals_total", "Warning acknowledgements refused, by reason.", "reason", AckRefusals, AcknowledgementRefusalCount);
        ByName(text, "kizuna_sender_refusals_total", "Events refused for the kind of principal that sent them (anonymous plain-TCP clients send picture updates only), by reason.", "reason", SendRefusals, SenderRefusalCount);
        ByName(text, "kizuna_connections_refused_total", "Connections a listener refused or ended before they were clients, by reason.", "reason", ConnectionRefusals, ConnectionRefusalCount);
        ByName(text, "kizuna_withheld_total", "Deliveries the access decision denied, by exit.", "exit", AccessExits, WithheldCount);
        return text.ToString();
    }

    /// <summary>A counter with one series per value of an enum, labelled by the value's name.</summary>
    private static void ByName<T>(StringBuilder text, string name, string help, string label, T[] values, Func<T, long> count)
        where T : struct, Enum
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n");
        foreach (var value in values)
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{value}\"}} {count(value)}\n");
        }
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
        => text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");

    private static void Gauge(StringBuilder text, string name, string help, long value)
        => text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    public void Dispose() => _meter.Dispose();
}
