using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings;

/// <summary>A point on the WGS 84 ellipsoid, degrees.</summary>
public readonly record struct GeoPoint(double Lat, double Lon);

/// <summary>
/// An uncertainty ellipse around a predicted impact point: semi-axes in metres, the major axis
/// at <see cref="OrientationDegrees"/> clockwise from true north.
/// </summary>
public sealed record ImpactEllipse(GeoPoint Center, double SemiMajorMeters, double SemiMinorMeters, double OrientationDegrees);

/// <summary>What a sensor says about the missile's flight when it reports.</summary>
public enum TrackState
{
    /// <summary>Launch detected; no usable track yet.</summary>
    Launch,

    /// <summary>In flight, tracked; an impact estimate may be given.</summary>
    Tracking,

    /// <summary>The track passed over a territory without impact (overflight).</summary>
    Overflight,

    /// <summary>Impact observed or assessed.</summary>
    Landed,

    /// <summary>The earlier report of this launch was wrong: no launch, or not a missile.</summary>
    Cancelled,
}

/// <summary>
/// One sensor's report about one launch, as decoded from its CoT event (see docs/warnings.md for
/// the CoT type and detail element). Reports of several sensors and nations about the same
/// launch are fused into one <see cref="WarningVersion"/> sequence.
/// </summary>
public sealed record SensorReport(
    string ReportId,
    string Sensor,
    string Nation,
    DateTime DetectionTime,
    DateTime LaunchTime,
    GeoPoint LaunchPoint,
    TrackState State,
    ImpactEllipse? PredictedImpact,
    DateTime? EstimatedImpactTime,
    double Confidence,
    bool Exercise,
    ConfidentialityLabel Label,
    DateTime ReceivedAt);

/// <summary>
/// Where a warning stands, in the order of the J-Alert sequence: launch; take shelter now (an
/// impact is expected on or near Japan); overflight; landed outside Japan; landed in Japan; and
/// the correction that cancels it.
/// </summary>
public enum WarningStage
{
    Launch,
    TakeShelter,
    Overflight,
    LandedOutsideJapan,
    LandedInJapan,
    Cancelled,
}

/// <summary>
/// One version of a fused warning. Every version is stored durably before anyone is told of it;
/// a later version supersedes an earlier one (better impact estimate, overflight, landed), and a
/// <see cref="WarningStage.Cancelled"/> version closes the warning.
/// </summary>
/// <param name="WarningId">Stable across versions.</param>
/// <param name="Version">1, 2, 3, ... in the order the node issued them.</param>
/// <param name="AffectedPrefectures">JIS X 0401 codes ("01" Hokkaido … "47" Okinawa) of the prefectures the predicted impact area touches; empty when none.</param>
/// <param name="Sensors">The sensors whose reports this version fuses, "NATION/SENSOR".</param>
/// <param name="Label">The most restrictive combination of the fused reports' labels.</param>
/// <param name="Audience">
/// <see cref="WarningViews.Everyone"/> ("") for the view fused from every report; a nation code
/// for the view fused from only the reports releasable to that nation, issued when the full
/// view is not (see <see cref="WarningViews"/>).
/// </param>
public sealed record WarningVersion(
    string WarningId,
    int Version,
    WarningStage Stage,
    bool Exercise,
    DateTime IssuedAt,
    DateTime LaunchTime,
    GeoPoint LaunchPoint,
    ImpactEllipse? PredictedImpact,
    DateTime? EstimatedImpactTime,
    double Confidence,
    IReadOnlyList<string> AffectedPrefectures,
    IReadOnlyList<string> Sensors,
    ConfidentialityLabel Label,
    string Audience = "");
