using System.Globalization;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;

namespace Kizuna.Core.Tests.Warnings;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTime start) : TimeProvider
{
    public DateTime Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
}

/// <summary>The default alliance and sensor catalog, and builders for report events and reports.</summary>
internal static class WarningKit
{
    public static readonly LabelPolicy Policy = new(ProfileLoader.LoadDefault());
    public static readonly SensorCatalog Catalog = SensorCatalog.LoadDefault();
    public static readonly DateTime T0 = new(2026, 11, 26, 3, 0, 0, DateTimeKind.Utc);

    public static ConfidentialityLabel All => Policy.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]);

    /// <summary>An identity as a certificate gives it: a JASDF-ADC sensor feed (the operator of the J/FPS-5 radars) unless told otherwise.</summary>
    public static Principal Feed(string organization = "JASDF-ADC", string role = SensorAuthority.SensorFeedRole, string? nation = null, params string[] authorizations)
    {
        var org = Policy.Profile.FindOrganization(organization)!;
        Assert.True(Policy.TryCreatePrincipal(new IdentityClaims("t-" + organization, nation ?? org.Nation, organization, role, "SECRET", authorizations), out var principal, out var reason), reason);
        return principal!;
    }

    /// <summary>The sensor feed of the J/FPS-5 radars.</summary>
    public static Principal JapanRadarFeed { get; } = Feed();

    /// <summary>A stub of the prefecture function: an ellipse whose centre lies between 139°E and 141°E touches Akita ("05"); further east is the Pacific.</summary>
    public static IReadOnlyList<string> Prefectures(ImpactEllipse e) => e.Center.Lon is > 139 and < 141 ? ["05"] : [];

    public static WarningFusion Fusion(ManualClock? clock = null) => new(Policy, Prefectures, clock ?? new ManualClock(T0));

    public static SensorReport Report(
        string id,
        string sensor = "FPS5-SADO",
        string nation = "JPN",
        double detectionSeconds = 0,
        double launchSeconds = -30,
        TrackState state = TrackState.Launch,
        double impactLon = 0,
        double semiMajor = 50_000,
        double confidence = 0.5,
        bool exercise = false,
        ConfidentialityLabel? label = null,
        double launchLat = 39.2,
        double launchLon = 125.67)
        => new(
            id,
            sensor,
            nation,
            T0.AddSeconds(detectionSeconds),
            T0.AddSeconds(launchSeconds),
            new GeoPoint(launchLat, launchLon),
            state,
            impactLon == 0 ? null : new ImpactEllipse(new GeoPoint(40.7, impactLon), semiMajor, semiMajor / 2, 70),
            impactLon == 0 ? null : T0.AddMinutes(5),
            confidence,
            exercise,
            label ?? All,
            T0.AddSeconds(detectionSeconds + 1));

    public static CotEvent Event(string element, string? opex = null, double lat = 39.2, double lon = 125.67, string type = SensorReportReader.ReportType)
        => new()
        {
            Uid = "r-1",
            Type = type,
            Time = T0,
            Start = T0,
            Stale = T0.AddMinutes(10),
            Opex = opex,
            Point = new CotPoint(lat, lon, 0, 1000, 9999999),
            Detail = CotDetail.FromXml(element),
        };

    public static string Element(
        string sensor = "FPS5-SADO",
        string nation = "JPN",
        string detection = "2026-11-26T03:00:00Z",
        string launch = "2026-11-26T02:59:30Z",
        string state = "tracking",
        string confidence = "0.7",
        string? exercise = null,
        string? impact = """<impact lat="40.7" lon="138.5" semiMajor="50000" semiMinor="20000" orientation="70" time="2026-11-26T03:05:00Z"/>""")
    {
        var ex = exercise is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" exercise=\"{exercise}\"");
        return $"""<__missileReport reportId="R-1" sensor="{sensor}" nation="{nation}" detectionTime="{detection}" launchTime="{launch}" state="{state}" confidence="{confidence}"{ex}>{impact}</__missileReport>""";
    }
}
