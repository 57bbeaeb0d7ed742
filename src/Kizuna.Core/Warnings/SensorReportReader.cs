using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Warnings;

/// <summary>Why a sensor report was refused. Stable names: they are metric labels.</summary>
public enum ReportRefusal
{
    /// <summary>Not a report, or one that cannot be read: wrong CoT type, no or a second report element, a missing or unreadable attribute, an unknown state.</summary>
    Malformed,

    /// <summary>A launch point or impact point off the globe (latitude beyond ±90°, longitude beyond ±180°, not a number).</summary>
    ImpossibleCoordinates,

    /// <summary>An uncertainty ellipse with a semi-axis of zero or less, beyond the limit, a minor axis longer than the major, or an orientation outside [0, 360).</summary>
    ImpossibleEllipse,

    /// <summary>A detection or launch time further in the future than the allowed clock skew, or a launch after its detection.</summary>
    FutureTime,

    /// <summary>A detection or launch time older than the limit: not a live report.</summary>
    StaleTime,

    /// <summary>An impact time before the launch time, or absurdly long after it.</summary>
    ImpactBeforeLaunch,

    /// <summary>A confidence outside [0, 1].</summary>
    ConfidenceOutOfRange,

    /// <summary>A sensor that is not in the sensor catalog.</summary>
    UnknownSensor,

    /// <summary>A sensor reported under another nation than the one it belongs to.</summary>
    SensorNationMismatch,

    /// <summary>The event's <c>opex</c> and the element's <c>exercise</c> disagree, or a real report carries the EXERCISE caveat.</summary>
    ExerciseMismatch,

    /// <summary>The sender is not a sensor feed: anonymous, or its certificate's role is not <c>sensor-feed</c> (<see cref="SensorAuthority"/>).</summary>
    NotSensorFeed,

    /// <summary>The sender's organization does not operate the sensor, and it holds no <c>sensor:ID</c> authorization for it.</summary>
    NotSensorOperator,

    /// <summary>The report names another nation than the sender's.</summary>
    SenderNationMismatch,
}

/// <summary>
/// Every limit the reader applies, with its default. A limit is a named option so a node or a
/// test can say it; the defaults are documented in docs/warnings.md.
/// </summary>
public sealed record SensorReportLimits
{
    public static SensorReportLimits Default { get; } = new();

    /// <summary>How far a detection or launch time may lie after the node's receive time (clocks differ): 2 minutes.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How old a detection may be when the node receives it: 3 hours (the longest flights seen are about 90 minutes; delayed relays are allowed for).</summary>
    public TimeSpan MaxReportAge { get; init; } = TimeSpan.FromHours(3);

    /// <summary>How long before its detection a launch may be: 3 hours.</summary>
    public TimeSpan MaxLaunchBeforeDetection { get; init; } = TimeSpan.FromHours(3);

    /// <summary>How long after launch an impact may be estimated: 3 hours.</summary>
    public TimeSpan MaxFlightTime { get; init; } = TimeSpan.FromHours(3);

    /// <summary>The largest semi-axis of an impact ellipse: 1,000 km; anything larger says nothing useful about where it lands.</summary>
    public double MaxSemiAxisMeters { get; init; } = 1_000_000;

    /// <summary>The longest report id, sensor id or nation the reader takes: 128 characters.</summary>
    public int MaxIdLength { get; init; } = 128;
}

/// <summary>
/// Reads a sensor report from its CoT event (type <c>b-w-m-r</c>, the <c>__missileReport</c>
/// detail element; docs/warnings.md) and refuses what cannot be true. The label has already been
/// accepted by <see cref="LabelPolicy.Accept"/>; the reader takes it as given.
/// </summary>
public static class SensorReportReader
{
    /// <summary>CoT type of a launch detection / track report.</summary>
    public const string ReportType = "b-w-m-r";

    /// <summary>CoT type of a fused warning the node emits (reserved).</summary>
    public const string WarningType = "b-w-m-w";

    /// <summary>CoT type of an acknowledgement of a warning (reserved).</summary>
    public const string AcknowledgementType = "b-w-m-a";

    /// <summary>The detail element that carries the report.</summary>
    public const string ElementName = "__missileReport";

    /// <summary>The caveat that marks exercise traffic in a label.</summary>
    public const string ExerciseCaveat = "EXERCISE";

    /// <summary>Reads a report; on refusal <paramref name="reason"/> says why in a sentence.</summary>
    public static bool TryRead(CotEvent evt, ConfidentialityLabel label, DateTime receivedAt, SensorCatalog catalog,
        [NotNullWhen(true)] out SensorReport? report, [NotNullWhen(false)] out string? reason)
        => TryRead(evt, label, receivedAt, catalog, SensorReportLimits.Default, out report, out _, out reason);

