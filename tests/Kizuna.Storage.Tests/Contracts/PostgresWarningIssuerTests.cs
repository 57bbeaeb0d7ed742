using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Storage.Postgres;
using Kizuna.Storage.Tests.Engines;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>
/// One issuer of warnings per node (docs/dev/warning-lease.md), on the throwaway PostgreSQL and a
/// manual clock: the lease passes from an instance that stopped renewing only once it expired,
/// and the reports and announcements a dead issuer leaves are there for the next.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class PostgresWarningIssuerTests(EnginesFixture engines) : IAsyncLifetime
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly DateTime T0 = new(2026, 12, 7, 21, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(9);
    private readonly ManualTimeProvider _clock = new(T0);
    private readonly List<IAsyncDisposable> _open = [];
    private string _schema = "";

    public async Task InitializeAsync() => _schema = await engines.Postgres.NewSchemaAsync();

    public async Task DisposeAsync()
    {
        foreach (var open in Enumerable.Reverse(_open))
            await open.DisposeAsync();
    }

    [Fact]
    public async Task A_lease_whose_holder_stopped_renewing_passes_to_the_other_instance_only_once_it_expired()
    {
        var store = await OpenAsync();
        var a = new WarningIssuerLease(store, "instance-a", Lease, _clock, NullLogger.Instance);
        var b = new WarningIssuerLease(store, "instance-b", Lease, _clock, NullLogger.Instance);
        var bTookIt = 0;
        b.Acquired += () => bTookIt++;

        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.False(await b.TryHoldAsync(CancellationToken.None));
        _clock.Advance(Lease / 3);
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.True(a.IsHeld);

        // A dies: it renews no more. Its own clock stops it issuing before B may take over.
        var renewedAt = _clock.GetUtcNow();
        _clock.Advance(Lease * 3 / 4);
        Assert.False(a.IsHeld);
        Assert.False(await b.TryHoldAsync(CancellationToken.None));
        Assert.False(b.IsHeld);
        _clock.Advance(renewedAt + Lease - _clock.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        Assert.False(await b.TryHoldAsync(CancellationToken.None));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await b.TryHoldAsync(CancellationToken.None));
        Assert.True(b.IsHeld);
        Assert.Equal(1, bTookIt);
        // A comes back: the lease is B's.
        Assert.False(await a.TryHoldAsync(CancellationToken.None));
        Assert.False(a.IsHeld);
    }

    [Fact]
    public async Task A_lease_given_up_in_an_orderly_stop_is_taken_at_once()
    {
        var store = await OpenAsync();
        var a = new WarningIssuerLease(store, "instance-a", Lease, _clock, NullLogger.Instance);
        var b = new WarningIssuerLease(store, "instance-b", Lease, _clock, NullLogger.Instance);
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.False(await b.TryHoldAsync(CancellationToken.None));

        await a.StopAsync(release: true);

        Assert.True(await b.TryHoldAsync(CancellationToken.None));
        Assert.False(await a.TryHoldAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_renewal_timer_runs_on_the_node_clock_and_takes_an_expired_lease()
    {
        var store = await OpenAsync();
        var a = new WarningIssuerLease(store, "instance-a", Lease, _clock, NullLogger.Instance);
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        var b = new WarningIssuerLease(store, "instance-b", Lease, _clock, NullLogger.Instance);
        _open.Add(b);
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Acquired += () => taken.TrySetResult();
        b.Start();

        Assert.False(b.IsHeld);
        _clock.Advance(Lease + TimeSpan.FromSeconds(1));

        await taken.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(b.IsHeld);
    }

    [Fact]
    public async Task Reports_stored_for_the_issuer_come_back_oldest_first_until_done()
    {
        var store = await OpenAsync();
        await Task.Factory.StartNew(
            () =>
            {
                store.StoreForIssuer(Report("R-1"), "sensor-a", "JASDF-ADC", CancellationToken.None);
                store.StoreForIssuer(Report("R-2"), "sensor-b", "USFJ", CancellationToken.None);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));

        var stored = await store.ForwardedAsync(10, CancellationToken.None);
        Assert.Equal(["R-1", "R-2"], stored.Select(s => s.Report.ReportId));
        Assert.Equal(("sensor-a", "JASDF-ADC"), (stored[0].Sender, stored[0].Organization));
        Assert.Equal(Report("R-1").Label, stored[0].Report.Label);

        store.Done(stored[0].Id, CancellationToken.None);
        Assert.Equal(["R-2"], (await store.ForwardedAsync(10, CancellationToken.None)).Select(s => s.Report.ReportId));
    }

    [Fact]
    public async Task A_stored_version_is_unannounced_until_marked_and_marking_twice_is_harmless()
    {
        var warnings = new PostgresWarningStore(_schema, Labels);
        _open.Add(warnings);
        await warnings.InitializeAsync(CancellationToken.None);
        var store = await OpenAsync();
        await warnings.AppendAsync([Version("W-1", 1, T0)], Report("R-1"), CancellationToken.None);
        await warnings.AppendAsync([Version("W-1", 2, T0.AddSeconds(5)), Version("W-1", 2, T0.AddSeconds(5)) with { Audience = "KOR" }], Report("R-2"), CancellationToken.None);
        await warnings.AppendAsync([Version("W-0", 1, T0.AddHours(-13))], Report("R-0"), CancellationToken.None);

        Assert.Equal([("W-1", 1), ("W-1", 2)], await store.UnannouncedSinceAsync(T0.AddHours(-12), CancellationToken.None));

        await store.MarkAnnouncedAsync("W-1", 1, CancellationToken.None);
        await store.MarkAnnouncedAsync("W-1", 1, CancellationToken.None);

        Assert.Equal([("W-1", 2)], await store.UnannouncedSinceAsync(T0.AddHours(-12), CancellationToken.None));
    }

    [Fact]
    public async Task Announcements_and_reports_stored_for_the_issuer_are_pruned_once_recorded_before_the_cutoff()
    {
        var store = await OpenAsync();
        await store.MarkAnnouncedAsync("W-1", 1, CancellationToken.None);
        await store.MarkAnnouncedAsync("W-1", 2, CancellationToken.None);
        await Task.Factory.StartNew(
            () => store.StoreForIssuer(Report("R-1"), "sensor-a", "JASDF-ADC", CancellationToken.None),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));

        // The records carry the database's times: a cutoff an hour before them keeps them, one after them takes them.
        Assert.Equal(0, await store.PruneAsync(DateTime.UtcNow.AddHours(-1), CancellationToken.None));
        Assert.Single(await store.ForwardedAsync(10, CancellationToken.None));
        Assert.Equal(3, await store.PruneAsync(DateTime.UtcNow.AddHours(1), CancellationToken.None));
        Assert.Empty(await store.ForwardedAsync(10, CancellationToken.None));
        Assert.Equal(0, await store.PruneAsync(DateTime.UtcNow.AddHours(1), CancellationToken.None));
    }

    [Fact]
    public async Task The_lease_holder_prunes_the_issuer_records_once_an_hour_with_a_cutoff_of_twice_the_look_back()
    {
        var store = new PruneCounting(await OpenAsync());
        var a = new WarningIssuerLease(store, "instance-a", Lease, _clock, NullLogger.Instance);
        var b = new WarningIssuerLease(store, "instance-b", Lease, _clock, NullLogger.Instance);

        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.False(await b.TryHoldAsync(CancellationToken.None));
        Assert.Equal([_clock.GetUtcNow().UtcDateTime - WarningDesk.CurrentFor * 2], store.Cutoffs);

        // Renewals within the hour do not prune again; the first after it does.
        _clock.Advance(Lease / 3);
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        _clock.Advance(WarningIssuerLease.PruneEvery - Lease / 3 - TimeSpan.FromSeconds(1));
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.Single(store.Cutoffs);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await a.TryHoldAsync(CancellationToken.None));
        Assert.Equal(2, store.Cutoffs.Count);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime - WarningIssuerLease.Retained, store.Cutoffs[1]);
    }

    /// <summary>The real store, with the cutoffs of its prunes kept.</summary>
    private sealed class PruneCounting(PostgresWarningIssuer inner) : IWarningIssuerStore
    {
        public List<DateTime> Cutoffs { get; } = [];

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<bool> TryHoldAsync(string holder, DateTime now, DateTime until, CancellationToken cancellationToken) => inner.TryHoldAsync(holder, now, until, cancellationToken);

        public Task ReleaseAsync(string holder, CancellationToken cancellationToken) => inner.ReleaseAsync(holder, cancellationToken);

        public void StoreForIssuer(SensorReport report, string sender, string organization, CancellationToken cancellationToken) => inner.StoreForIssuer(report, sender, organization, cancellationToken);

        public Task<IReadOnlyList<ForwardedReport>> ForwardedAsync(int limit, CancellationToken cancellationToken) => inner.ForwardedAsync(limit, cancellationToken);

        public void Done(long id, CancellationToken cancellationToken) => inner.Done(id, cancellationToken);

        public Task MarkAnnouncedAsync(string warningId, int version, CancellationToken cancellationToken) => inner.MarkAnnouncedAsync(warningId, version, cancellationToken);

        public Task<IReadOnlyList<(string WarningId, int Version)>> UnannouncedSinceAsync(DateTime since, CancellationToken cancellationToken) => inner.UnannouncedSinceAsync(since, cancellationToken);

        public Task<long> PruneAsync(DateTime before, CancellationToken cancellationToken)
        {
            Cutoffs.Add(before);
            return inner.PruneAsync(before, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private async Task<PostgresWarningIssuer> OpenAsync()
    {
        if (!_open.OfType<PostgresWarningStore>().Any())
        {
            // The issuer's queries read the warning store's tables.
            var warnings = new PostgresWarningStore(_schema, Labels);
            _open.Add(warnings);
            await warnings.InitializeAsync(CancellationToken.None);
        }

        var store = new PostgresWarningIssuer(_schema, Labels);
        _open.Add(store);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static WarningVersion Version(string id, int version, DateTime issued) => new(
        id, version, WarningStage.Launch, false, issued,
        LaunchTime: T0.AddMinutes(-1),
        LaunchPoint: new GeoPoint(39.0, 125.7),
        PredictedImpact: null,
        EstimatedImpactTime: null,
        Confidence: 0.9,
        AffectedPrefectures: [],
        Sensors: ["JPN/FPS-5-SADO"],
        Label: Labels.Create("SECRET", ["USA", "JPN"], [], null));

    private static SensorReport Report(string id) => new(
        id, "FPS5-SADO", "JPN",
        DetectionTime: T0.AddSeconds(-2),
        LaunchTime: T0.AddMinutes(-1),
        LaunchPoint: new GeoPoint(39.0, 125.7),
        State: TrackState.Launch,
        PredictedImpact: null,
        EstimatedImpactTime: null,
        Confidence: 0.6,
        Exercise: false,
        Label: Labels.Create("SECRET", ["USA", "JPN"], [], null),
        ReceivedAt: T0);
}
