using System.Diagnostics.Metrics;
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
/// The node's counts, kept once: as instruments of a <see cref="Meter"/> named "Kizuna" (for
/// dotnet-counters and any listener), read back and written as Prometheus text for GET /metrics by
/// one <see cref="PrometheusExposition"/> over every Kizuna meter of the node (the storage meter
/// too). The getters below read that exposition, not counters of their own.
/// </summary>
public sealed class KizunaMetrics : IDisposable
{
    public const string MeterName = "Kizuna";

    private static readonly string[] RejectReasons = Enum.GetNames<CotRejectReason>();
    private static readonly string[] DropReasons = Enum.GetNames<DropReason>();
    private static readonly string[] LabelRefusals = Enum.GetNames<LabelRefusal>();
    private static readonly string[] AccessExits = Enum.GetNames<AccessExit>();
    private static readonly string[] ReportRefusals = Enum.GetNames<Warnings.ReportRefusal>();
    private static readonly string[] AckRefusals = Enum.GetNames<Warnings.AcknowledgementRefusal>();
    private static readonly string[] SendRefusals = Enum.GetNames<SendRefusal>();
    private static readonly string[] ConnectionRefusals = Enum.GetNames<ConnectionRefusal>();

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly PrometheusExposition _exposition;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _connectionsAccepted;
    private readonly UpDownCounter<long> _consoleFeeds;
    private readonly Counter<long> _eventsIn;
    private readonly Counter<long> _eventsOut;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _disconnectsForMisbehaviour;
    private readonly Counter<long> _drops;
    private readonly Counter<long> _rejects;
    private readonly Counter<long> _labelRefusals;
    private readonly Counter<long> _warningsIssued;
    private readonly Counter<long> _warningsAcknowledged;
    private readonly Histogram<double> _warningStoreSeconds;
    private readonly Histogram<double> _warningIssueSeconds;
    private readonly Counter<long> _intakeRefusals;
    private readonly Counter<long> _uidRefusals;
    private readonly Counter<long> _reportRefusals;
    private readonly Counter<long> _ackRefusals;
    private readonly Counter<long> _sendRefusals;
    private readonly Counter<long> _connectionRefusals;
    private readonly Counter<long> _withheld;
    private readonly Counter<long> _admissionHolds;
    private readonly Histogram<double> _admissionHoldSeconds;
    private readonly Counter<long> _admissionStalls;

    /// <param name="meterFactory">
    /// The node's meter factory (the host's): every Kizuna meter it creates, the storage meter
    /// included, is in /metrics. Without one (a test of this class alone), this meter only.
    /// </param>
    public KizunaMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        var options = new MeterOptions(MeterName);
        if (meterFactory is null)
        {
            options.Scope = this;
        }

        // The exposition listens first, so the zero series written below are seen.
        _exposition = new PrometheusExposition(meterFactory ?? (object)this);
        _meter = meterFactory?.Create(options) ?? new Meter(options);

        // The order of creation is the order of /metrics.
        _connections = _meter.CreateUpDownCounter<long>("kizuna.connections", description: "Open CoT connections.");
        _connectionsAccepted = _meter.CreateCounter<long>("kizuna.connections.accepted", description: "CoT connections accepted since start.");
        _consoleFeeds = _meter.CreateUpDownCounter<long>("kizuna.console.feeds", description: "Open console live feeds (WebSocket), each a router session like a CoT connection.");
        _eventsIn = _meter.CreateCounter<long>("kizuna.events.in", description: "Events accepted from clients.");
        _eventsOut = _meter.CreateCounter<long>("kizuna.events.out", description: "Events written to clients.");
        _bytesIn = _meter.CreateCounter<long>("kizuna.bytes.in", unit: "By", description: "Bytes read from CoT connections.");
        _bytesOut = _meter.CreateCounter<long>("kizuna.bytes.out", unit: "By", description: "Bytes written to CoT connections.");
        _meter.CreateObservableGauge("kizuna.queue.depth", () => QueueDepth?.Invoke() ?? 0, description: "Items waiting in all outbound queues.");
        _disconnectsForMisbehaviour = _meter.CreateCounter<long>("kizuna.misbehaviour.disconnects", description: "Connections closed because the client kept failing or stopped reading.");