    /// <summary>Reads a report; on refusal <paramref name="refusal"/> is the stable reason (for metrics) and <paramref name="reason"/> the sentence.</summary>
    public static bool TryRead(CotEvent evt, ConfidentialityLabel label, DateTime receivedAt, SensorCatalog catalog, SensorReportLimits limits,
        [NotNullWhen(true)] out SensorReport? report, out ReportRefusal refusal, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(limits);
        report = null;
        refusal = ReportRefusal.Malformed;
        receivedAt = receivedAt.Kind == DateTimeKind.Local ? receivedAt.ToUniversalTime() : DateTime.SpecifyKind(receivedAt, DateTimeKind.Utc);

        if (!string.Equals(evt.Type, ReportType, StringComparison.Ordinal))
        {
            reason = $"the event is not a sensor report (CoT type {ReportType})";
            return false;
        }

        CotElement? element = null;
        foreach (var candidate in evt.Detail.Elements)
        {
            if (string.Equals(candidate.Name, ElementName, StringComparison.Ordinal))
            {
                if (element is not null)
                {
                    reason = $"the event has more than one {ElementName} element";
                    return false;
                }

                element = candidate;
            }
        }

        if (element is null)
        {
            reason = $"the event has no {ElementName} element";
            return false;
        }

        var reportId = element.Attribute("reportId") ?? evt.Uid;
        if (!Id(reportId, "reportId", limits, out reason)
            || !Id(element.Attribute("sensor"), "sensor", limits, out reason)
            || !Id(element.Attribute("nation"), "nation", limits, out reason))
        {
            return false;
        }

        var sensorId = element.Attribute("sensor")!;
        var nation = element.Attribute("nation")!;

        if (!Time(element, "detectionTime", out var detection, out reason)
            || !Time(element, "launchTime", out var launch, out reason)
            || !State(element.Attribute("state"), out var state, out reason)
            || !Confidence(element.Attribute("confidence"), out var confidence, out refusal, out reason))
        {
            return false;
        }

        if (!TryExercise(evt, element, label, out var exercise, out refusal, out reason))
        {
            return false;
        }

        var launchPoint = new GeoPoint(evt.Point.Lat, evt.Point.Lon);
        if (!OnGlobe(launchPoint))
        {
            refusal = ReportRefusal.ImpossibleCoordinates;
            reason = "the launch point (the event's point) is not on the globe";
            return false;
        }

        ImpactEllipse? impact = null;
        DateTime? impactTime = null;
        if (element.Child("impact") is { } impactElement && !TryImpact(impactElement, limits, out impact, out impactTime, out refusal, out reason))
        {
            return false;
        }

        if (detection > receivedAt + limits.MaxClockSkew)
        {
            refusal = ReportRefusal.FutureTime;
            reason = $"the detection time is more than {limits.MaxClockSkew.TotalSeconds:0} s after the node received the report";
            return false;
        }

        if (detection < receivedAt - limits.MaxReportAge)
        {
            refusal = ReportRefusal.StaleTime;
            reason = $"the detection time is more than {limits.MaxReportAge.TotalMinutes:0} minutes before the node received the report";
            return false;
        }

        if (launch > detection + limits.MaxClockSkew)
        {
            refusal = ReportRefusal.FutureTime;
            reason = "the launch time is after the detection time";
            return false;
        }

        if (launch < detection - limits.MaxLaunchBeforeDetection)
        {
            refusal = ReportRefusal.StaleTime;
            reason = $"the launch time is more than {limits.MaxLaunchBeforeDetection.TotalMinutes:0} minutes before the detection time";
            return false;
        }

        if (impactTime is { } at && (at < launch || at > launch + limits.MaxFlightTime))
        {
            refusal = ReportRefusal.ImpactBeforeLaunch;
            reason = at < launch
                ? "the estimated impact time is before the launch time"
                : $"the estimated impact time is more than {limits.MaxFlightTime.TotalMinutes:0} minutes after the launch time";
            return false;
        }

        if (!catalog.TryFind(sensorId, out var sensor))
        {
            refusal = ReportRefusal.UnknownSensor;
            reason = $"the sensor is not in the sensor catalog {catalog.Id}";
            return false;
        }

        if (!string.Equals(sensor.Nation, nation, StringComparison.Ordinal))
        {
            refusal = ReportRefusal.SensorNationMismatch;
            reason = $"the sensor belongs to {sensor.Nation}, not to the nation the report names";
            return false;
        }

        report = new SensorReport(reportId, sensorId, nation, detection, launch, launchPoint, state, impact, impactTime, confidence, exercise, label, receivedAt);
        reason = null;
        return true;
    }

