using Kizuna.Core.Warnings;
using static Kizuna.Core.Tests.Warnings.WarningKit;

namespace Kizuna.Core.Tests.Warnings;

public sealed class SensorReportIntakeTests
{
    [Fact]
    public void Refused_reports_are_counted_by_reason_and_never_fused()
    {
        var fusion = Fusion();
        var intake = new SensorReportIntake(Catalog, fusion);

        var unknown = intake.Offer(Event(Element(sensor: "NOPE")), All, T0, JapanRadarFeed);
        var offGlobe = intake.Offer(Event(Element(), lat: 123), All, T0, JapanRadarFeed);
        var again = intake.Offer(Event(Element(sensor: "NOPE")), All, T0, JapanRadarFeed);

        Assert.True(unknown.Refused);
        Assert.Equal(ReportRefusal.UnknownSensor, unknown.Refusal);
        Assert.NotNull(unknown.Reason);
        Assert.Null(unknown.Report);
        Assert.Equal(ReportRefusal.ImpossibleCoordinates, offGlobe.Refusal);
        Assert.True(again.Refused);
        Assert.Equal(2, intake.RefusedCount(ReportRefusal.UnknownSensor));
        Assert.Equal(1, intake.RefusedCount(ReportRefusal.ImpossibleCoordinates));
        Assert.Equal(0, intake.RefusedCount(ReportRefusal.FutureTime));
        Assert.Empty(fusion.Warnings());
    }

    [Fact]
    public void Accepted_reports_are_fused_and_counted_by_what_fusion_did()
    {
        var intake = new SensorReportIntake(Catalog, Fusion());
        var first = intake.Offer(Event(Element()), All, T0, JapanRadarFeed);
        var duplicate = intake.Offer(Event(Element()), All, T0, JapanRadarFeed);

        Assert.False(first.Refused);
        Assert.Equal(FusionResult.Published, first.Fusion.Result);
        Assert.Equal(1, first.Fusion.Version!.Version);
        Assert.Equal(FusionResult.Duplicate, duplicate.Fusion.Result);
        Assert.Equal(1, intake.FusedCount(FusionResult.Published));
        Assert.Equal(1, intake.FusedCount(FusionResult.Duplicate));
    }

    [Theory]
    [InlineData("JASDF-ADC", "operator", null, ReportRefusal.NotSensorFeed)]
    [InlineData("ROK-JCS", "sensor-feed", null, ReportRefusal.NotSensorOperator)]
    [InlineData("ROKAF-OC", "sensor-feed", "sensor:GREEN-PINE-1", ReportRefusal.NotSensorOperator)]
    [InlineData("JMSDF-SDF", "sensor-feed", null, ReportRefusal.NotSensorOperator)]
    [InlineData("USFJ", "sensor-feed", "sensor:FPS5-SADO", ReportRefusal.SenderNationMismatch)]
    public void A_report_of_a_japanese_radar_is_refused_unless_a_japanese_sensor_feed_of_its_operator_or_holding_it_sends_it(
        string organization, string role, string? authorization, ReportRefusal expected)
    {
        var fusion = Fusion();
        var intake = new SensorReportIntake(Catalog, fusion);
        var sender = Feed(organization, role, authorizations: authorization is null ? [] : [authorization]);

        // A cancellation is a report like any other: the same rule.
        var report = intake.Offer(Event(Element(sensor: "FPS5-SADO", nation: "JPN")), All, T0, sender);
        var cancel = intake.Offer(Event(Element(sensor: "FPS5-SADO", nation: "JPN", state: "cancelled")), All, T0, sender);

        Assert.Equal(expected, report.Refusal);
        Assert.Equal(expected, cancel.Refusal);
        Assert.Equal(2, intake.RefusedCount(expected));
        Assert.Empty(fusion.Warnings());
    }

    [Fact]
    public void An_anonymous_client_is_never_a_sensor_feed()
    {
        var fusion = Fusion();
        var intake = new SensorReportIntake(Catalog, fusion);
        var anonymous = Policy.Anonymous("JASDF-ADC", "tcp:127.0.0.1:5000");

        Assert.Equal(ReportRefusal.NotSensorFeed, intake.Offer(Event(Element()), All, T0, anonymous).Refusal);
        Assert.Empty(fusion.Warnings());
    }

    [Fact]
    public void A_sensor_feed_of_another_organization_holding_the_sensor_explicitly_may_feed_it()
    {
        var intake = new SensorReportIntake(Catalog, Fusion());
        var jjocRelay = Feed("JJOC", authorizations: ["sensor:FPS5-SADO"]);

        Assert.False(intake.Offer(Event(Element()), All, T0, jjocRelay).Refused);
        Assert.Equal(ReportRefusal.NotSensorOperator, intake.Offer(Event(Element(sensor: "DDG-MAYA")), All, T0, jjocRelay).Refusal);
    }
}
