using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Tests.Sqlite;

public sealed class SqliteWarningStoreTests : IAsyncLifetime
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private readonly string _path = Path.Combine(Path.GetTempPath(), "kizuna-warnings-" + Guid.NewGuid().ToString("N"), "warnings.db");
    private SqliteWarningStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteWarningStore(_path, Labels);
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
    }

    private static WarningVersion Version(string id, int version, WarningStage stage, DateTime issued, bool exercise = false) => new(
        id, version, stage, exercise, issued,
        LaunchTime: new DateTime(2026, 11, 26, 1, 2, 3, DateTimeKind.Utc),
        LaunchPoint: new GeoPoint(39.0, 125.7),
        PredictedImpact: stage == WarningStage.Launch ? null : new ImpactEllipse(new GeoPoint(40.5, 136.2), 60_000, 25_000, 45),
        EstimatedImpactTime: stage == WarningStage.Launch ? null : new DateTime(2026, 11, 26, 1, 12, 0, DateTimeKind.Utc),
        Confidence: 0.9,
        AffectedPrefectures: stage == WarningStage.TakeShelter ? ["05", "06"] : [],
        Sensors: ["JPN/FPS-5-SHIMOKOSHIKI", "USA/TPY-2-SHARIKI"],
        Label: Labels.Create("SECRET", ["USA", "JPN"], [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])], exercise ? "EXERCISE" : null));

    [Fact]
    public async Task A_stored_version_reads_back_with_every_field_and_its_label()
    {
        var issued = new DateTime(2026, 11, 26, 1, 3, 0, 250, DateTimeKind.Utc);
        var stored = Version("W-1", 2, WarningStage.TakeShelter, issued, exercise: true);
        await _store.AppendAsync(stored, CancellationToken.None);

        var read = Assert.Single(await _store.VersionsAsync("W-1", CancellationToken.None));
        Assert.Equal(stored with { Label = read.Label, AffectedPrefectures = read.AffectedPrefectures, Sensors = read.Sensors }, read);
        Assert.Equal(stored.AffectedPrefectures, read.AffectedPrefectures);
        Assert.Equal(stored.Sensors, read.Sensors);
        Assert.Equal(stored.Label, read.Label);
        Assert.Equal("SECRET//MWX//EXERCISE//REL TO USA, JPN", read.Label.Banner);
    }

    [Fact]
    public async Task The_latest_version_of_every_warning_is_listed_newest_warning_first()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        await _store.AppendAsync(Version("W-old", 1, WarningStage.Launch, t), CancellationToken.None);
        await _store.AppendAsync(Version("W-old", 2, WarningStage.LandedOutsideJapan, t.AddMinutes(9)), CancellationToken.None);
        await _store.AppendAsync(Version("W-new", 1, WarningStage.Launch, t.AddMinutes(30)), CancellationToken.None);

        var latest = await _store.LatestVersionsAsync(CancellationToken.None);
        Assert.Equal([("W-new", 1), ("W-old", 2)], latest.Select(v => (v.WarningId, v.Version)).ToArray());
    }

    private static SensorReport Report(string id, DateTime received, TrackState state = TrackState.Tracking) => new(
        id, "TPY2-SHARIKI", "USA",
        DetectionTime: received.AddSeconds(-2),
        LaunchTime: new DateTime(2026, 11, 26, 1, 2, 3, DateTimeKind.Utc),
        LaunchPoint: new GeoPoint(39.0, 125.7),
        State: state,
        PredictedImpact: new ImpactEllipse(new GeoPoint(40.5, 136.2), 60_000, 25_000, 45),
        EstimatedImpactTime: new DateTime(2026, 11, 26, 1, 12, 0, DateTimeKind.Utc),
        Confidence: 0.8,
        Exercise: false,
        Label: Labels.Create("SECRET", ["USA", "JPN"], [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])], null),
        ReceivedAt: received);

    [Fact]
    public async Task Fused_reports_are_kept_beside_their_warning_and_come_back_with_its_newest_version()
    {
        var t = new DateTime(2026, 11, 26, 1, 3, 0, 125, DateTimeKind.Utc);
        var cause = Report("R-1", t);
        await _store.AppendAsync([Version("W-fused", 1, WarningStage.Launch, t)], cause, CancellationToken.None);
        await _store.RecordReportAsync("W-fused", Report("R-2", t.AddSeconds(5)), CancellationToken.None);
        await _store.AppendAsync([Version("W-fused", 2, WarningStage.TakeShelter, t.AddSeconds(9))], Report("R-3", t.AddSeconds(9), TrackState.Landed), CancellationToken.None);
        await _store.AppendAsync([Version("W-long-ago", 1, WarningStage.Launch, t.AddHours(-20))], Report("R-0", t.AddHours(-20)), CancellationToken.None);

        var launch = Assert.Single(await _store.LaunchesSinceAsync(t.AddHours(-12), CancellationToken.None));
        var latest = Assert.Single(launch.Latest);
        Assert.Equal(("W-fused", 2), (latest.WarningId, latest.Version));
        Assert.Equal(["R-1", "R-2", "R-3"], launch.Reports.Select(r => r.ReportId).ToArray());
        Assert.Equal(cause with { Label = launch.Reports[0].Label }, launch.Reports[0]);
        Assert.Equal(cause.Label, launch.Reports[0].Label);
        Assert.Equal(TrackState.Landed, launch.Reports[2].State);
    }

    [Fact]
    public async Task A_version_whose_report_cannot_be_stored_is_not_stored_either()
    {
        var t = DateTime.UtcNow;
        await _store.AppendAsync([Version("W-atomic", 1, WarningStage.Launch, t)], Report("R-1", t), CancellationToken.None);
        await Assert.ThrowsAsync<SqliteException>(() => _store.AppendAsync([Version("W-atomic", 1, WarningStage.Launch, t)], Report("R-9", t), CancellationToken.None));

        var launch = Assert.Single(await _store.LaunchesSinceAsync(t.AddMinutes(-1), CancellationToken.None));
        Assert.Equal(["R-1"], launch.Reports.Select(r => r.ReportId).ToArray());
    }

    [Fact]
    public async Task Views_of_one_version_number_are_stored_side_by_side_and_the_newest_of_each_comes_back()
    {
        var t = new DateTime(2026, 11, 26, 1, 3, 0, DateTimeKind.Utc);
        var full = Version("W-views", 2, WarningStage.TakeShelter, t) with { Label = Labels.Create("UNCLASSIFIED", ["JPN"], [], null) };
        var korea = Version("W-views", 2, WarningStage.Launch, t) with { Audience = "KOR", Label = Labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"], [], null) };
        await _store.AppendAsync([Version("W-views", 1, WarningStage.Launch, t.AddSeconds(-9))], Report("R-1", t.AddSeconds(-9)), CancellationToken.None);
        await _store.AppendAsync([full, korea], Report("R-2", t), CancellationToken.None);

        Assert.Equal([(1, ""), (2, ""), (2, "KOR")], (await _store.VersionsAsync("W-views", CancellationToken.None)).Select(v => (v.Version, v.Audience)).ToArray());
        Assert.Equal([(2, ""), (2, "KOR")], (await _store.LatestVersionsAsync(CancellationToken.None)).Select(v => (v.Version, v.Audience)).ToArray());
        var launch = Assert.Single(await _store.LaunchesSinceAsync(t.AddHours(-1), CancellationToken.None));
        Assert.Equal(["", "KOR"], launch.Latest.Select(v => v.Audience).ToArray());
        Assert.Equal(korea.Label, launch.Latest[1].Label);
    }

    [Fact]
    public async Task Current_warnings_are_read_without_the_old_ones_and_with_every_view_of_each()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        await _store.AppendAsync(Version("W-yesterday", 1, WarningStage.Launch, t.AddDays(-1)), CancellationToken.None);
        // Korea's view last changed at version 1, before the cut; the full view at version 2, after it.
        var korea = Version("W-now", 1, WarningStage.Launch, t.AddMinutes(-30)) with { Audience = "KOR" };
        await _store.AppendAsync([Version("W-now", 1, WarningStage.Launch, t.AddMinutes(-30)), korea], Report("R-1", t.AddMinutes(-30)), CancellationToken.None);
        await _store.AppendAsync([Version("W-now", 2, WarningStage.TakeShelter, t)], Report("R-2", t), CancellationToken.None);

        var current = await _store.LatestVersionsIssuedSinceAsync(t.AddMinutes(-10), CancellationToken.None);

        Assert.Equal([("W-now", 2, ""), ("W-now", 1, "KOR")], current.Select(v => (v.WarningId, v.Version, v.Audience)).ToArray());
        Assert.Equal(["W-now", "W-yesterday"], (await _store.WarningIdsAsync(CancellationToken.None)).Order().ToArray());
    }

    [Fact]
    public async Task A_store_written_before_views_is_opened_with_its_versions_as_full_views()
    {
        var path = Path.Combine(Path.GetDirectoryName(_path)!, "old.db");
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE warning_versions (warning_id TEXT NOT NULL, version INTEGER NOT NULL, issued_at INTEGER NOT NULL,
                    stage TEXT NOT NULL, exercise INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (warning_id, version));
                """;
            await create.ExecuteNonQueryAsync();
        }

        // The old row, written by the old code: the same JSON body without an audience.
        await using (var writer = new SqliteWarningStore(Path.Combine(Path.GetDirectoryName(_path)!, "body.db"), Labels))
        {
            await writer.InitializeAsync(CancellationToken.None);
            await writer.AppendAsync(Version("W-old", 1, WarningStage.Launch, DateTime.UtcNow), CancellationToken.None);
        }

        await using (var copy = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await copy.OpenAsync();
            await using var command = copy.CreateCommand();
            command.CommandText = $"""
                ATTACH DATABASE '{Path.Combine(Path.GetDirectoryName(_path)!, "body.db")}' AS b;
                INSERT INTO warning_versions SELECT warning_id, version, issued_at, stage, exercise, body FROM b.warning_versions;
                DETACH DATABASE b;
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var reopened = new SqliteWarningStore(path, Labels);
        await reopened.InitializeAsync(CancellationToken.None);
        var read = Assert.Single(await reopened.VersionsAsync("W-old", CancellationToken.None));
        Assert.Equal(WarningViews.Everyone, read.Audience);
        await reopened.AppendAsync(Version("W-old", 2, WarningStage.Launch, DateTime.UtcNow) with { Audience = "KOR" }, CancellationToken.None);
    }

    [Fact]
    public async Task Versions_reach_the_database_file_through_a_background_checkpoint_every_hundred_commits()
    {
        var before = new FileInfo(_path).Length;
        for (var i = 0; i < 100; i++)
        {
            await _store.AppendAsync(Version($"W-{i}", 1, WarningStage.Launch, DateTime.UtcNow), CancellationToken.None);
        }

        // 100 commits are far fewer than SQLite's automatic checkpoint (1,000 WAL pages), so only
        // the store's own checkpoint, run beside the writer, grows the database file.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (new FileInfo(_path).Length == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(new FileInfo(_path).Length > before, "the versions should have been checkpointed into the database file");
        Assert.Equal(100, (await _store.LatestVersionsAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_version_cannot_be_stored_twice()
    {
        var v = Version("W-dup", 1, WarningStage.Launch, DateTime.UtcNow);
        await _store.AppendAsync(v, CancellationToken.None);
        await Assert.ThrowsAsync<SqliteException>(() => _store.AppendAsync(v, CancellationToken.None));
    }

    [Fact]
    public async Task Receipts_keep_the_first_delivery_and_the_first_acknowledgement()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        await _store.RecordDeliveryAsync(new WarningReceipt("W-r", 1, "usfj-j3", "USFJ", "USA", t, null), CancellationToken.None);
        await _store.RecordDeliveryAsync(new WarningReceipt("W-r", 1, "usfj-j3", "USFJ", "USA", t.AddSeconds(5), null), CancellationToken.None);
        await _store.RecordAcknowledgementAsync(new WarningReceipt("W-r", 1, "usfj-j3", "USFJ", "USA", null, t.AddSeconds(2)), CancellationToken.None);
        await _store.RecordAcknowledgementAsync(new WarningReceipt("W-r", 1, "jjoc-j3", "JJOC", "JPN", null, t.AddSeconds(3)), CancellationToken.None);

        var receipts = await _store.ReceiptsAsync("W-r", CancellationToken.None);
        var usfj = Assert.Single(receipts, r => r.Recipient == "usfj-j3");
        Assert.Equal(t, usfj.DeliveredAt);
        Assert.Equal(t.AddSeconds(2), usfj.AcknowledgedAt);
        var jjoc = Assert.Single(receipts, r => r.Recipient == "jjoc-j3");
        Assert.Equal(t.AddSeconds(3), jjoc.DeliveredAt); // an acknowledgement implies the delivery
    }

    [Fact]
    public async Task Receipts_recorded_at_once_are_committed_together_and_read_back_whole()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        // Not awaited one by one: many clients' deliveries of one version arrive together.
        var pending = Enumerable.Range(0, 50)
            .Select(i => _store.RecordDeliveryAsync(new WarningReceipt("W-many", 1, $"client-{i}", "JJOC", "JPN", t.AddMilliseconds(i), null), CancellationToken.None))
            .ToList();

        // A read right after sees every receipt recorded before it, committed or still queued.
        var receipts = await _store.ReceiptsAsync("W-many", CancellationToken.None);
        Assert.Equal(50, receipts.Count);
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Receipts_still_queued_when_the_store_closes_are_written_before_it_closes()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        var delivery = _store.RecordDeliveryAsync(new WarningReceipt("W-close", 1, "usfj-j3", "USFJ", "USA", t, null), CancellationToken.None);
        await _store.DisposeAsync();
        await delivery.WaitAsync(TimeSpan.FromSeconds(30));

        await using var reopened = new SqliteWarningStore(_path, Labels);
        await reopened.InitializeAsync(CancellationToken.None);
        Assert.Single(await reopened.ReceiptsAsync("W-close", CancellationToken.None));
    }

    [Fact]
    public async Task An_organization_is_escalated_once_per_version_and_the_record_survives_reopening()
    {
        var t = new DateTime(2026, 11, 26, 1, 0, 0, DateTimeKind.Utc);
        Assert.True(await _store.RecordEscalationAsync(new WarningEscalation("W-e", 1, "JGSDF-GCC", t), CancellationToken.None));
        Assert.False(await _store.RecordEscalationAsync(new WarningEscalation("W-e", 1, "JGSDF-GCC", t.AddSeconds(1)), CancellationToken.None));
        Assert.True(await _store.RecordEscalationAsync(new WarningEscalation("W-e", 2, "JGSDF-GCC", t.AddSeconds(2)), CancellationToken.None));

        await _store.DisposeAsync();
        _store = new SqliteWarningStore(_path, Labels);
        await _store.InitializeAsync(CancellationToken.None);
        var escalations = await _store.EscalationsAsync("W-e", CancellationToken.None);
        Assert.Equal([(1, t), (2, t.AddSeconds(2))], escalations.Select(e => (e.Version, e.EscalatedAt)).ToArray());
    }

    [Fact]
    public async Task Warnings_survive_closing_and_reopening_the_store()
    {
        await _store.AppendAsync(Version("W-keep", 1, WarningStage.Launch, DateTime.UtcNow), CancellationToken.None);
        await _store.DisposeAsync();
        _store = new SqliteWarningStore(_path, Labels);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Single(await _store.VersionsAsync("W-keep", CancellationToken.None));
    }
}