        // Label values are fixed names (reasons, exits), never anything taken from an event; each
        // is written once at zero so every series is there from the start.
        _drops = ByName("kizuna.drops", "Outbound messages that did not reach a client, by reason.", "reason", DropReasons);
        _rejects = ByName("kizuna.rejects", "Input refused, by reason.", "reason", RejectReasons);
        _labelRefusals = ByName("kizuna.label.refusals", "Events refused for their confidentiality label, by reason.", "reason", LabelRefusals);
        _warningsIssued = _meter.CreateCounter<long>("kizuna.warnings.issued", description: "Warning versions issued (stored, then queued to every entitled client).");
        _warningsAcknowledged = _meter.CreateCounter<long>("kizuna.warnings.acknowledged", description: "Warning acknowledgements received.");
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationHistogram.Bounds };
        _warningStoreSeconds = _meter.CreateHistogram("kizuna.warning.store.duration", unit: "s", description: "Durable append of each warning version, before anyone is told.", tags: null, advice: buckets);
        _warningIssueSeconds = _meter.CreateHistogram("kizuna.warning.issue.duration", unit: "s", description: "From a sensor report accepted for fusion to its warning version queued to every entitled client.", tags: null, advice: buckets);
        _intakeRefusals = _meter.CreateCounter<long>("kizuna.intake.refusals", description: "Events refused on the warning intake because they were neither sensor reports nor acknowledgements.");
        _uidRefusals = _meter.CreateCounter<long>("kizuna.uid.refusals", description: "Events refused because their uid belongs to another organization (an update or re-label of what another sent).");
        _reportRefusals = ByName("kizuna.report.refusals", "Sensor reports refused, by reason.", "reason", ReportRefusals);
        _ackRefusals = ByName("kizuna.acknowledgement.refusals", "Warning acknowledgements refused, by reason.", "reason", AckRefusals);
        _sendRefusals = ByName("kizuna.sender.refusals", "Events refused for the kind of principal that sent them (anonymous plain-TCP clients send picture updates only), by reason.", "reason", SendRefusals);
        _connectionRefusals = ByName("kizuna.connections.refused", "Connections a listener refused or ended before they were clients, by reason.", "reason", ConnectionRefusals);
        _withheld = ByName("kizuna.withheld", "Deliveries the access decision denied, by exit.", "exit", AccessExits);
        _admissionHolds = _meter.CreateCounter<long>("kizuna.admission.holds", description: "Reads held back from a heavy publisher because the node was behind delivering (docs/dev/admission.md).");
        _admissionHoldSeconds = _meter.CreateHistogram("kizuna.admission.hold.duration", unit: "s", description: "How long each held read of a heavy publisher waited.", tags: null, advice: buckets);
        _meter.CreateObservableGauge("kizuna.admission.backlogged", () => AdmissionBacklogged?.Invoke() ?? 0, description: "Clients' picture lanes backlogged now.");
        _meter.CreateObservableGauge("kizuna.admission.held.now", () => AdmissionHeldNow?.Invoke() ?? 0, description: "Publishers held back now.");
        _meter.CreateObservableGauge("kizuna.admission.stalled", () => AdmissionStalled?.Invoke() ?? 0, description: "Clients' picture lanes stalled now (backlogged, their writer has taken nothing for a while): the clients' backlog, not the node's.");
        _admissionStalls = _meter.CreateCounter<long>("kizuna.admission.stalls", description: "Times a backlogged picture lane was found stalled (its client not reading) and stopped counting towards the node being behind.");
    }

    private Counter<long> ByName(string name, string description, string label, string[] values)
    {
        var counter = _meter.CreateCounter<long>(name, description: description);
        foreach (var value in values)
        {
            counter.Add(0, new KeyValuePair<string, object?>(label, value));
        }

        return counter;
    }

    private static KeyValuePair<string, object?> Reason(string[] names, int value) => new("reason", names[value]);

    /// <summary>Per issued warning version: its durable append.</summary>
    public DurationHistogram WarningStoreTimes => _exposition.Histogram("kizuna.warning.store.duration")!;

    /// <summary>Per issued warning version: from the report that caused it being accepted for fusion (read, parsed, its label allowed) to the version queued to every entitled client.</summary>
    public DurationHistogram WarningIssueTimes => _exposition.Histogram("kizuna.warning.issue.duration")!;

    /// <summary>Set by admission: picture lanes backlogged now.</summary>
    public Func<int>? AdmissionBacklogged { get; set; }

    /// <summary>Set by admission: publishers held now.</summary>
    public Func<int>? AdmissionHeldNow { get; set; }

    public long AdmissionHolds => _exposition.Value("kizuna.admission.holds");
    public void AdmissionHeld() => _admissionHolds.Add(1);
    public void AdmissionHeldFor(TimeSpan held) => _admissionHoldSeconds.Record(held.TotalSeconds);

    /// <summary>Set by admission: picture lanes stalled now.</summary>
    public Func<int>? AdmissionStalled { get; set; }

    public long AdmissionStalls => _exposition.Value("kizuna.admission.stalls");
    public void AdmissionLaneStalled() => _admissionStalls.Add(1);

    /// <summary>Set by the router: the sum of every connection's queued items.</summary>
    public Func<long>? QueueDepth { get; set; }

    public long ConnectionsOpen => _exposition.Value("kizuna.connections");
    public long EventsIn => _exposition.Value("kizuna.events.in");
    public long EventsOut => _exposition.Value("kizuna.events.out");

    public long Rejects(CotRejectReason reason) => _exposition.Value("kizuna.rejects", RejectReasons[(int)reason]);
    public long Drops(DropReason reason) => _exposition.Value("kizuna.drops", DropReasons[(int)reason]);
    public long LabelRefusalCount(LabelRefusal reason) => _exposition.Value("kizuna.label.refusals", LabelRefusals[(int)reason]);
    public long WithheldCount(AccessExit exit) => _exposition.Value("kizuna.withheld", AccessExits[(int)exit]);

    public void ConnectionOpened()
    {
        _connections.Add(1);
        _connectionsAccepted.Add(1);
    }

    public void ConnectionClosed() => _connections.Add(-1);
    public long ConsoleFeedsOpen => _exposition.Value("kizuna.console.feeds");
    public void ConsoleFeedOpened() => _consoleFeeds.Add(1);
    public void ConsoleFeedClosed() => _consoleFeeds.Add(-1);
    public long IntakeRefusals => _exposition.Value("kizuna.intake.refusals");

    /// <summary>Events refused because their uid belongs to another organization.</summary>
    public long UidRefusals => _exposition.Value("kizuna.uid.refusals");
    public void IntakeRefused() => _intakeRefusals.Add(1);
    public void UidRefused() => _uidRefusals.Add(1);
    public void EventReceived() => _eventsIn.Add(1);
    public void BytesReceived(long bytes) => _bytesIn.Add(bytes);
    public void EventsWritten(int events, long bytes) { _eventsOut.Add(events); _bytesOut.Add(bytes); }
    public void Rejected(CotRejectReason reason) => _rejects.Add(1, Reason(RejectReasons, (int)reason));
    public void Dropped(DropReason reason, long count = 1) => _drops.Add(count, Reason(DropReasons, (int)reason));
    public void DisconnectedForMisbehaviour() => _disconnectsForMisbehaviour.Add(1);
    public void LabelRefused(LabelRefusal reason) => _labelRefusals.Add(1, Reason(LabelRefusals, (int)reason));
    public void Withheld(AccessExit exit, long count = 1) => _withheld.Add(count, new KeyValuePair<string, object?>("exit", AccessExits[(int)exit]));
    public void ReportRefused(Warnings.ReportRefusal reason) => _reportRefusals.Add(1, Reason(ReportRefusals, (int)reason));
    public long ReportRefusalCount(Warnings.ReportRefusal reason) => _exposition.Value("kizuna.report.refusals", ReportRefusals[(int)reason]);
    public void AcknowledgementRefused(Warnings.AcknowledgementRefusal reason) => _ackRefusals.Add(1, Reason(AckRefusals, (int)reason));
    public long AcknowledgementRefusalCount(Warnings.AcknowledgementRefusal reason) => _exposition.Value("kizuna.acknowledgement.refusals", AckRefusals[(int)reason]);
    public void SenderRefused(SendRefusal reason) => _sendRefusals.Add(1, Reason(SendRefusals, (int)reason));
    public long SenderRefusalCount(SendRefusal reason) => _exposition.Value("kizuna.sender.refusals", SendRefusals[(int)reason]);
    public void ConnectionRefused(ConnectionRefusal reason) => _connectionRefusals.Add(1, Reason(ConnectionRefusals, (int)reason));
    public long ConnectionRefusalCount(ConnectionRefusal reason) => _exposition.Value("kizuna.connections.refused", ConnectionRefusals[(int)reason]);
    public long WarningsIssued => _exposition.Value("kizuna.warnings.issued");
    public long WarningsAcknowledged => _exposition.Value("kizuna.warnings.acknowledged");

    /// <summary>A warning version was issued: <paramref name="stored"/> is its durable append, <paramref name="issued"/> from its report accepted for fusion to every client's lane.</summary>
    public void WarningIssued(TimeSpan stored, TimeSpan issued)
    {
        _warningStoreSeconds.Record(stored.TotalSeconds);
        _warningIssueSeconds.Record(issued.TotalSeconds);
        _warningsIssued.Add(1);
    }

    public void WarningAcknowledged() => _warningsAcknowledged.Add(1);

    /// <summary>Prometheus text exposition format 0.0.4 of every Kizuna meter of the node.</summary>
    public string ToPrometheusText() => _exposition.ToText();

    public void Dispose()
    {
        _exposition.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
