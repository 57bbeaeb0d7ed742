using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Cot;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IEventStore"/> backend must do, written once: a backend's test class
/// derives from this and says how to open its store. xunit makes a new instance per test, so
/// each test has its own empty storage; every store <see cref="CreateStore"/> returns for that
/// instance opens that same storage (which is how a restart is tested). Deterministic: fixed
/// times, fixed seeds, and a clock that moves only when told.
/// </summary>
public abstract class EventStoreContract : IAsyncLifetime
{
    protected static readonly DateTime T0 = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());

    private readonly List<IEventStore> _open = [];

    // The clock given to every store: it does not move, so no timer of the store fires.
    private readonly ManualTimeProvider _time = new(T0);

    /// <summary>A store over this test's storage, not yet initialized.</summary>
    protected abstract IEventStore CreateStore(TimeProvider time);

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
    public async Task An_appended_event_is_returned_by_a_query_once_flushed()
    {
        var store = await OpenAsync();
        var evt = Event("alpha", "a-f-G-U-C", T0, lat: 35.6895, lon: 139.6917);
        store.Append(new StoredEvent(evt, T0.AddMilliseconds(250), "tls:10.0.0.7:4242"));
        await store.FlushAsync(Cancel());

        var back = Assert.Single(await store.QueryAsync(new EventQuery(), Cancel()));

        Assert.Equal("alpha", back.Event.Uid);
        Assert.Equal("a-f-G-U-C", back.Event.Type);
        Assert.Equal(T0, back.Event.Time);
        Assert.Equal(T0.AddMinutes(5), back.Event.Stale);
        Assert.Equal(35.6895, back.Event.Point.Lat, 6);
        Assert.Equal(139.6917, back.Event.Point.Lon, 6);
        Assert.Equal(T0.AddMilliseconds(250), back.ReceivedAt);
        Assert.Equal(DateTimeKind.Utc, back.ReceivedAt.Kind);
        Assert.Equal("tls:10.0.0.7:4242", back.Sender);
    }

    [Fact]
    public async Task A_query_returns_the_newest_events_first_and_no_more_than_its_limit()
    {
        var store = await OpenAsync();
        // Arrival order differs from event time: the order follows event time.
        foreach (var i in new[] { 3, 0, 4, 1, 2 })
            store.Append(Stored(Event($"u{i}", "a-f-G", T0.AddSeconds(i)), T0.AddMinutes(5 - i)));
        await store.FlushAsync(Cancel());

        Assert.Equal(["u4", "u3", "u2", "u1", "u0"], Uids(await store.QueryAsync(new EventQuery(), Cancel())));
        Assert.Equal(["u4", "u3"], Uids(await store.QueryAsync(new EventQuery(Limit: 2), Cancel())));
        Assert.Empty(await store.QueryAsync(new EventQuery(Limit: 0), Cancel()));
    }

    [Fact]
    public async Task A_query_by_uid_returns_only_that_uid_newest_first()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 40; i++)
            store.Append(Stored(Event($"u{i % 4}", "a-f-G", T0.AddSeconds(i)), T0.AddSeconds(i), $"s{i}"));
        await store.FlushAsync(Cancel());

        var found = await store.QueryAsync(new EventQuery(Uid: "u2", Limit: 3), Cancel());

        Assert.Equal(["s38", "s34", "s30"], found.Select(s => s.Sender));
        Assert.Equal(10, (await store.QueryAsync(new EventQuery(Uid: "u2"), Cancel())).Count);
        Assert.Empty(await store.QueryAsync(new EventQuery(Uid: "nobody"), Cancel()));
    }

    [Fact]
    public async Task A_query_by_type_returns_only_that_type_and_combines_with_the_uid()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 6; i++)
            store.Append(Stored(Event($"u{i % 2}", i % 3 == 0 ? "b-t-f" : "a-f-G", T0.AddSeconds(i)), T0.AddSeconds(i), $"s{i}"));
        await store.FlushAsync(Cancel());

        Assert.Equal(["s3", "s0"], (await store.QueryAsync(new EventQuery(Type: "b-t-f"), Cancel())).Select(s => s.Sender));
        Assert.Equal(["s3"], (await store.QueryAsync(new EventQuery(Uid: "u1", Type: "b-t-f"), Cancel())).Select(s => s.Sender));
    }

    [Fact]
    public async Task Since_and_until_bound_the_event_time_with_both_ends_inclusive()
    {
        var store = await OpenAsync();
        // Received in the opposite order from their event times: the window follows event time.
        for (var i = 0; i < 10; i++)
            store.Append(Stored(Event(i % 2 == 0 ? "even" : $"u{i}", "a-f-G", T0.AddMinutes(i)), T0.AddHours(1).AddMinutes(-i), $"s{i}"));
        await store.FlushAsync(Cancel());

        var window = new EventQuery(Since: T0.AddMinutes(3), Until: T0.AddMinutes(6));
        Assert.Equal(["s6", "s5", "s4", "s3"], (await store.QueryAsync(window, Cancel())).Select(s => s.Sender));
        Assert.Equal(["s6", "s4"], (await store.QueryAsync(window with { Uid = "even" }, Cancel())).Select(s => s.Sender));
        Assert.Equal(["s9", "s8"], (await store.QueryAsync(new EventQuery(Since: T0.AddMinutes(8)), Cancel())).Select(s => s.Sender));
        Assert.Equal(["s1", "s0"], (await store.QueryAsync(new EventQuery(Until: T0.AddMinutes(1)), Cancel())).Select(s => s.Sender));
    }

    [Fact]
    public async Task The_access_filter_admits_what_its_columns_say_and_with_the_decision_exactly_what_AccessControl_permits()
    {
        var store = await OpenAsync();
        var random = new Random(20250601);
        string[] classifications = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"];
        string[] nations = ["USA", "JPN", "KOR"];
        var stored = new List<(StoredEvent Event, ConfidentialityLabel Label)>();
        for (var i = 0; i < 240; i++)
        {
            var releasable = nations.Where((_, n) => random.Next(2) == 0).ToList();
            if (releasable.Count == 0)
                releasable.Add(nations[random.Next(nations.Length)]);
            LabelCategory[] categories = random.Next(4) switch
            {
                0 => [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])],
                1 => [new LabelCategory("MISSION", CategoryType.Permissive, ["BMD", "ISR"])],
                2 => [new LabelCategory("NOTE", CategoryType.Informative, ["EXERCISE"])],
                _ => [],
            };
            var label = Labels.Create(classifications[random.Next(classifications.Length)], releasable, categories);
            var time = T0.AddSeconds(i);
            // One in ten is stored without label columns, as history from before them: the decision alone judges it.
            var columns = random.Next(10) == 0 ? StoredLabel.Unknown : StoredLabel.Of(label);
            var evt = Stored(Event($"u{i % 12}", "a-f-G", time, stale: time.AddHours(1)), time, $"s{i}") with { Label = columns };
            store.Append(evt);
            stored.Add((evt, label));
        }

        await store.FlushAsync(Cancel());
        var labelOf = stored.ToDictionary(s => s.Event.Sender, s => s.Label, StringComparer.Ordinal);
        var newestFirst = stored.OrderByDescending(s => s.Event.Event.Time).ToList();
        Principal[] callers =
        [
            Who("JJOC", "SECRET"),
            Who("JJOC", "SECRET", "SAP:MWX"),
            Who("USFJ", "CONFIDENTIAL"),
            Who("ROK-JCS", "SECRET", "MISSION:BMD"),
            Who("CFC", "SECRET", "MISSION:ISR", "SAP:MWX"),
            Labels.Anonymous("ROK-JCS", "kor-anonymous"),
        ];

        foreach (var caller in callers)
        {
            var filter = Labels.FilterFor(caller);
            bool Visible(StoredEvent e) => AccessControl.Permits(caller, labelOf[e.Sender]);
            var admitted = newestFirst.Where(s => filter.Admits(s.Event.Label)).Select(s => s.Event.Sender).ToList();
            var permitted = newestFirst.Where(s => AccessControl.Permits(caller, s.Label)).Select(s => s.Event.Sender).ToList();
            Assert.NotEmpty(permitted);
            // The columns only narrow: nothing the decision permits is filtered out.
            Assert.Empty(permitted.Except(admitted));

            Assert.Equal(admitted, Senders(await store.QueryAsync(new EventQuery(Limit: 1000, Filter: filter), Cancel())));
            Assert.Equal(permitted, Senders(await store.QueryAsync(new EventQuery(Limit: 1000, Filter: filter, Visible: Visible), Cancel())));
            Assert.Equal(permitted.Take(7), Senders(await store.QueryAsync(new EventQuery(Limit: 7, Filter: filter, Visible: Visible), Cancel())));
            Assert.Equal(
                newestFirst.Where(s => s.Event.Event.Uid == "u5" && AccessControl.Permits(caller, s.Label)).Select(s => s.Event.Sender),
                Senders(await store.QueryAsync(new EventQuery(Uid: "u5", Limit: 1000, Filter: filter, Visible: Visible), Cancel())));

            // The picture: each uid's newest event this caller may see.
            var at = T0.AddSeconds(200);
            var expected = newestFirst
                .Where(s => s.Event.Event.Time <= at && AccessControl.Permits(caller, s.Label))
                .GroupBy(s => s.Event.Event.Uid, StringComparer.Ordinal)
                .Select(g => g.First().Event.Sender)
                .Order(StringComparer.Ordinal);
            var state = await store.StateAtAsync(at, TimeSpan.FromHours(1), filter, Visible, Cancel());
            Assert.Equal(expected, state.Select(s => s.Sender).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task StateAt_gives_each_uid_its_newest_event_at_or_before_the_time()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0, "alpha-old"));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(2)), T0.AddMinutes(2), "alpha-at"));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(3)), T0.AddMinutes(3), "alpha-after"));
        store.Append(Stored(Event("bravo", "a-f-G", T0.AddMinutes(1)), T0.AddMinutes(1), "bravo"));
        store.Append(Stored(Event("charlie", "a-f-G", T0.AddMinutes(4)), T0.AddMinutes(4), "charlie-after"));
        await store.FlushAsync(Cancel());

        var state = await store.StateAtAsync(T0.AddMinutes(2), TimeSpan.FromMinutes(10), filter: null, visible: null, Cancel());

        Assert.Equal(["alpha-at", "bravo"], state.Select(s => s.Sender).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StateAt_passes_over_an_event_the_caller_may_not_see_to_the_older_one_it_may()
    {
        var store = await OpenAsync();
        var shared = Labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]);
        var national = Labels.Create("SECRET", ["JPN"]);
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0, "shared") with { Label = StoredLabel.Of(shared) });
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1)), T0.AddMinutes(1), "national") with { Label = StoredLabel.Of(national) });
        store.Append(Stored(Event("bravo", "a-f-G", T0.AddMinutes(1)), T0.AddMinutes(1), "national-only") with { Label = StoredLabel.Of(national) });
        await store.FlushAsync(Cancel());
        var korea = Labels.Anonymous("ROK-JCS", "kor");
        var japan = Who("JJOC", "SECRET");
        var labelOf = new Dictionary<string, ConfidentialityLabel> { ["shared"] = shared, ["national"] = national, ["national-only"] = national };

        async Task<IEnumerable<string>> StateFor(Principal caller)
            => (await store.StateAtAsync(T0.AddMinutes(2), TimeSpan.FromMinutes(10), Labels.FilterFor(caller), e => AccessControl.Permits(caller, labelOf[e.Sender]), Cancel()))
                .Select(s => s.Sender).Order(StringComparer.Ordinal);

        Assert.Equal(["shared"], await StateFor(korea));
        Assert.Equal(["national", "national-only"], await StateFor(japan));
    }

    [Fact]
    public async Task StateAt_leaves_out_an_event_that_had_been_stale_longer_than_the_cutoff()
    {
        var store = await OpenAsync();
        // Stale at T0 + 5 min; the picture is asked for at T0 + 10 min.
        store.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddMinutes(5)), T0));
        await store.FlushAsync(Cancel());
        var at = T0.AddMinutes(10);

        Assert.Single(await store.StateAtAsync(at, TimeSpan.FromMinutes(6), null, null, Cancel()));
        Assert.Empty(await store.StateAtAsync(at, TimeSpan.FromMinutes(4), null, null, Cancel()));
        Assert.Empty(await store.StateAtAsync(at, TimeSpan.FromMinutes(2), null, null, Cancel()));
    }

    [Fact]
    public async Task Latest_gives_each_uid_its_newest_event_while_that_event_is_not_stale()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddHours(1)), T0, "alpha-old"));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1), stale: T0.AddHours(1)), T0.AddMinutes(1), "alpha-new"));
        // Stored late with an older time: the newer event stands.
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddSeconds(30), stale: T0.AddHours(1)), T0.AddMinutes(2), "alpha-late"));
        // Newest event already stale at T0 + 10 min: the uid is left out, not its older event shown.
        store.Append(Stored(Event("bravo", "a-f-G", T0, stale: T0.AddHours(1)), T0, "bravo-old"));
        store.Append(Stored(Event("bravo", "a-f-G", T0.AddMinutes(1), stale: T0.AddMinutes(5)), T0.AddMinutes(1), "bravo-new"));
        store.Append(Stored(Event("charlie", "a-f-G", T0, stale: T0.AddHours(1)), T0, "charlie"));
        await store.FlushAsync(Cancel());

        var latest = await store.LatestAsync(T0.AddMinutes(10), Cancel());

        Assert.Equal(["alpha", "charlie"], Uids(latest));
        Assert.Equal(["alpha-new", "charlie"], latest.Select(s => s.Sender));
        Assert.Equal(["alpha", "bravo", "charlie"], Uids(await store.LatestAsync(T0.AddMinutes(2), Cancel())));
    }

    [Fact]
    public async Task Prune_deletes_the_history_received_before_the_cutoff_and_says_how_much()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 10; i++)
            store.Append(Stored(Event(i % 2 == 0 ? "even" : $"u{i}", "a-f-G", T0.AddMinutes(i)), T0.AddMinutes(i), $"s{i}"));

        // Not flushed first: what was appended before the call is pruned by the same rule.
        Assert.Equal(4, await store.PruneAsync(T0.AddMinutes(4), Cancel()));

        Assert.Equal(["s9", "s8", "s7", "s6", "s5", "s4"], Senders(await store.QueryAsync(new EventQuery(), Cancel())));
        Assert.Equal(["s8", "s6", "s4"], Senders(await store.QueryAsync(new EventQuery(Uid: "even"), Cancel())));
        Assert.Equal(0, await store.PruneAsync(T0.AddMinutes(4), Cancel()));
    }

    [Fact]
    public async Task A_store_reopened_on_the_same_storage_keeps_its_history_latest_and_owners()
    {
        var first = await OpenAsync();
        for (var i = 0; i < 50; i++)
            first.Append(Stored(Event($"u{i % 5}", "a-f-G", T0.AddSeconds(i), stale: T0.AddHours(1)), T0.AddSeconds(i), $"s{i}"));
        first.RecordOwner("u1", "JJOC");
        first.RecordOwner("u1", "USFJ");
        await first.FlushAsync(Cancel());
        var history = Senders(await first.QueryAsync(new EventQuery(Limit: 1000), Cancel()));
        var ofUid = Senders(await first.QueryAsync(new EventQuery(Uid: "u3", Limit: 1000), Cancel()));
        var latest = Senders(await first.LatestAsync(T0, Cancel()));
        // Not flushed: disposing writes what is queued.
        first.Append(Stored(Event("u3", "a-f-G", T0.AddMinutes(5), stale: T0.AddHours(1)), T0.AddMinutes(5), "last"));
        await CloseAsync(first);

        var second = await OpenAsync();

        Assert.Equal(["last", .. history], Senders(await second.QueryAsync(new EventQuery(Limit: 1000), Cancel())));
        Assert.Equal(["last", .. ofUid], Senders(await second.QueryAsync(new EventQuery(Uid: "u3", Limit: 1000), Cancel())));
        Assert.Equal(latest.Select(s => s == "s48" ? "last" : s), Senders(await second.LatestAsync(T0, Cancel())));
        Assert.Equal([new KeyValuePair<string, string>("u1", "JJOC")], await second.OwnersAsync(Cancel()));

        // And goes on: a new event is the newest.
        second.Append(Stored(Event("u3", "a-f-G", T0.AddMinutes(6), stale: T0.AddHours(1)), T0.AddMinutes(6), "after-restart"));
        await second.FlushAsync(Cancel());
        Assert.Equal("after-restart", (await second.QueryAsync(new EventQuery(Uid: "u3", Limit: 1), Cancel()))[0].Sender);
    }

    [Fact]
    public async Task The_first_owner_recorded_for_a_uid_stands()
    {
        var store = await OpenAsync();
        store.RecordOwner("alpha", "JJOC");
        store.RecordOwner("bravo", "USFJ");
        store.RecordOwner("alpha", "ROK-JCS");
        await store.FlushAsync(Cancel());

        var owners = await store.OwnersAsync(Cancel());

        Assert.Equal(["alpha=JJOC", "bravo=USFJ"], owners.Select(o => $"{o.Key}={o.Value}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WaitForRoom_completes_while_the_backlog_is_small_and_once_the_writer_catches_up()
    {
        var store = await OpenAsync();
        await store.WaitForRoomAsync(Cancel()).AsTask().WaitAsync(Timeout);
        for (var i = 0; i < 500; i++)
            store.Append(Stored(Event($"u{i % 7}", "a-f-G", T0.AddSeconds(i)), T0.AddSeconds(i)));

        await store.WaitForRoomAsync(Cancel()).AsTask().WaitAsync(Timeout);
        await store.FlushAsync(Cancel());
        await store.WaitForRoomAsync(Cancel()).AsTask().WaitAsync(Timeout);
        Assert.Equal(500, (await store.QueryAsync(new EventQuery(Limit: 1000), Cancel())).Count);
    }

    private async Task<IEventStore> OpenAsync()
    {
        var store = CreateStore(_time);
        _open.Add(store);
        await store.InitializeAsync(Cancel());
        return store;
    }

    private async Task CloseAsync(IEventStore store)
    {
        _open.Remove(store);
        await store.DisposeAsync();
    }

    private static Principal Who(string organization, string clearance, params string[] authorizations)
    {
        var org = Labels.Profile.FindOrganization(organization)!;
        Assert.True(Labels.TryCreatePrincipal(new IdentityClaims("t", org.Nation, organization, "operator", clearance, authorizations), out var principal, out var reason), reason);
        return principal;
    }

    private static List<string> Uids(IEnumerable<StoredEvent> events) => [.. events.Select(e => e.Event.Uid)];

    private static List<string> Senders(IEnumerable<StoredEvent> events) => [.. events.Select(e => e.Sender)];

    private static CancellationToken Cancel() => new CancellationTokenSource(Timeout).Token;

    private static StoredEvent Stored(CotEvent evt, DateTime receivedAt, string sender = "tcp:127.0.0.1:5000") => new(evt, receivedAt, sender);

    private static CotEvent Event(string uid, string type, DateTime time, DateTime? stale = null, double lat = 1.5, double lon = 2.5)
        => new()
        {
            Uid = uid,
            Type = type,
            How = "h-e",
            Time = time,
            Start = time,
            Stale = stale ?? time.AddMinutes(5),
            Point = new CotPoint(lat, lon, 10, 5, 5),
        };
}
