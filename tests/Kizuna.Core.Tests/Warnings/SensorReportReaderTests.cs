using Kizuna.Core.Warnings;
using static Kizuna.Core.Tests.Warnings.WarningKit;

namespace Kizuna.Core.Tests.Warnings;

public sealed class SensorReportReaderTests
{
    private static readonly DateTime Received = T0.AddSeconds(2);

    private static (bool Ok, SensorReport? Report, ReportRefusal Refusal, string? Reason) Read(Kizuna.Cot.CotEvent evt, Kizuna.Core.Labels.ConfidentialityLabel? label = null)
    {
        var ok = SensorReportReader.TryRead(evt, label ?? All, Received, Catalog, SensorReportLimits.Default, out var report, out var refusal, out var reason);
        return (ok, report, refusal, reason);
    }

    [Fact]
    public void A_good_report_is_read_with_every_field()
    {
        var (ok, report, _, reason) = Read(Event(Element(), opex: "o"));

        Assert.True(ok, reason);
        Assert.NotNull(report);
        Assert.Equal("R-1", report.ReportId);
        Assert.Equal("FPS5-SADO", report.Sensor);
        Assert.Equal("JPN", report.Nation);
        Assert.Equal(T0, report.DetectionTime);
        Assert.Equal(T0.AddSeconds(-30), report.LaunchTime);
        Assert.Equal(new GeoPoint(39.2, 125.67), report.LaunchPoint);
        Assert.Equal(TrackState.Tracking, report.State);
        Assert.Equal(new ImpactEllipse(new GeoPoint(40.7, 138.5), 50000, 20000, 70), report.PredictedImpact);
        Assert.Equal(T0.AddMinutes(5), report.EstimatedImpactTime);
        Assert.Equal(0.7, report.Confidence);
        Assert.False(report.Exercise);
        Assert.Equal(All, report.Label);
        Assert.Equal(Received, report.ReceivedAt);
    }

    [Fact]
    public void The_short_form_reads_the_same_report()
    {
        Assert.True(SensorReportReader.TryRead(Event(Element(impact: null, state: "launch")), All, Received, Catalog, out var report, out var reason), reason);
        Assert.Null(report.PredictedImpact);
        Assert.Null(report.EstimatedImpactTime);
        Assert.Equal(TrackState.Launch, report.State);
    }

    [Theory]
    [InlineData("e-FREEDOM-EDGE", null, true)]
    [InlineData("x", null, true)]
    [InlineData(null, "true", true)]
    [InlineData("e", "true", true)]
    [InlineData("o", "false", false)]
    [InlineData(null, null, false)]
    public void Exercise_comes_from_opex_or_the_element(string? opex, string? exercise, bool expected)
    {
        var (ok, report, _, reason) = Read(Event(Element(exercise: exercise), opex: opex));
        Assert.True(ok, reason);
        Assert.Equal(expected, report!.Exercise);
    }

    [Fact]
    public void The_reports_id_defaults_to_the_event_uid()
    {
        var element = Element().Replace("reportId=\"R-1\" ", string.Empty, StringComparison.Ordinal);
        var (ok, report, _, reason) = Read(Event(element));
        Assert.True(ok, reason);
        Assert.Equal("r-1", report!.ReportId);
    }

