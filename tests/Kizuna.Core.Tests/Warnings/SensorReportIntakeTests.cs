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

        var unknown = intake.Offer(Event(Element(sensor: "NOPE")), All, T0);
        var offGlobe = intake.Offer(Event(Element(), lat: 123), All, T0);
        var again = intake.Offer(Event(Element(sensor: "NOPE")), All, T0);

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
        var first = intake.Offer(Event(Element()), All, T0);
        var duplicate = intake.Offer(Event(Element()), All, T0);

        Assert.False(first.Refused);
        Assert.Equal(FusionResult.Published, first.Fusion.Result);
        Assert.Equal(1, first.Fusion.Version!.Version);
        Assert.Equal(FusionResult.Duplicate, duplicate.Fusion.Result);
        Assert.Equal(1, intake.FusedCount(FusionResult.Published));
        Assert.Equal(1, intake.FusedCount(FusionResult.Duplicate));
    }
}
