using System.Globalization;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Warnings;

/// <summary>
/// A fused warning as TAK clients receive it (CoT type <c>b-w-m-w</c>), and the acknowledgement
/// they send back (<c>b-w-m-a</c>). The uid is stable per warning, so a client's map shows one
/// warning that updates; each version says its number, stage and whether it is an exercise.
/// </summary>
public static class WarningCot
{
    public const string WarningType = SensorReportReader.WarningType;
    public const string AcknowledgementType = SensorReportReader.AcknowledgementType;
    public const string WarningElement = "__missileWarning";
    public const string AcknowledgementElement = "__missileAck";

    /// <summary>How long a client keeps a warning on its map after the node last said something of it.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    public static string Uid(string warningId) => "kizuna-warning-" + warningId;

    /// <summary>
    /// The event for one version, stamped with the version's label. An exercise is marked three
    /// ways, so no client can take it for a real warning: <c>opex="e"</c>, <c>exercise="true"</c>
    /// on the element, and remarks that begin "EXERCISE EXERCISE EXERCISE".
    /// </summary>
    public static CotEvent ToEvent(WarningVersion version, LabelPolicy labels, DateTime now) => ToEvent(version, labels, now, escalatedFrom: null);

    /// <summary>
    /// The event for one version; with <paramref name="escalatedFrom"/>, the escalation sent up a
    /// national chain because that organization has not acknowledged it: its own uid, so it
    /// stands beside the warning on a map, and <c>escalatedFrom</c> on the element.
    /// </summary>
    public static CotEvent ToEvent(WarningVersion version, LabelPolicy labels, DateTime now, string? escalatedFrom)
    {
        var warning = new CotElement(WarningElement);
        Add(warning, "id", version.WarningId);
        Add(warning, "version", version.Version.ToString(CultureInfo.InvariantCulture));
        Add(warning, "stage", StageName(version.Stage));
        Add(warning, "exercise", version.Exercise ? "true" : "false");
        Add(warning, "issued", CotTime.Format(version.IssuedAt));
        Add(warning, "launchTime", CotTime.Format(version.LaunchTime));
        Add(warning, "confidence", version.Confidence.ToString("0.###", CultureInfo.InvariantCulture));
        Add(warning, "sensors", string.Join(',', version.Sensors));
        Add(warning, "prefectures", string.Join(',', version.AffectedPrefectures));
        if (version.Audience.Length > 0)
        {
            // A nation's view (WarningViews): fused from only the reports releasable to that nation.
            Add(warning, "view", version.Audience);
        }

        if (escalatedFrom is not null)
        {
            Add(warning, "escalatedFrom", escalatedFrom);
        }

        var launch = new CotElement("launch");
        Add(launch, "lat", Number(version.LaunchPoint.Lat));
        Add(launch, "lon", Number(version.LaunchPoint.Lon));
        warning.Content.Add(launch);
        if (version.PredictedImpact is { } impact)
        {
            var element = new CotElement("impact");
            Add(element, "lat", Number(impact.Center.Lat));
            Add(element, "lon", Number(impact.Center.Lon));
            Add(element, "semiMajor", Number(impact.SemiMajorMeters));
            Add(element, "semiMinor", Number(impact.SemiMinorMeters));
            Add(element, "orientation", Number(impact.OrientationDegrees));
            if (version.EstimatedImpactTime is { } at)
            {
                Add(element, "time", CotTime.Format(at));
            }

            warning.Content.Add(element);
        }

        var remarks = new CotElement("remarks");
        remarks.Content.Add((version.Exercise ? "EXERCISE EXERCISE EXERCISE. " : string.Empty)
                            + $"Missile warning {version.WarningId} v{version.Version}: {StageName(version.Stage)}"
                            + (version.AffectedPrefectures.Count > 0 ? $"; prefectures {string.Join(", ", version.AffectedPrefectures)}" : string.Empty));
        var contact = new CotElement("contact");
        Add(contact, "callsign", (version.Exercise ? "EXERCISE " : string.Empty) + "MISSILE WARNING " + version.WarningId);

        var point = version.PredictedImpact?.Center ?? version.LaunchPoint;
        var evt = new CotEvent
        {
            Uid = escalatedFrom is null ? Uid(version.WarningId) : $"{Uid(version.WarningId)}-escalation-{escalatedFrom}",
            Type = WarningType,
            How = "m-f",
            Opex = version.Exercise ? "e" : "o",
            Time = now,
            Start = version.IssuedAt,
            Stale = now + StaleAfter,
            Point = new CotPoint(point.Lat, point.Lon, CotPoint.UnknownValue, version.PredictedImpact?.SemiMajorMeters ?? CotPoint.UnknownValue, CotPoint.UnknownValue),
            Detail = CotDetail.FromElements([contact, warning, remarks]),
        };
        labels.Stamp(evt, version.Label);
        return evt;
    }

    /// <summary>An acknowledgement a client sends for one version: <c>&lt;__missileAck id="…" version="…"/&gt;</c>.</summary>
    public static CotEvent Acknowledgement(string warningId, int version, string senderUid, DateTime now)
    {
        var ack = new CotElement(AcknowledgementElement);
        Add(ack, "id", warningId);
        Add(ack, "version", version.ToString(CultureInfo.InvariantCulture));
        return new CotEvent
        {
            Uid = $"{senderUid}-ack-{warningId}-{version}",
            Type = AcknowledgementType,
            How = "h-e",
            Time = now,
            Start = now,
            Stale = now.AddMinutes(10),
            Detail = CotDetail.FromElements([ack]),
        };
    }

    /// <summary>Reads an acknowledgement; false (with a reason) when the event is not a well-formed one.</summary>
    public static bool TryReadAcknowledgement(CotEvent evt, out string warningId, out int version, out string? reason)
    {
        warningId = string.Empty;
        version = 0;
        if (!string.Equals(evt.Type, AcknowledgementType, StringComparison.Ordinal) || evt.Detail.Element(AcknowledgementElement) is not { } ack)
        {
            reason = $"an acknowledgement is a {AcknowledgementType} event with a {AcknowledgementElement} element";
            return false;
        }

        if (ack.Attribute("id") is not { Length: > 0 } id
            || !int.TryParse(ack.Attribute("version"), NumberStyles.None, CultureInfo.InvariantCulture, out version) || version < 1)
        {
            reason = "an acknowledgement names the warning id and a version number from 1";
            return false;
        }

        warningId = id;
        reason = null;
        return true;
    }

    public static string StageName(WarningStage stage) => stage switch
    {
        WarningStage.Launch => "launch",
        WarningStage.TakeShelter => "take-shelter",
        WarningStage.Overflight => "overflight",
        WarningStage.LandedOutsideJapan => "landed-outside-japan",
        WarningStage.LandedInJapan => "landed-in-japan",
        WarningStage.Cancelled => "cancelled",
        _ => stage.ToString(),
    };

    private static void Add(CotElement element, string name, string value) => element.Attributes.Add(new(name, value));

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