    public static TheoryData<string, string, ReportRefusal> BadReports => new()
    {
        { "not a report type", "type", ReportRefusal.Malformed },
        { "no report element", "missing", ReportRefusal.Malformed },
        { "unknown state", "state", ReportRefusal.Malformed },
        { "bad detection time", "detectionText", ReportRefusal.Malformed },
        { "launch latitude beyond 90", "lat", ReportRefusal.ImpossibleCoordinates },
        { "launch longitude beyond 180", "lon", ReportRefusal.ImpossibleCoordinates },
        { "impact latitude NaN", "impactNaN", ReportRefusal.ImpossibleCoordinates },
        { "semi-axis zero", "axisZero", ReportRefusal.ImpossibleEllipse },
        { "semi-axis absurd", "axisHuge", ReportRefusal.ImpossibleEllipse },
        { "minor longer than major", "axisSwap", ReportRefusal.ImpossibleEllipse },
        { "detection ten minutes in the future", "future", ReportRefusal.FutureTime },
        { "launch after detection", "launchAfter", ReportRefusal.FutureTime },
        { "detection a day old", "stale", ReportRefusal.StaleTime },
        { "impact before launch", "impactBefore", ReportRefusal.ImpactBeforeLaunch },
        { "confidence above one", "confidenceHigh", ReportRefusal.ConfidenceOutOfRange },
        { "confidence below zero", "confidenceLow", ReportRefusal.ConfidenceOutOfRange },
        { "unknown sensor", "sensor", ReportRefusal.UnknownSensor },
        { "sensor of another nation", "nation", ReportRefusal.SensorNationMismatch },
        { "opex and exercise disagree", "exerciseMismatch", ReportRefusal.ExerciseMismatch },
        { "real report with the EXERCISE caveat", "caveat", ReportRefusal.ExerciseMismatch },
    };

    [Theory]
    [MemberData(nameof(BadReports))]
    public void Each_bad_input_is_refused_with_its_reason(string what, string variant, ReportRefusal expected)
    {
        var label = All;
        var evt = variant switch
        {
            "type" => Event(Element(), type: "a-f-G"),
            "missing" => Event("<remarks>no report</remarks>"),
            "state" => Event(Element(state: "intercepted")),
            "detectionText" => Event(Element(detection: "yesterday")),
            "lat" => Event(Element(), lat: 91),
            "lon" => Event(Element(), lon: -180.5),
            "impactNaN" => Event(Element(impact: """<impact lat="NaN" lon="138" semiMajor="1000" semiMinor="500" orientation="0"/>""")),
            "axisZero" => Event(Element(impact: """<impact lat="40" lon="138" semiMajor="1000" semiMinor="0" orientation="0"/>""")),
            "axisHuge" => Event(Element(impact: """<impact lat="40" lon="138" semiMajor="5000000" semiMinor="500" orientation="0"/>""")),
            "axisSwap" => Event(Element(impact: """<impact lat="40" lon="138" semiMajor="500" semiMinor="1000" orientation="0"/>""")),
            "future" => Event(Element(detection: "2026-11-26T03:10:00Z", launch: "2026-11-26T03:09:00Z", impact: null)),
            "launchAfter" => Event(Element(launch: "2026-11-26T03:05:00Z", impact: null)),
            "stale" => Event(Element(detection: "2026-11-25T03:00:00Z", launch: "2026-11-25T02:59:00Z", impact: null)),
            "impactBefore" => Event(Element(impact: """<impact lat="40" lon="138" semiMajor="1000" semiMinor="500" orientation="0" time="2026-11-26T02:50:00Z"/>""")),
            "confidenceHigh" => Event(Element(confidence: "1.5")),
            "confidenceLow" => Event(Element(confidence: "-0.1")),
            "sensor" => Event(Element(sensor: "HOME-MADE-RADAR")),
            "nation" => Event(Element(sensor: "TPY2-SHARIKI", nation: "JPN")),
            "exerciseMismatch" => Event(Element(exercise: "false"), opex: "e-FREEDOM-EDGE"),
            "caveat" => Event(Element(), opex: "o"),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        if (variant == "caveat")
        {
            label = Policy.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"], caveat: "EXERCISE");
        }

        var (ok, report, refusal, reason) = Read(evt, label);

        Assert.False(ok, what);
        Assert.Null(report);
        Assert.Equal(expected, refusal);
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void A_reason_never_echoes_the_senders_text()
    {
        var (ok, _, refusal, reason) = Read(Event(Element(sensor: "<script>")));
        Assert.False(ok);
        Assert.Equal(ReportRefusal.UnknownSensor, refusal);
        Assert.DoesNotContain("script", reason, StringComparison.Ordinal);
    }
}
