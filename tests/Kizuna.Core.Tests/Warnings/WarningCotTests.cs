using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;

namespace Kizuna.Core.Tests.Warnings;

/// <summary>A fused warning on the wire (b-w-m-w) and the acknowledgement that answers it (b-w-m-a).</summary>
public sealed class WarningCotTests
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly DateTime Now = new(2026, 11, 26, 1, 5, 0, DateTimeKind.Utc);

    private static WarningVersion Version(bool exercise) => new(
        "W-20261126010203-1", 3, WarningStage.TakeShelter, exercise, Now.AddSeconds(-5),
        new DateTime(2026, 11, 26, 1, 2, 3, DateTimeKind.Utc), new GeoPoint(39.0, 125.7),
        new ImpactEllipse(new GeoPoint(40.5, 139.2), 60_000, 25_000, 45), Now.AddMinutes(7), 0.85,
        ["05", "06"], ["JPN/FPS-5", "USA/TPY-2"], Labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]));

    [Fact]
    public void A_warning_keeps_one_uid_across_versions_and_survives_both_wire_formats()
    {
        var evt = WarningCot.ToEvent(Version(exercise: false), Labels, Now);
        Assert.Equal(WarningCot.Uid("W-20261126010203-1"), evt.Uid);
        Assert.Equal(WarningCot.WarningType, evt.Type);
        Assert.Equal("UNCLASSIFIED", evt.Access);
        Assert.Equal("USA,JPN,KOR", evt.ReleasableTo);
        Assert.Equal(40.5, evt.Point.Lat);

        foreach (var back in new[] { CotXml.Decode(CotXml.Encode(evt)), TakProto.DecodeMessage(TakProto.EncodeMessage(evt)).Event! })
        {
            var warning = back.Detail.Element(WarningCot.WarningElement)!;
            Assert.Equal("3", warning.Attribute("version"));
            Assert.Equal("take-shelter", warning.Attribute("stage"));
            Assert.Equal("false", warning.Attribute("exercise"));
            Assert.Equal("05,06", warning.Attribute("prefectures"));
            Assert.Equal("60000", warning.Child("impact")!.Attribute("semiMajor"));
        }
    }

    [Fact]
    public void An_exercise_warning_is_marked_exercise_in_opex_the_element_the_callsign_and_the_remarks()
    {
        var evt = WarningCot.ToEvent(Version(exercise: true), Labels, Now);
        Assert.Equal("e", evt.Opex);
        Assert.Equal("true", evt.Detail.Element(WarningCot.WarningElement)!.Attribute("exercise"));
        Assert.StartsWith("EXERCISE ", evt.Detail.ContactCallsign, StringComparison.Ordinal);
        Assert.StartsWith("EXERCISE EXERCISE EXERCISE", evt.Detail.Element("remarks")!.Text, StringComparison.Ordinal);

        var real = WarningCot.ToEvent(Version(exercise: false), Labels, Now);
        Assert.Equal("o", real.Opex);
        Assert.DoesNotContain("EXERCISE", real.Detail.InnerXml, StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledgement_names_the_warning_and_version_it_answers()
    {
        var ack = CotXml.Decode(CotXml.Encode(WarningCot.Acknowledgement("W-1", 2, "usfj-j3", Now)));
        Assert.True(WarningCot.TryReadAcknowledgement(ack, out var id, out var version, out var reason), reason);
        Assert.Equal(("W-1", 2), (id, version));
    }

    [Theory]
    [InlineData("<__missileAck version=\"1\"/>")]
    [InlineData("<__missileAck id=\"W-1\" version=\"0\"/>")]
    [InlineData("<__missileAck id=\"W-1\" version=\"one\"/>")]
    [InlineData("<remarks>ack</remarks>")]
    public void A_malformed_acknowledgement_is_refused_with_a_reason(string detail)
    {
        var evt = new CotEvent { Uid = "a", Type = WarningCot.AcknowledgementType, Time = Now, Start = Now, Stale = Now.AddMinutes(1), Detail = CotDetail.FromXml(detail) };
        Assert.False(WarningCot.TryReadAcknowledgement(evt, out _, out _, out var reason));
        Assert.False(string.IsNullOrEmpty(reason));
    }
}