    private static bool Id([NotNullWhen(true)] string? value, string name, SensorReportLimits limits, [NotNullWhen(false)] out string? reason)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > limits.MaxIdLength || value.Any(char.IsControl))
        {
            reason = $"the {name} attribute is missing, empty, longer than {limits.MaxIdLength} characters or holds control characters";
            return false;
        }

        reason = null;
        return true;
    }

    private static bool Time(CotElement element, string name, out DateTime value, [NotNullWhen(false)] out string? reason)
    {
        if (element.Attribute(name) is not { } text || !CotTime.TryParse(text.Trim(), out value))
        {
            value = default;
            reason = $"the {name} attribute is missing or not an ISO 8601 UTC time";
            return false;
        }

        reason = null;
        return true;
    }

    private static bool State(string? text, out TrackState state, [NotNullWhen(false)] out string? reason)
    {
        switch (text)
        {
            case "launch": state = TrackState.Launch; break;
            case "tracking": state = TrackState.Tracking; break;
            case "overflight": state = TrackState.Overflight; break;
            case "landed": state = TrackState.Landed; break;
            case "cancelled": state = TrackState.Cancelled; break;
            default:
                state = default;
                reason = "the state attribute is not one of launch, tracking, overflight, landed, cancelled";
                return false;
        }

        reason = null;
        return true;
    }

    private static bool Confidence(string? text, out double confidence, out ReportRefusal refusal, [NotNullWhen(false)] out string? reason)
    {
        refusal = ReportRefusal.Malformed;
        if (text is null || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out confidence))
        {
            confidence = 0;
            reason = "the confidence attribute is missing or not a number";
            return false;
        }

        if (!(confidence is >= 0 and <= 1))
        {
            refusal = ReportRefusal.ConfidenceOutOfRange;
            reason = "the confidence is outside 0 to 1";
            return false;
        }

        reason = null;
        return true;
    }

    /// <summary>
    /// Exercise marking: the event's <c>opex</c> (CoT: "o…" operations, "e…" exercise, "x…"
    /// experiment, which is treated as exercise: never real) and the element's <c>exercise</c>;
    /// both must agree when both are given. A real report may not carry the EXERCISE caveat.
    /// </summary>
    private static bool TryExercise(CotEvent evt, CotElement element, ConfidentialityLabel label, out bool exercise, out ReportRefusal refusal, [NotNullWhen(false)] out string? reason)
    {
        exercise = false;
        refusal = ReportRefusal.Malformed;
        bool? fromOpex = null;
        var opex = evt.Opex?.Trim();
        if (!string.IsNullOrEmpty(opex))
        {
            fromOpex = char.ToLowerInvariant(opex[0]) switch
            {
                'o' => false,
                'e' or 'x' => true,
                _ => null,
            };
            if (fromOpex is null)
            {
                reason = "the opex attribute does not start with o (operations), e (exercise) or x (experiment)";
                return false;
            }
        }

        bool? fromElement = null;
        switch (element.Attribute("exercise")?.Trim())
        {
            case null: break;
            case "true": fromElement = true; break;
            case "false": fromElement = false; break;
            default:
                reason = "the exercise attribute is neither true nor false";
                return false;
        }

        if (fromOpex is { } a && fromElement is { } b && a != b)
        {
            refusal = ReportRefusal.ExerciseMismatch;
            reason = "the opex attribute and the exercise attribute disagree on whether this is an exercise";
            return false;
        }

        exercise = fromOpex ?? fromElement ?? false;
        if (!exercise && label.Caveat is { } caveat && caveat.Contains(ExerciseCaveat, StringComparison.OrdinalIgnoreCase))
        {
            refusal = ReportRefusal.ExerciseMismatch;
            reason = "the label carries the EXERCISE caveat but the report is not marked as an exercise";
            return false;
        }

        reason = null;
        return true;
    }

    private static bool TryImpact(CotElement element, SensorReportLimits limits, out ImpactEllipse? impact, out DateTime? time, out ReportRefusal refusal, [NotNullWhen(false)] out string? reason)
    {
        impact = null;
        time = null;
        refusal = ReportRefusal.Malformed;
        if (!Number(element, "lat", out var lat, out reason) || !Number(element, "lon", out var lon, out reason)
            || !Number(element, "semiMajor", out var major, out reason) || !Number(element, "semiMinor", out var minor, out reason)
            || !Number(element, "orientation", out var orientation, out reason))
        {
            return false;
        }

        var center = new GeoPoint(lat, lon);
        if (!OnGlobe(center))
        {
            refusal = ReportRefusal.ImpossibleCoordinates;
            reason = "the impact point is not on the globe";
            return false;
        }

        if (!(minor > 0) || !(major >= minor) || !(major <= limits.MaxSemiAxisMeters) || !(orientation is >= 0 and < 360))
        {
            refusal = ReportRefusal.ImpossibleEllipse;
            reason = $"the impact ellipse needs 0 < semiMinor ≤ semiMajor ≤ {limits.MaxSemiAxisMeters:0} m and 0 ≤ orientation < 360";
            return false;
        }

        if (element.Attribute("time") is { } text)
        {
            if (!CotTime.TryParse(text.Trim(), out var at))
            {
                reason = "the impact time attribute is not an ISO 8601 UTC time";
                return false;
            }

            time = at;
        }

        impact = new ImpactEllipse(center, major, minor, orientation);
        reason = null;
        return true;
    }

    private static bool Number(CotElement element, string name, out double value, [NotNullWhen(false)] out string? reason)
    {
        if (element.Attribute(name) is not { } text || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            value = 0;
            reason = $"the impact element's {name} attribute is missing or not a number";
            return false;
        }

        reason = null;
        return true;
    }

    private static bool OnGlobe(GeoPoint p) => p.Lat is >= -90 and <= 90 && p.Lon is >= -180 and <= 180;
}
