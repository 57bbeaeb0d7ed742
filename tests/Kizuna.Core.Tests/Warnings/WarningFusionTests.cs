using Kizuna.Core.Warnings;
using static Kizuna.Core.Tests.Warnings.WarningKit;

namespace Kizuna.Core.Tests.Warnings;

public sealed class WarningFusionTests
{
    private static readonly string[] Shuffled = ["01", "02", "03", "04", "05", "06"];

    private static WarningVersion Published(FusionOutcome outcome)
    {
        Assert.Equal(FusionResult.Published, outcome.Result);
        Assert.NotNull(outcome.Version);
        return outcome.Version;
    }

    [Fact]
    public void Two_sensors_of_two_nations_about_one_launch_fuse_into_one_warning()
    {
        var fusion = Fusion();

        var first = Published(fusion.Offer(Report("J-1", confidence: 0.6)));
        var second = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 30, launchSeconds: -40, state: TrackState.Tracking, impactLon: 138.5, confidence: 0.8, launchLat: 39.3, launchLon: 125.8)));

        Assert.Equal(first.WarningId, second.WarningId);
        Assert.StartsWith("W-20261126T025930Z-", first.WarningId, StringComparison.Ordinal);
        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        Assert.Equal(WarningStage.Launch, first.Stage);
        Assert.Equal(WarningStage.Launch, second.Stage);
        Assert.Null(first.PredictedImpact);
        Assert.Equal(138.5, second.PredictedImpact!.Center.Lon);
        Assert.Equal(["JPN/FPS5-SADO", "USA/TPY2-SHARIKI"], second.Sensors);
        Assert.Equal(0.8, second.Confidence);
        Assert.Single(fusion.Warnings());
    }

    [Fact]
    public void A_fusion_restored_from_storage_goes_on_with_the_same_warning_and_never_reuses_an_id()
    {
        var before = Fusion();
        var japan = Report("J-1", confidence: 0.6);
        var v1 = Published(before.Offer(japan));

        // A new process: the stored warning comes back with its report; another stored id ends in -7.
        var after = Fusion();
        after.Restore([([v1], [japan])], [v1.WarningId, "W-20261126T010000Z-7"]);

        Assert.Equal(FusionResult.Duplicate, after.Offer(japan).Result);
        var v2 = Published(after.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 30, launchSeconds: -40, state: TrackState.Tracking, impactLon: 138.5, confidence: 0.8, launchLat: 39.3, launchLon: 125.8)));
        Assert.Equal((v1.WarningId, 2), (v2.WarningId, v2.Version));

        var elsewhere = Published(after.Offer(Report("J-9", launchLat: 20, launchLon: 160)));
        Assert.EndsWith("-8", elsewhere.WarningId, StringComparison.Ordinal);
    }

    [Fact]
    public void A_launch_far_away_or_much_later_is_another_warning()
    {
        var fusion = Fusion();
        var a = Published(fusion.Offer(Report("J-1")));
        var farAway = Published(fusion.Offer(Report("J-2", launchLat: 41.0)));
        var later = Published(fusion.Offer(Report("J-3", detectionSeconds: 400, launchSeconds: 200)));

        Assert.Equal(3, new[] { a.WarningId, farAway.WarningId, later.WarningId }.Distinct().Count());
    }

    [Fact]
    public void Exact_duplicates_and_reports_that_change_nothing_issue_no_version()
    {
        var fusion = Fusion();
        var report = Report("J-1", state: TrackState.Tracking, impactLon: 138.5, confidence: 0.9);
        Published(fusion.Offer(report));

        Assert.Equal(FusionResult.Duplicate, fusion.Offer(report).Result);
        Assert.Equal(FusionResult.Duplicate, fusion.Offer(report with { Confidence = 0.1 }).Result);

        // An older estimate from the same sensor under a new id: the impact estimate stays, nothing changes.
        var older = fusion.Offer(Report("J-0", detectionSeconds: -10, state: TrackState.Tracking, impactLon: 138.0, confidence: 0.5));
        Assert.Equal(FusionResult.NoChange, older.Result);
        Assert.Null(older.Version);
    }

    [Fact]
    public void An_older_estimate_arriving_late_does_not_overwrite_a_newer_one()
    {
        var fusion = Fusion();
        Published(fusion.Offer(Report("U-2", "TPY2-SHARIKI", "USA", detectionSeconds: 60, state: TrackState.Tracking, impactLon: 138.6, semiMajor: 20_000)));
        var late = fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 20, state: TrackState.Tracking, impactLon: 138.2, semiMajor: 100_000));

        Assert.Equal(FusionResult.NoChange, late.Result);
        Assert.Equal(138.6, fusion.Warnings().Single().PredictedImpact!.Center.Lon);
    }

    [Fact]
    public void Duplicated_and_shuffled_reports_give_the_same_final_warning_as_in_order()
    {
        var usaJpn = Policy.Create("UNCLASSIFIED", ["USA", "JPN"]);
        SensorReport[] reports =
        [
            Report("J-1", detectionSeconds: 0, confidence: 0.6),
            Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 25, launchSeconds: -35, state: TrackState.Tracking, impactLon: 138.3, semiMajor: 120_000, confidence: 0.8, launchLat: 39.25),
            Report("K-1", "GREEN-PINE-1", "KOR", detectionSeconds: 30, launchSeconds: -28, state: TrackState.Tracking, impactLon: 138.4, semiMajor: 90_000, confidence: 0.7, launchLon: 125.7),
            Report("J-2", "DDG-MAYA", "JPN", detectionSeconds: 70, state: TrackState.Tracking, impactLon: 139.2, semiMajor: 25_000, confidence: 0.9, label: usaJpn),
            Report("U-2", "SBIRS", "USA", detectionSeconds: 20, launchSeconds: -31, state: TrackState.Launch, confidence: 0.95),
            Report("J-3", "DDG-MAYA", "JPN", detectionSeconds: 330, state: TrackState.Landed, impactLon: 139.1, semiMajor: 5_000, confidence: 0.9),
        ];

        var inOrder = Fusion();
        foreach (var report in reports)
        {
            inOrder.Offer(report);
        }

        var expected = inOrder.Warnings().Single();
        Assert.Equal(WarningStage.LandedInJapan, expected.Stage);
        Assert.Equal(139.1, expected.PredictedImpact!.Center.Lon);
        Assert.Equal(["USA", "JPN"], expected.Label.ReleasableTo);
        Assert.Equal(0.95, expected.Confidence);

        var random = new Random(20261126);
        for (var round = 0; round < 200; round++)
        {
            var offered = reports.Concat(reports.Where(_ => random.Next(2) == 0)).ToArray();
            random.Shuffle(offered);
            var fusion = Fusion();
            var versions = new List<WarningVersion>();
            foreach (var report in offered)
            {
                if (fusion.Offer(report).Version is { } version)
                {
                    versions.Add(version);
                }
            }

            var actual = Assert.Single(fusion.Warnings());
            Assert.Equal(Comparable(expected), Comparable(actual));
            Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
            Assert.All(versions, v => Assert.Equal(actual.WarningId, v.WarningId));
            Assert.DoesNotContain(versions.SkipWhile(v => v.Stage != WarningStage.LandedInJapan), v => v.Stage != WarningStage.LandedInJapan);
        }

        static string Comparable(WarningVersion v)
            => string.Join('|', v.Stage, v.Exercise, v.LaunchTime.Ticks, v.LaunchPoint, v.PredictedImpact, v.EstimatedImpactTime?.Ticks, v.Confidence,
                string.Join(',', v.AffectedPrefectures), string.Join(',', v.Sensors), v.Label.Banner);
    }

    [Fact]
    public void An_impact_estimate_touching_japan_means_take_shelter_and_a_better_one_updates_it()
    {
        var fusion = Fusion();
        Published(fusion.Offer(Report("J-1")));
        var shelter = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 30, state: TrackState.Tracking, impactLon: 139.5)));
        Assert.Equal(WarningStage.TakeShelter, shelter.Stage);
        Assert.Equal(["05"], shelter.AffectedPrefectures);
        Assert.Equal(T0.AddMinutes(5), shelter.EstimatedImpactTime);

        var better = Published(fusion.Offer(Report("J-2", "DDG-MAYA", "JPN", detectionSeconds: 60, state: TrackState.Tracking, impactLon: 138.5, semiMajor: 10_000)));
        Assert.Equal(WarningStage.Launch, better.Stage);
        Assert.Empty(better.AffectedPrefectures);
        Assert.Equal(3, better.Version);
    }

    [Fact]
    public void Overflight_then_landed_outside_japan_never_moves_back()
    {
        var fusion = Fusion();
        Published(fusion.Offer(Report("J-1", state: TrackState.Tracking, impactLon: 139.5)));
        var overflight = Published(fusion.Offer(Report("J-2", detectionSeconds: 200, state: TrackState.Overflight, impactLon: 150)));
        Assert.Equal(WarningStage.Overflight, overflight.Stage);

        var landed = Published(fusion.Offer(Report("U-1", "SBIRS", "USA", detectionSeconds: 600, state: TrackState.Landed, impactLon: 155)));
        Assert.Equal(WarningStage.LandedOutsideJapan, landed.Stage);

        // A tracking report detected later still, touching Japan: the warning stays landed, and the landed impact stays.
        var late = fusion.Offer(Report("K-1", "GREEN-PINE-1", "KOR", detectionSeconds: 700, state: TrackState.Tracking, impactLon: 139.5));
        Assert.Equal(WarningStage.LandedOutsideJapan, late.Version?.Stage ?? fusion.Warnings().Single().Stage);
        Assert.Equal(155, fusion.Warnings().Single().PredictedImpact!.Center.Lon);
    }

    [Fact]
    public void A_cancellation_that_withdraws_the_last_support_closes_the_warning_and_what_it_withdrew_changes_nothing_after()
    {
        var fusion = Fusion();
        Published(fusion.Offer(Report("J-1", state: TrackState.Tracking, impactLon: 139.5)));
        var cancelled = Published(fusion.Offer(Report("J-2", detectionSeconds: 60, state: TrackState.Cancelled)));
        Assert.Equal(WarningStage.Cancelled, cancelled.Stage);
        Assert.Equal(2, cancelled.Version);

        // A Japanese report detected before Japan's cancellation arrives late: withdrawn, so nothing changes.
        var late = fusion.Offer(Report("J-3", "DDG-MAYA", detectionSeconds: 30, state: TrackState.Landed, impactLon: 139.5));
        Assert.Equal(FusionResult.Closed, late.Result);
        Assert.Equal(cancelled.WarningId, late.WarningId);
        Assert.Equal(WarningStage.Cancelled, fusion.Warnings().Single().Stage);
    }

    [Fact]
    public void A_report_from_a_nation_that_never_cancelled_after_a_warning_closed_is_new_evidence_and_warns_again()
    {
        var fusion = Fusion();
        var first = Published(fusion.Offer(Report("J-1", state: TrackState.Tracking, impactLon: 139.5)));
        Published(fusion.Offer(Report("J-2", detectionSeconds: 60, state: TrackState.Cancelled)));

        var again = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 90, state: TrackState.Tracking, impactLon: 139.5)));

        Assert.NotEqual(first.WarningId, again.WarningId);
        Assert.Equal(WarningStage.TakeShelter, again.Stage);
    }

    [Fact]
    public void A_cancellation_from_one_nations_sensor_withdraws_only_that_nations_support_and_a_later_genuine_report_of_another_still_warns()
    {
        var fusion = Fusion();
        var japan = Published(fusion.Offer(Report("J-1", state: TrackState.Tracking, impactLon: 139.5, confidence: 0.7)));
        Assert.Equal(WarningStage.TakeShelter, japan.Stage);

        // A Korean sensor that never reported cancels: Korea withdraws nothing it gave, and Japan's report still stands.
        var korea = fusion.Offer(Report("K-1", "GREEN-PINE-1", "KOR", detectionSeconds: 60, state: TrackState.Cancelled));
        Assert.Equal(FusionResult.NoChange, korea.Result);
        Assert.Equal(WarningStage.TakeShelter, fusion.Warnings().Single().Stage);

        // A genuine later Japanese report is fused and issues a version.
        var later = Published(fusion.Offer(Report("J-2", "DDG-MAYA", detectionSeconds: 90, state: TrackState.Tracking, impactLon: 139.8, semiMajor: 20_000, confidence: 0.9)));
        Assert.Equal(japan.WarningId, later.WarningId);
        Assert.Equal(WarningStage.TakeShelter, later.Stage);
        Assert.Equal(139.8, later.PredictedImpact!.Center.Lon);

        // Korea's own earlier estimate is withdrawn by its cancellation; Japan's stands.
        var rokTrack = Published(fusion.Offer(Report("K-0", "GREEN-PINE-1", "KOR", detectionSeconds: 95, state: TrackState.Tracking, impactLon: 140.5, confidence: 0.6)));
        Assert.Contains("KOR/GREEN-PINE-1", rokTrack.Sensors);
        var rokCancel = Published(fusion.Offer(Report("K-2", "GREEN-PINE-1", "KOR", detectionSeconds: 100, state: TrackState.Cancelled)));
        Assert.Equal(WarningStage.TakeShelter, rokCancel.Stage);
        Assert.Equal(["JPN/DDG-MAYA", "JPN/FPS5-SADO"], rokCancel.Sensors);
        Assert.Equal(139.8, rokCancel.PredictedImpact!.Center.Lon);

        // Only when Japan cancels too is no support left: the warning is cancelled and closed.
        var closed = Published(fusion.Offer(Report("J-3", "DDG-MAYA", detectionSeconds: 120, state: TrackState.Cancelled)));
        Assert.Equal(WarningStage.Cancelled, closed.Stage);
    }

    [Fact]
    public void A_cancellation_of_no_known_launch_starts_nothing()
    {
        var fusion = Fusion();
        var outcome = fusion.Offer(Report("J-9", state: TrackState.Cancelled));
        Assert.Equal(FusionResult.NothingToCancel, outcome.Result);
        Assert.Empty(fusion.Warnings());
    }

    [Fact]
    public void A_japan_only_report_makes_the_warning_japan_only_and_never_releasable_to_korea()
    {
        var fusion = Fusion();
        var shared = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", state: TrackState.Tracking, impactLon: 138.2)));
        Assert.Equal(["USA", "JPN", "KOR"], shared.Label.ReleasableTo);

        var jpnOnly = Published(fusion.Offer(Report("J-1", "DDG-MAYA", "JPN", detectionSeconds: 40, state: TrackState.Tracking, impactLon: 138.6, label: Policy.Create("UNCLASSIFIED", ["JPN"]))));
        Assert.Equal(["JPN"], jpnOnly.Label.ReleasableTo);

        // Later reports releasable to everyone do not widen it again.
        var later = Published(fusion.Offer(Report("K-1", "DDG-SEJONG", "KOR", detectionSeconds: 80, state: TrackState.Tracking, impactLon: 138.7)));
        Assert.Equal(["JPN"], later.Label.ReleasableTo);
        Assert.DoesNotContain("KOR", later.Label.ReleasableTo);
    }

    [Fact]
    public void A_partner_the_full_view_no_longer_reaches_gets_a_view_of_what_it_may_see_and_the_cancellation()
    {
        var fusion = Fusion();
        var korea = Who("ROK-JCS");
        var japan = Who("JJOC");
        var shared = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", state: TrackState.Tracking, impactLon: 138.2)));

        // Japan-only: the full view narrows, and the nations it no longer reaches get their own
        // views at once (U-1 alone: what v1 said), so each still holds a current version.
        var narrowed = fusion.Offer(Report("J-1", "DDG-MAYA", "JPN", detectionSeconds: 40, state: TrackState.Tracking, impactLon: 138.6, label: Policy.Create("UNCLASSIFIED", ["JPN"])));
        Assert.Equal(["", "USA", "KOR"], narrowed.Issued.Select(v => v.Audience).ToArray());
        Assert.Equal(2, WarningViews.For(japan, narrowed.Current)!.Version);
        var held = WarningViews.For(korea, narrowed.Current)!;
        Assert.Equal(shared with { Version = 2, IssuedAt = held.IssuedAt, Audience = "KOR", Sensors = held.Sensors, AffectedPrefectures = held.AffectedPrefectures }, held);
        Assert.Equal(shared.Sensors, held.Sensors);

        // A Korean destroyer's better estimate: the full view and Korea's (and the United States') views change at number 3.
        var update = fusion.Offer(Report("K-1", "DDG-SEJONG", "KOR", detectionSeconds: 80, state: TrackState.Tracking, impactLon: 138.7));
        Assert.Equal(["", "USA", "KOR"], update.Issued.Select(v => v.Audience).ToArray());
        var forKorea = WarningViews.For(korea, update.Current)!;
        Assert.Equal(("KOR", 3), (forKorea.Audience, forKorea.Version));
        Assert.Equal(["KOR/DDG-SEJONG", "USA/TPY2-SHARIKI"], forKorea.Sensors); // nothing of the Japan-only report
        Assert.Equal(["USA", "JPN", "KOR"], forKorea.Label.ReleasableTo);
        Assert.Equal(138.7, forKorea.PredictedImpact!.Center.Lon);
        Assert.Equal(WarningViews.Everyone, WarningViews.For(japan, update.Current)!.Audience);

        // The United States' cancellation withdraws only its own support: Japan's and Korea's
        // sensors still support the warning, in every view.
        var cancel = fusion.Offer(Report("U-2", "TPY2-SHARIKI", "USA", detectionSeconds: 120, state: TrackState.Cancelled));
        Assert.Equal(WarningStage.Launch, WarningViews.For(korea, cancel.Current)!.Stage);
        Assert.Equal(["KOR/DDG-SEJONG"], WarningViews.For(korea, cancel.Current)!.Sensors);
        Assert.Equal(["JPN/DDG-MAYA", "KOR/DDG-SEJONG"], WarningViews.For(japan, cancel.Current)!.Sensors);
        Assert.Equal(FusionResult.Published, fusion.Offer(Report("K-2", "DDG-SEJONG", "KOR", detectionSeconds: 130, state: TrackState.Landed, impactLon: 138.9)).Result);

        // Korea and Japan cancel too, releasable to all: both views are cancelled, and the warning closes.
        fusion.Offer(Report("K-3", "DDG-SEJONG", "KOR", detectionSeconds: 140, state: TrackState.Cancelled));
        var last = fusion.Offer(Report("J-2", "DDG-MAYA", "JPN", detectionSeconds: 150, state: TrackState.Cancelled));
        Assert.Equal(WarningStage.Cancelled, WarningViews.For(korea, last.Current)!.Stage);
        Assert.Equal(WarningStage.Cancelled, WarningViews.For(japan, last.Current)!.Stage);
        Assert.Equal(FusionResult.Closed, fusion.Offer(Report("K-4", "DDG-SEJONG", "KOR", detectionSeconds: 135, state: TrackState.Landed, impactLon: 138.9)).Result);
    }

    private static Kizuna.Core.Labels.Principal Who(string organization)
    {
        var org = Policy.Profile.FindOrganization(organization)!;
        Assert.True(Policy.TryCreatePrincipal(new Kizuna.Core.Labels.IdentityClaims("t", org.Nation, organization, "operator", "SECRET", []), out var principal, out var reason), reason);
        return principal!;
    }

    [Fact]
    public void A_label_change_alone_issues_a_version()
    {
        var fusion = Fusion();
        Published(fusion.Offer(Report("J-1", confidence: 0.9)));
        var secret = Published(fusion.Offer(Report("J-2", detectionSeconds: 5, confidence: 0.5, label: Policy.Create("SECRET", ["USA", "JPN", "KOR"]))));
        Assert.Equal("SECRET", secret.Label.Classification);
    }

    [Fact]
    public void Exercise_and_real_reports_never_fuse_and_the_exercise_flag_is_carried()
    {
        var fusion = Fusion();
        var real = Published(fusion.Offer(Report("J-1")));
        var drill = Published(fusion.Offer(Report("K-1", "DDG-SEJONG", "KOR", exercise: true)));

        Assert.NotEqual(real.WarningId, drill.WarningId);
        Assert.False(real.Exercise);
        Assert.True(drill.Exercise);
        Assert.StartsWith("EX-W-", drill.WarningId, StringComparison.Ordinal);

        var drillUpdate = Published(fusion.Offer(Report("U-1", "TPY2-SHARIKI", "USA", detectionSeconds: 20, state: TrackState.Tracking, impactLon: 139.5, exercise: true)));
        Assert.Equal(drill.WarningId, drillUpdate.WarningId);
        Assert.True(drillUpdate.Exercise);
        Assert.Equal(WarningStage.TakeShelter, drillUpdate.Stage);
        Assert.Equal(1, fusion.Warnings().Single(w => !w.Exercise).Version);
    }

    [Fact]
    public void Warnings_are_forgotten_after_the_retention_and_stamped_with_the_clock()
    {
        var clock = new ManualClock(T0.AddSeconds(5));
        var fusion = Fusion(clock);
        var v1 = Published(fusion.Offer(Report("J-1")));
        Assert.Equal(T0.AddSeconds(5), v1.IssuedAt);

        clock.Now = T0.AddHours(13);
        Published(fusion.Offer(Report("J-2", detectionSeconds: 13 * 3600, launchSeconds: 13 * 3600 - 30)));
        Assert.Single(fusion.Warnings());
    }

    [Fact]
    public void Offers_from_many_threads_give_one_warning_with_gapless_versions()
    {
        var fusion = Fusion();
        var reports = Enumerable.Range(0, 64)
            .Select(i => Report($"R-{i}", i % 2 == 0 ? "FPS5-SADO" : "TPY2-SHARIKI", i % 2 == 0 ? "JPN" : "USA", detectionSeconds: i, state: TrackState.Tracking, impactLon: 138 + (i * 0.01)))
            .ToArray();
        var versions = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.ForEach(reports, report =>
        {
            if (fusion.Offer(report).Version is { } v)
            {
                versions.Add(v.Version);
            }
        });

        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Order());
        Assert.Equal(138.63, fusion.Warnings().Single().PredictedImpact!.Center.Lon, 6);
    }

    [Fact]
    public void A_failing_prefecture_function_leaves_the_report_unfused()
    {
        var fail = true;
        var fusion = new WarningFusion(Policy, e => fail ? throw new InvalidOperationException("map not loaded") : Prefectures(e), new ManualClock(T0));
        var report = Report("J-1", state: TrackState.Tracking, impactLon: 139.5);

        Assert.Throws<InvalidOperationException>(() => fusion.Offer(report));
        Assert.Empty(fusion.Warnings());

        fail = false;
        var version = Published(fusion.Offer(report));
        Assert.Equal(1, version.Version);
        Assert.Equal(WarningStage.TakeShelter, version.Stage);
    }
}
