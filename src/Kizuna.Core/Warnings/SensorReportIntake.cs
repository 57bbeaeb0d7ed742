using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Warnings;

/// <summary>What became of one sensor report event: refused (with the reason), or read and offered to fusion.</summary>
public readonly record struct IntakeOutcome(SensorReport? Report, ReportRefusal? Refusal, string? Reason, FusionOutcome Fusion)
{
    public bool Refused => Refusal is not null;
}

/// <summary>
/// The way in for sensor report events, once the label door has accepted them: check that the
/// sender is a sensor feed, read the report (<see cref="SensorReportReader"/>), check that the
/// sender may speak for the sensor it names (<see cref="SensorAuthority"/>), count a refusal by
/// its reason and stop there, otherwise fuse it (<see cref="WarningFusion"/>) and count what fusion did. A refused report is never
/// fused. The counts are atomic, for the node's metrics
/// (<c>kizuna_warning_report_refusals_total{reason}</c> when the server wires it).
/// </summary>
public sealed class SensorReportIntake
{
    private readonly long[] _refusals = new long[Enum.GetValues<ReportRefusal>().Length];
    private readonly long[] _results = new long[Enum.GetValues<FusionResult>().Length];

    public SensorReportIntake(SensorCatalog catalog, WarningFusion fusion, SensorReportLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(fusion);
        Catalog = catalog;
        Fusion = fusion;
        Limits = limits ?? SensorReportLimits.Default;
    }

    public SensorCatalog Catalog { get; }
    public WarningFusion Fusion { get; }
    public SensorReportLimits Limits { get; }

    /// <summary>Reads and fuses one report event carrying its accepted <paramref name="label"/>, sent by <paramref name="sender"/>.</summary>
    public IntakeOutcome Offer(CotEvent evt, ConfidentialityLabel label, DateTime receivedAt, Principal sender)
    {
        var accepted = Accept(evt, label, receivedAt, sender);
        return accepted.Refused ? accepted : Fuse(accepted.Report!);
    }

    /// <summary>Fuses a report <see cref="Accept"/> accepted (here or on another instance of the node) and counts what fusion did.</summary>
    public IntakeOutcome Fuse(SensorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var outcome = Fusion.Offer(report);
        Interlocked.Increment(ref _results[(int)outcome.Result]);
        return new IntakeOutcome(report, null, null, outcome);
    }

    /// <summary>
    /// Reads one report event and checks its sender, without fusing it: a refusal, or the report
    /// (and no fusion outcome). An instance that is not the node's warning issuer stops here.
    /// </summary>
    public IntakeOutcome Accept(CotEvent evt, ConfidentialityLabel label, DateTime receivedAt, Principal sender)
    {
        ArgumentNullException.ThrowIfNull(sender);

        // Who may send comes first: a sender that is no sensor feed learns nothing of the catalog.
        if (!SensorAuthority.IsSensorFeed(sender))
        {
            return Refuse(ReportRefusal.NotSensorFeed, $"the sender is not a sensor feed (a client certificate with role {SensorAuthority.SensorFeedRole} is needed)");
        }

        if (!SensorReportReader.TryRead(evt, label, receivedAt, Catalog, Limits, out var report, out var refusal, out var reason))
        {
            return Refuse(refusal, reason);
        }

        if (!Catalog.TryFind(report.Sensor, out var sensor)
            || !SensorAuthority.TryAuthorize(sender, sensor, report.Nation, out refusal, out reason))
        {
            return Refuse(sensor is null ? ReportRefusal.UnknownSensor : refusal, reason ?? "the sensor is not in the sensor catalog");
        }

        return new IntakeOutcome(report, null, null, default);
    }

    private IntakeOutcome Refuse(ReportRefusal refusal, string reason)
    {
        Interlocked.Increment(ref _refusals[(int)refusal]);
        return new IntakeOutcome(null, refusal, reason, default);
    }

    /// <summary>How many reports were refused for this reason.</summary>
    public long RefusedCount(ReportRefusal reason) => Interlocked.Read(ref _refusals[(int)reason]);

    /// <summary>How many read reports fusion handled this way.</summary>
    public long FusedCount(FusionResult result) => Interlocked.Read(ref _results[(int)result]);
}
