using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using static Kizuna.Core.Tests.Warnings.WarningKit;

namespace Kizuna.Core.Tests.Warnings;

/// <summary>The example reports in docs/examples/warning parse, pass the door, and fuse as docs/warnings.md says.</summary>
public sealed class WarningExamplesTests
{
    private static readonly DirectoryInfo Examples = FindExamples();

    /// <summary>The examples' prefecture stub: an ellipse that reaches the Oga peninsula (Akita, "05").</summary>
    private static IReadOnlyList<string> Akita(ImpactEllipse e)
        => Geo.DistanceMeters(e.Center, new GeoPoint(39.88, 139.85)) <= e.SemiMajorMeters ? ["05"] : [];

    private static Principal Sender(string nation)
    {
        var organization = nation switch { "JPN" => "JJOC", "USA" => "USFJ", _ => "ROK-JCS" };
        Assert.True(Policy.TryCreatePrincipal(new IdentityClaims("sender", nation, organization, "operator", "CONFIDENTIAL", []), out var principal, out var reason), reason);
        return principal;
    }

    /// <summary>The sensor feed of the organization the catalog names as the sensor's operator.</summary>
    private static Principal FeedOf(string sensorId)
    {
        Assert.True(Catalog.TryFind(sensorId, out var sensor));
        Assert.True(Policy.TryCreatePrincipal(new IdentityClaims("feed", sensor.Nation, sensor.Operator, SensorAuthority.SensorFeedRole, "CONFIDENTIAL", []), out var principal, out var reason), reason);
        return principal;
    }

    /// <summary>What the node does with a file sent at <paramref name="sentAt"/> by its sensor's feed: resolve times, decode, accept the label, check the sender, read the report.</summary>
    private static SensorReport Receive(string file, DateTime sentAt)
    {
        var xml = ExampleTimes.Resolve(File.ReadAllText(Path.Combine(Examples.FullName, file)), sentAt);
        Assert.DoesNotContain("\"NOW", xml, StringComparison.Ordinal);
        var evt = CotXml.Decode(xml);
        var sender = FeedOf(evt.Detail.Element(SensorReportReader.ElementName)!.Attribute("sensor")!);
        var verdict = Policy.Accept(evt, sender);
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.True(SensorReportReader.TryRead(evt, verdict.Label, sentAt.AddSeconds(1), Catalog, out var report, out var refusal), $"{file}: {refusal}");
        Assert.True(Catalog.TryFind(report.Sensor, out var sensor));
        Assert.True(SensorAuthority.TryAuthorize(sender, sensor, report.Nation, out _, out var why), $"{file}: {why}");
        return report;
    }

