using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IWarningStore"/> backend must do, written once: a backend's test class
/// derives from this and says how to open its store. Each test (xunit makes a new instance per
/// test) has its own empty storage, and every store <see cref="CreateStore"/> returns for that
/// instance opens that same storage. Fixed times only.
/// </summary>
public abstract class WarningStoreContract : IAsyncLifetime
{
    protected static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly DateTime T0 = new(2026, 11, 26, 1, 3, 0, 125, DateTimeKind.Utc);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<IWarningStore> _open = [];

    /// <summary>A store over this test's storage, not yet initialized.</summary>
    protected abstract IWarningStore CreateStore(LabelPolicy labels);

    /// <summary>Removes this test's storage once every store is disposed.</summary>
    protected abstract Task DeleteStorageAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _open)
            await store.DisposeAsync();
        await DeleteStorageAsync();
    }

    [Fact]
    public async Task A_version_appended_with_its_report_reads_back_with_every_field_and_the_report()
    {
        var store = await OpenAsync();
        var version = Version("W-1", 1, WarningStage.TakeShelter, T0, exercise: true);
        await store.AppendAsync([version], Report("R-1", T0), Cancel());

        var read = Assert.Single(await store.VersionsAsync("W-1", Cancel()));
        Assert.Equal(version with { Label = read.Label, AffectedPrefectures = read.AffectedPrefectures, Sensors = read.Sensors }, read);
        Assert.Equal(version.AffectedPrefectures, read.AffectedPrefectures);
        Assert.Equal(version.Sensors, read.Sensors);
        Assert.Equal(version.Label, read.Label);
        var launch = Assert.Single(await store.LaunchesSinceAsync(T0, Cancel()));
        Assert.Equal("R-1", Assert.Single(launch.Reports).ReportId);
        Assert.Empty(await store.VersionsAsync("W-none", Cancel()));
    }

    [Fact]
    public async Task The_blocking_append_and_report_store_what_the_asynchronous_ones_do()
    {
        var store = await OpenAsync();

        // As the issuing thread calls them: a thread of its own, no synchronization context.
        await Task.Factory.StartNew(
            () =>
            {
                store.Append([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());
                store.RecordReport("W-1", Report("R-2", T0.AddSeconds(5)), Cancel());
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).WaitAsync(Timeout);

        var launch = Assert.Single(await store.LaunchesSinceAsync(T0, Cancel()));
        Assert.Equal(["R-1", "R-2"], launch.Reports.Select(r => r.ReportId));
        Assert.Equal(("W-1", 1), (launch.Latest[0].WarningId, launch.Latest[0].Version));
    }

    [Fact]
    public async Task A_version_stored_twice_is_refused_and_nothing_of_that_commit_is_kept()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());

        await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-9", T0), Cancel()));
        Assert.ThrowsAny<Exception>(() => store.Append([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-8", T0), Cancel()));
        await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync(Version("W-1", 1, WarningStage.Launch, T0), Cancel()));

        Assert.Equal(["R-1"], Assert.Single(await store.LaunchesSinceAsync(T0, Cancel())).Reports.Select(r => r.ReportId));
        Assert.Single(await store.VersionsAsync("W-1", Cancel()));
    }

    [Fact]
    public async Task Versions_come_back_oldest_first_with_the_full_view_first_within_a_number()
    {
        var store = await OpenAsync();
        var korea = Version("W-1", 1, WarningStage.Launch, T0) with { Audience = "KOR" };
        await store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0), korea], Report("R-1", T0), Cancel());
        await store.AppendAsync([Version("W-1", 2, WarningStage.TakeShelter, T0.AddSeconds(9))], Report("R-2", T0.AddSeconds(9)), Cancel());

        var versions = await store.VersionsAsync("W-1", Cancel());

        Assert.Equal([(1, ""), (1, "KOR"), (2, "")], versions.Select(v => (v.Version, v.Audience)));
    }

    [Fact]
    public async Task A_receipt_records_the_first_delivery_and_the_first_acknowledgement()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());

        await store.RecordDeliveryAsync(Receipt("alice", "JJOC", "JPN", delivered: T0.AddSeconds(1)), Cancel()).WaitAsync(Timeout);
        await store.RecordDeliveryAsync(Receipt("alice", "JJOC", "JPN", delivered: T0.AddSeconds(30)), Cancel()).WaitAsync(Timeout);
        await store.RecordAcknowledgementAsync(Receipt("alice", "JJOC", "JPN", acknowledged: T0.AddSeconds(4)), Cancel()).WaitAsync(Timeout);
        await store.RecordAcknowledgementAsync(Receipt("alice", "JJOC", "JPN", acknowledged: T0.AddSeconds(40)), Cancel()).WaitAsync(Timeout);
        // An acknowledgement with no delivery recorded implies one, at the same time.
        await store.RecordAcknowledgementAsync(Receipt("bob", "USFJ", "USA", acknowledged: T0.AddSeconds(6)), Cancel()).WaitAsync(Timeout);
        await store.RecordDeliveryAsync(Receipt("carol", "ROK-JCS", "KOR", delivered: T0.AddSeconds(2)), Cancel()).WaitAsync(Timeout);

        var receipts = (await store.ReceiptsAsync("W-1", Cancel())).OrderBy(r => r.Recipient, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                Receipt("alice", "JJOC", "JPN", T0.AddSeconds(1), T0.AddSeconds(4)),
                Receipt("bob", "USFJ", "USA", T0.AddSeconds(6), T0.AddSeconds(6)),
                Receipt("carol", "ROK-JCS", "KOR", T0.AddSeconds(2), null),
            ],
            receipts);
        Assert.Empty(await store.ReceiptsAsync("W-none", Cancel()));
    }

    [Fact]
    public async Task A_receipt_recorded_before_a_read_is_in_it_even_while_its_commit_is_pending()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());

        var delivered = store.RecordDeliveryAsync(Receipt("alice", "JJOC", "JPN", delivered: T0), Cancel());
        var receipts = await store.ReceiptsAsync("W-1", Cancel());
        await delivered.WaitAsync(Timeout);

        Assert.Equal("alice", Assert.Single(receipts).Recipient);
    }

    [Fact]
    public async Task An_escalation_is_recorded_once_per_version_and_organization()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());

        Assert.True(await store.RecordEscalationAsync(new WarningEscalation("W-1", 1, "ROK-JCS", T0.AddMinutes(1)), Cancel()));
        Assert.False(await store.RecordEscalationAsync(new WarningEscalation("W-1", 1, "ROK-JCS", T0.AddMinutes(2)), Cancel()));
        Assert.True(await store.RecordEscalationAsync(new WarningEscalation("W-1", 1, "JJOC", T0.AddMinutes(3)), Cancel()));
        Assert.True(await store.RecordEscalationAsync(new WarningEscalation("W-1", 2, "ROK-JCS", T0.AddMinutes(4)), Cancel()));

        Assert.Equal(
            [new WarningEscalation("W-1", 1, "ROK-JCS", T0.AddMinutes(1)), new WarningEscalation("W-1", 1, "JJOC", T0.AddMinutes(3)), new WarningEscalation("W-1", 2, "ROK-JCS", T0.AddMinutes(4))],
            await store.EscalationsAsync("W-1", Cancel()));
        Assert.Empty(await store.EscalationsAsync("W-none", Cancel()));
    }

    [Fact]
    public async Task LaunchesSince_gives_the_warnings_with_a_report_since_then_with_their_newest_views_and_every_report()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Version("W-old", 1, WarningStage.Launch, T0.AddHours(-20))], Report("R-0", T0.AddHours(-20)), Cancel());
        await store.AppendAsync([Version("W-a", 1, WarningStage.Launch, T0), Version("W-a", 1, WarningStage.Launch, T0) with { Audience = "KOR" }], Report("R-1", T0), Cancel());
        await store.RecordReportAsync("W-a", Report("R-2", T0.AddSeconds(5)), Cancel());
        await store.AppendAsync([Version("W-a", 2, WarningStage.TakeShelter, T0.AddSeconds(9))], Report("R-3", T0.AddSeconds(9), TrackState.Landed), Cancel());
        await store.AppendAsync([Version("W-b", 1, WarningStage.Launch, T0.AddMinutes(1))], Report("R-4", T0.AddMinutes(1)), Cancel());

        var launches = await store.LaunchesSinceAsync(T0.AddHours(-1), Cancel());

        Assert.Equal(["W-a", "W-b"], launches.Select(l => l.Latest[0].WarningId));
        Assert.Equal([(2, ""), (1, "KOR")], launches[0].Latest.Select(v => (v.Version, v.Audience)).OrderBy(v => v.Audience, StringComparer.Ordinal));
        Assert.Equal(["R-1", "R-2", "R-3"], launches[0].Reports.Select(r => r.ReportId));
        Assert.Equal(TrackState.Landed, launches[0].Reports[2].State);
        Assert.Equal(["R-4"], launches[1].Reports.Select(r => r.ReportId));
    }

    [Fact]
    public async Task WarningIds_gives_every_stored_warning()
    {
        var store = await OpenAsync();
        await store.AppendAsync(Version("W-1", 1, WarningStage.Launch, T0.AddDays(-30)), Cancel());
        await store.AppendAsync([Version("W-2", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());
        await store.AppendAsync([Version("W-2", 2, WarningStage.TakeShelter, T0.AddSeconds(9))], Report("R-2", T0.AddSeconds(9)), Cancel());

        Assert.Equal(["W-1", "W-2"], (await store.WarningIdsAsync(Cancel())).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LatestVersionsIssuedSince_gives_every_view_of_each_warning_issued_since_then_newest_first()
    {
        var store = await OpenAsync();
        await store.AppendAsync(Version("W-yesterday", 1, WarningStage.Launch, T0.AddDays(-1)), Cancel());
        await store.AppendAsync([Version("W-a", 1, WarningStage.Launch, T0.AddMinutes(-30)), Version("W-a", 1, WarningStage.Launch, T0.AddMinutes(-30)) with { Audience = "KOR" }], Report("R-1", T0.AddMinutes(-30)), Cancel());
        await store.AppendAsync([Version("W-a", 2, WarningStage.TakeShelter, T0)], Report("R-2", T0), Cancel());
        await store.AppendAsync([Version("W-b", 1, WarningStage.Launch, T0.AddMinutes(-10))], Report("R-3", T0.AddMinutes(-10)), Cancel());

        var since = await store.LatestVersionsIssuedSinceAsync(T0.AddMinutes(-1), Cancel());
        var all = await store.LatestVersionsAsync(Cancel());

        // W-a has a version since then; its KOR view is still the one of version 1.
        Assert.Equal([("W-a", 2, ""), ("W-a", 1, "KOR")], since.Select(v => (v.WarningId, v.Version, v.Audience)));
        Assert.Equal(
            [("W-a", 2, ""), ("W-b", 1, ""), ("W-a", 1, "KOR"), ("W-yesterday", 1, "")],
            all.Select(v => (v.WarningId, v.Version, v.Audience)));
    }

    [Fact]
    public async Task A_store_reopened_on_the_same_storage_keeps_versions_reports_receipts_and_escalations()
    {
        var first = await OpenAsync();
        await first.AppendAsync([Version("W-1", 1, WarningStage.Launch, T0)], Report("R-1", T0), Cancel());
        await first.RecordReportAsync("W-1", Report("R-2", T0.AddSeconds(3)), Cancel());
        await first.RecordEscalationAsync(new WarningEscalation("W-1", 1, "ROK-JCS", T0.AddMinutes(1)), Cancel());
        // Not awaited: closing the store commits the receipts queued by then.
        var delivered = first.RecordDeliveryAsync(Receipt("alice", "JJOC", "JPN", delivered: T0.AddSeconds(1)), Cancel());
        await CloseAsync(first);
        await delivered.WaitAsync(Timeout);

        var second = await OpenAsync();

        Assert.Equal(1, Assert.Single(await second.VersionsAsync("W-1", Cancel())).Version);
        Assert.Equal(["R-1", "R-2"], Assert.Single(await second.LaunchesSinceAsync(T0, Cancel())).Reports.Select(r => r.ReportId));
        Assert.Equal("alice", Assert.Single(await second.ReceiptsAsync("W-1", Cancel())).Recipient);
        Assert.Single(await second.EscalationsAsync("W-1", Cancel()));
        Assert.False(await second.RecordEscalationAsync(new WarningEscalation("W-1", 1, "ROK-JCS", T0.AddMinutes(5)), Cancel()));
        Assert.Equal(["W-1"], await second.WarningIdsAsync(Cancel()));
    }

    private async Task<IWarningStore> OpenAsync()
    {
        var store = CreateStore(Labels);
        _open.Add(store);
        await store.InitializeAsync(Cancel());
        return store;
    }

    private async Task CloseAsync(IWarningStore store)
    {
        _open.Remove(store);
        await store.DisposeAsync();
    }

    private static CancellationToken Cancel() => new CancellationTokenSource(Timeout).Token;

    private static WarningReceipt Receipt(string recipient, string organization, string nation, DateTime? delivered = null, DateTime? acknowledged = null)
        => new("W-1", 1, recipient, organization, nation, delivered, acknowledged);

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
}