    [Fact]
    public void The_example_sequence_fuses_into_one_warning_launch_update_and_cancellation()
    {
        var clock = new ManualClock(T0);
        var fusion = new WarningFusion(Policy, Akita, clock);
        string[] files = ["01-jpn-fps5-launch.xml", "02-usa-tpy2-track.xml", "03-jpn-aegis-update.xml", "04-cancel.xml", "05-jpn-cancel.xml"];
        var versions = new List<WarningVersion>();
        var korea = Sender("KOR");
        WarningVersion? koreaHeld = null;
        for (var i = 0; i < files.Length; i++)
        {
            clock.Now = T0.AddSeconds(30 * i);
            var outcome = fusion.Offer(Receive(files[i], clock.Now));
            Assert.True(outcome.HasVersion, $"{files[i]}: {outcome.Result}");
            versions.Add(outcome.Version!);
            koreaHeld = WarningViews.For(korea, outcome.Current);
            if (i == 3)
            {
                // The US cancellation withdraws the US estimate from Korea's view: what 01 alone said.
                Assert.Equal(("KOR", WarningStage.Launch), (koreaHeld!.Audience, koreaHeld.Stage));
                Assert.Equal(["JPN/FPS5-SADO"], koreaHeld.Sensors);
            }
        }

        Assert.Single(versions.Select(v => v.WarningId).Distinct());
        Assert.Equal([1, 2, 3, 4, 5], versions.Select(v => v.Version));
        Assert.Equal([WarningStage.Launch, WarningStage.Launch, WarningStage.Launch, WarningStage.Launch, WarningStage.Cancelled], versions.Select(v => v.Stage));
        Assert.All(versions, v => Assert.False(v.Exercise));
        Assert.All(versions, v => Assert.Equal(T0.AddSeconds(-30), v.LaunchTime));

        Assert.Null(versions[0].PredictedImpact);
        Assert.Equal(120_000, versions[1].PredictedImpact!.SemiMajorMeters);
        Assert.Equal(25_000, versions[2].PredictedImpact!.SemiMajorMeters);
        Assert.Equal(T0.AddSeconds(60 + 240), versions[2].EstimatedImpactTime);
        Assert.All(versions, v => Assert.Empty(v.AffectedPrefectures));
        Assert.Equal(["JPN/DDG-MAYA", "JPN/FPS5-SADO", "USA/TPY2-SHARIKI"], versions[2].Sensors);

        // 04: the United States withdraws; Japan's sensors still support the warning, which stays open.
        Assert.Equal(["JPN/DDG-MAYA", "JPN/FPS5-SADO"], versions[3].Sensors);
        Assert.Equal(25_000, versions[3].PredictedImpact!.SemiMajorMeters);

        // 03 is releasable to Japan only: from then on the warning is Japan-only, and Korea never sees it.
        Assert.Equal(["USA", "JPN", "KOR"], versions[1].Label.ReleasableTo);
        Assert.Equal(["JPN"], versions[2].Label.ReleasableTo);
        Assert.Equal(["JPN"], versions[4].Label.ReleasableTo);
        Assert.Equal([true, true, false, false, false], versions.Select(v => AccessControl.Permits(korea, v.Label)));

        // Korea's view is cancelled with the full view.
        Assert.Equal(("KOR", WarningStage.Cancelled), (koreaHeld!.Audience, koreaHeld.Stage));

        // Sending 02 again is a duplicate; a report 05 withdrew changes nothing after the cancellation.
        clock.Now = T0.AddSeconds(150);
        Assert.Equal(FusionResult.Duplicate, fusion.Offer(Receive("02-usa-tpy2-track.xml", T0.AddSeconds(30))).Result);
    }

    [Fact]
    public void The_freedom_edge_example_is_an_exercise_end_to_end_and_never_fuses_with_real_reports()
    {
        var fusion = new WarningFusion(Policy, Akita, new ManualClock(T0));
        var real = fusion.Offer(Receive("01-jpn-fps5-launch.xml", T0)).Version!;
        var report = Receive("exercise-freedom-edge.xml", T0);

        Assert.True(report.Exercise);
        Assert.Equal("EXERCISE", report.Label.Caveat);

        var drill = fusion.Offer(report).Version!;
        Assert.True(drill.Exercise);
        Assert.StartsWith("EX-W-", drill.WarningId, StringComparison.Ordinal);
        Assert.NotEqual(real.WarningId, drill.WarningId);
        Assert.Equal("UNCLASSIFIED//EXERCISE//REL TO USA, JPN, KOR", drill.Label.Banner);

        // A drill report placed on the real launch's point and time makes an exercise warning of its own; the real one is untouched.
        var onTheRealLaunch = report with { ReportId = "EX-2", LaunchPoint = real.LaunchPoint, LaunchTime = real.LaunchTime };
        var other = fusion.Offer(onTheRealLaunch).Version!;
        Assert.True(other.Exercise);
        Assert.NotEqual(real.WarningId, other.WarningId);
        Assert.StartsWith("EX-W-", other.WarningId, StringComparison.Ordinal);
        Assert.Equal(1, fusion.Warnings().Single(w => !w.Exercise).Version);
    }

    [Fact]
    public void Every_example_is_a_report_the_node_accepts()
    {
        var files = Examples.GetFiles("*.xml");
        Assert.Equal(7, files.Length);
        foreach (var file in files)
        {
            var report = Receive(file.Name, T0);
            Assert.Equal(file.Name.StartsWith("exercise", StringComparison.Ordinal), report.Exercise);
        }
    }

    private static DirectoryInfo FindExamples()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kizuna.slnx")))
        {
            directory = directory.Parent;
        }

        return new DirectoryInfo(Path.Combine(directory!.FullName, "docs", "examples", "warning"));
    }
}
