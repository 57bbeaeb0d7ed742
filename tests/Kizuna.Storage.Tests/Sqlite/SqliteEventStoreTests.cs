using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Tests.Sqlite;

public sealed class SqliteEventStoreTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kizuna-storage-tests", Guid.NewGuid().ToString("N"));
    private readonly TestLogger<SqliteEventStore> _log = new();
    private readonly List<SqliteEventStore> _stores = [];

    private string DatabasePath => Path.Combine(_directory, "history", "events.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        // A test fails when the store logged an error it should not have.
        Assert.Empty(_log.AtLeast(LogLevel.Error));
    }

    [Fact]
    public async Task A_filtered_query_reads_no_row_the_caller_may_not_see_and_answers_the_same_whatever_is_hidden()
    {
        var store = await OpenAsync();
        var labels = new Kizuna.Core.Labels.LabelPolicy(Kizuna.Core.Alliance.ProfileLoader.LoadDefault());
        var shared = StoredLabel.Of(labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]));
        var national = StoredLabel.Of(labels.Create("UNCLASSIFIED", ["JPN"]));
        var secret = StoredLabel.Of(labels.Create("SECRET", ["USA", "JPN", "KOR"]));
        var korea = labels.Anonymous("ROK-JCS", "kor-reader");
        var filter = labels.FilterFor(korea);

        async Task<(List<string> Uids, long Read)> AskAsync(string? uid = null, string? type = null)
        {
            var before = store.RowsRead;
            var found = await store.QueryAsync(new EventQuery(Uid: uid, Type: type, Limit: 1000, Filter: filter), Cancel());
            return ([.. found.Select(f => f.Event.Uid)], store.RowsRead - before);
        }

        for (var i = 0; i < 3; i++)
            store.Append(Stored(Event($"seen-{i}", "a-f-G", T0.AddSeconds(i)), T0.AddSeconds(i)) with { Label = shared });
        await store.FlushAsync(Cancel());
        var alone = await AskAsync();
        var aloneByType = await AskAsync(type: "a-f-G");
        var aloneByUid = await AskAsync(uid: "seen-1");

        for (var i = 0; i < 200; i++)
            store.Append(Stored(Event(i % 2 == 0 ? "seen-1" : $"hidden-{i}", "a-f-G", T0.AddSeconds(10 + i)), T0.AddSeconds(10 + i)) with { Label = i % 3 == 0 ? secret : national });
        await store.FlushAsync(Cancel());

        foreach (var (before, after) in new[] { (alone, await AskAsync()), (aloneByType, await AskAsync(type: "a-f-G")), (aloneByUid, await AskAsync(uid: "seen-1")) })
        {
            Assert.Equal(before.Uids, after.Uids);
            Assert.Equal(before.Read, after.Read);
        }

        Assert.Equal(3, alone.Read);
        Assert.Equal(1, aloneByUid.Read);
    }

    [Fact]
    public async Task Appended_events_are_found_by_uid_after_flush()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0, "tcp:1"));
        store.Append(Stored(Event("bravo", "a-f-G", T0.AddSeconds(1)), T0.AddSeconds(1), "tcp:2"));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddSeconds(2)), T0.AddSeconds(2), "tcp:1"));
        await store.FlushAsync(Cancel());

        var found = await store.QueryAsync(new EventQuery(Uid: "alpha"), Cancel());

        Assert.Equal([T0.AddSeconds(2), T0], found.Select(s => s.Event.Time));
        Assert.All(found, s => Assert.Equal("alpha", s.Event.Uid));
        Assert.All(found, s => Assert.Equal("tcp:1", s.Sender));
    }

    [Fact]
    public async Task A_stored_event_reads_back_with_its_fields_sender_and_receive_time()
    {
        var store = await OpenAsync();
        var evt = Event("alpha", "a-f-G-U-C", T0, lat: 35.6895, lon: 139.6917);
        evt.How = "m-g";
        store.Append(Stored(evt, T0.AddMilliseconds(250), "tls:10.0.0.7:4242"));
        await store.FlushAsync(Cancel());

        var back = Assert.Single(await store.QueryAsync(new EventQuery(), Cancel()));

        Assert.Equal("alpha", back.Event.Uid);
        Assert.Equal("a-f-G-U-C", back.Event.Type);
        Assert.Equal("m-g", back.Event.How);
        Assert.Equal(T0, back.Event.Time);
        Assert.Equal(T0, back.Event.Start);
        Assert.Equal(T0.AddMinutes(5), back.Event.Stale);
        Assert.Equal(35.6895, back.Event.Point.Lat, 6);
        Assert.Equal(139.6917, back.Event.Point.Lon, 6);
        Assert.Equal(T0.AddMilliseconds(250), back.ReceivedAt);
        Assert.Equal(DateTimeKind.Utc, back.ReceivedAt.Kind);
        Assert.Equal("tls:10.0.0.7:4242", back.Sender);
    }

    [Fact]
    public async Task Query_by_type_returns_only_that_type_newest_first()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 6; i++)
            store.Append(Stored(Event($"u{i}", i % 2 == 0 ? "a-f-G" : "b-t-f", T0.AddSeconds(i)), T0.AddSeconds(i)));
        await store.FlushAsync(Cancel());

        var found = await store.QueryAsync(new EventQuery(Type: "b-t-f"), Cancel());

        Assert.Equal(["u5", "u3", "u1"], found.Select(s => s.Event.Uid));
    }

    [Fact]
    public async Task Query_by_time_window_uses_the_event_time_with_both_ends_inclusive()
    {
        var store = await OpenAsync();
        // Received in the opposite order from their event times: the window must follow event time.
        for (var i = 0; i < 10; i++)
            store.Append(Stored(Event($"u{i}", "a-f-G", T0.AddMinutes(i)), T0.AddHours(1).AddMinutes(-i)));
        await store.FlushAsync(Cancel());

        var found = await store.QueryAsync(new EventQuery(Since: T0.AddMinutes(3), Until: T0.AddMinutes(6)), Cancel());

        Assert.Equal(["u6", "u5", "u4", "u3"], found.Select(s => s.Event.Uid));
    }

    [Fact]
    public async Task Query_combines_uid_window_and_limit()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 20; i++)
            store.Append(Stored(Event(i % 2 == 0 ? "alpha" : "bravo", "a-f-G", T0.AddSeconds(i)), T0.AddSeconds(i)));
        await store.FlushAsync(Cancel());

        var found = await store.QueryAsync(new EventQuery(Uid: "alpha", Since: T0.AddSeconds(4), Limit: 3), Cancel());

        Assert.Equal([T0.AddSeconds(18), T0.AddSeconds(16), T0.AddSeconds(14)], found.Select(s => s.Event.Time));
    }

    [Fact]
    public async Task Query_limit_is_capped_at_ten_thousand_and_zero_returns_nothing()
    {
        var store = await OpenAsync();
        for (var i = 0; i < SqliteStoreOptions.MaxQueryLimit + 50; i++)
            store.Append(Stored(Event($"u{i}", "a-f-G", T0.AddMilliseconds(i)), T0));
        await store.FlushAsync(Cancel());

        var capped = await store.QueryAsync(new EventQuery(Limit: int.MaxValue), Cancel());
        var none = await store.QueryAsync(new EventQuery(Limit: 0), Cancel());

        Assert.Equal(SqliteStoreOptions.MaxQueryLimit, capped.Count);
        Assert.Equal($"u{SqliteStoreOptions.MaxQueryLimit + 49}", capped[0].Event.Uid);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Latest_keeps_the_newest_event_per_uid_and_skips_stale_ones()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddMinutes(10)), T0));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1), stale: T0.AddMinutes(11)), T0.AddMinutes(1)));
        store.Append(Stored(Event("bravo", "a-h-G", T0, stale: T0.AddMinutes(2)), T0));
        store.Append(Stored(Event("charlie", "a-n-G", T0, stale: T0.AddMinutes(30)), T0));
        await store.FlushAsync(Cancel());

        var latest = await store.LatestAsync(T0.AddMinutes(5), Cancel());

        Assert.Equal(["alpha", "charlie"], latest.Select(s => s.Event.Uid).Order(StringComparer.Ordinal));
        Assert.Equal(T0.AddMinutes(1), latest.Single(s => s.Event.Uid == "alpha").Event.Time);
    }

    [Fact]
    public async Task An_older_event_does_not_replace_a_newer_latest()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(2)), T0, "new"));
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0.AddSeconds(1), "late-old"));
        await store.FlushAsync(Cancel());
        // Also across batches: the comparison is in SQL, not within one batch.
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1)), T0.AddSeconds(2), "later-old"));
        await store.FlushAsync(Cancel());

        var latest = Assert.Single(await store.LatestAsync(T0, Cancel()));

        Assert.Equal(T0.AddMinutes(2), latest.Event.Time);
        Assert.Equal("new", latest.Sender);
        Assert.Equal(3, (await store.QueryAsync(new EventQuery(Uid: "alpha"), Cancel())).Count);
    }

    [Fact]
    public async Task An_event_with_the_same_time_replaces_the_latest()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0, "first"));
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0.AddSeconds(1), "second"));
        await store.FlushAsync(Cancel());

        Assert.Equal("second", Assert.Single(await store.LatestAsync(T0, Cancel())).Sender);
    }

    [Fact]
    public async Task Prune_deletes_history_received_before_the_cutoff()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 10; i++)
            store.Append(Stored(Event($"u{i}", "a-f-G", T0.AddDays(i), stale: T0.AddDays(i + 1)), T0.AddDays(i)));

        // Not flushed on purpose: the prune sees everything appended before it.
        var deleted = await store.PruneAsync(T0.AddDays(4), Cancel());
        var left = await store.QueryAsync(new EventQuery(), Cancel());

        Assert.Equal(4, deleted);
        Assert.Equal(["u9", "u8", "u7", "u6", "u5", "u4"], left.Select(s => s.Event.Uid));
    }

    [Fact]
    public async Task Prune_removes_latest_entries_that_went_stale_before_the_cutoff()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("gone", "a-f-G", T0, stale: T0.AddHours(1)), T0));
        store.Append(Stored(Event("kept", "a-f-G", T0, stale: T0.AddDays(30)), T0));
        await store.PruneAsync(T0.AddDays(1), Cancel());

        var latest = await store.LatestAsync(T0, Cancel());

        Assert.Equal("kept", Assert.Single(latest).Event.Uid);
    }

    [Fact]
    public async Task Retention_prunes_old_history_on_its_own()
    {
        var time = new ManualTimeProvider(T0.AddDays(10));
        var store = await OpenAsync(new SqliteStoreOptions
        {
            DatabasePath = DatabasePath,
            Retention = TimeSpan.FromDays(7),
            RetentionSweepInterval = TimeSpan.FromMinutes(1),
        }, time);
        store.Append(Stored(Event("old", "a-f-G", T0), T0));
        store.Append(Stored(Event("recent", "a-f-G", T0.AddDays(9)), T0.AddDays(9)));

        time.Advance(TimeSpan.FromMinutes(1));   // fires the sweep, which queues a prune
        await store.FlushAsync(Cancel());        // queued after it, so it completes after it

        var left = await store.QueryAsync(new EventQuery(), Cancel());
        Assert.Equal("recent", Assert.Single(left).Event.Uid);
    }

    [Fact]
    public async Task Reopening_the_database_keeps_the_data()
    {
        var first = await OpenAsync();
        for (var i = 0; i < 5; i++)
            first.Append(Stored(Event($"u{i}", "a-f-G", T0.AddSeconds(i), stale: T0.AddHours(1)), T0.AddSeconds(i)));
        await first.DisposeAsync();   // no flush: dispose drains the queue

        var second = await OpenAsync();
        second.Append(Stored(Event("u5", "a-f-G", T0.AddSeconds(5), stale: T0.AddHours(1)), T0.AddSeconds(5)));
        await second.FlushAsync(Cancel());

        var history = await second.QueryAsync(new EventQuery(), Cancel());
        var latest = await second.LatestAsync(T0, Cancel());

        Assert.Equal(["u5", "u4", "u3", "u2", "u1", "u0"], history.Select(s => s.Event.Uid));
        Assert.Equal(6, latest.Count);
    }

    [Fact]
    public async Task Many_concurrent_appends_are_all_stored_after_flush()
    {
        var store = await OpenAsync(new SqliteStoreOptions { DatabasePath = DatabasePath, BatchSize = 64 });
        const int writers = 8;
        const int perWriter = 1_000;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < perWriter; i++)
                store.Append(Stored(Event($"w{w}-{i}", "a-f-G", T0.AddMilliseconds(i), stale: T0.AddHours(1)), T0, $"writer{w}"));
        })));
        await store.FlushAsync(Cancel());

        var all = await store.QueryAsync(new EventQuery(Limit: SqliteStoreOptions.MaxQueryLimit), Cancel());
        var latest = await store.LatestAsync(T0, Cancel());

        Assert.Equal(writers * perWriter, all.Count);
        Assert.Equal(writers * perWriter, all.Select(s => s.Event.Uid).Distinct().Count());
        Assert.Equal(writers * perWriter, latest.Count);
        Assert.Equal(writers * perWriter, store.WrittenCount);
        Assert.Equal(0, store.DroppedCount);
    }

    [Fact]
    public async Task Flush_waits_for_events_appended_before_it_even_with_a_long_batch_delay()
    {
        var store = await OpenAsync(new SqliteStoreOptions { DatabasePath = DatabasePath, MaxBatchDelay = TimeSpan.FromSeconds(10) });
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0));

        var flush = store.FlushAsync(Cancel());
        Assert.Same(flush, await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(5))));
        await flush;

        Assert.Single(await store.QueryAsync(new EventQuery(), Cancel()));
    }

    [Fact]
    public async Task A_full_queue_drops_history_instead_of_blocking_and_says_so()
    {
        // Not initialized yet, so nothing drains the queue.
        var store = Track(new SqliteEventStore(new SqliteStoreOptions { DatabasePath = DatabasePath, MaxPendingEvents = 3 }, _log));
        for (var i = 0; i < 5; i++)
            store.Append(Stored(Event($"u{i}", "a-f-G", T0), T0));

        Assert.Equal(2, store.DroppedCount);
        Assert.Single(_log.Entries, e => e.EventId.Id == 3005);

        await store.InitializeAsync(Cancel());
        await store.FlushAsync(Cancel());
        Assert.Equal(3, (await store.QueryAsync(new EventQuery(), Cancel())).Count);
    }

    [Fact]
    public async Task A_backlog_over_the_threshold_holds_connections_back_until_the_writer_catches_up()
    {
        // Not initialized yet, so nothing drains the queue: the backlog stays where we put it.
        var store = Track(new SqliteEventStore(new SqliteStoreOptions { DatabasePath = DatabasePath, BackpressureThreshold = 4 }, _log));
        Assert.True(store.WaitForRoomAsync(Cancel()).IsCompleted, "an empty store has room");
        for (var i = 0; i < 10; i++)
            store.Append(Stored(Event($"u{i}", "a-f-G", T0), T0));

        var waiting = store.WaitForRoomAsync(Cancel()).AsTask();
        Assert.False(waiting.IsCompleted, "ten pending over a threshold of four must hold back");

        await store.InitializeAsync(Cancel());
        await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        await store.FlushAsync(Cancel());
        Assert.Equal(10, (await store.QueryAsync(new EventQuery(), Cancel())).Count);
    }

    [Fact]
    public async Task An_event_that_cannot_be_encoded_is_logged_and_skipped_and_the_rest_are_stored()
    {
        var store = Track(new SqliteEventStore(
            new SqliteStoreOptions { DatabasePath = DatabasePath },
            _log,
            time: null,
            encode: evt => evt.Uid == "bad" ? throw new CotFormatException(CotRejectReason.MissingField, "no type") : CotXml.Encode(evt),
            decode: static (utf8, limits) => CotXml.Decode(utf8, limits)));
        await store.InitializeAsync(Cancel());

        store.Append(Stored(Event("good1", "a-f-G", T0), T0));
        store.Append(Stored(Event("bad", "a-f-G", T0), T0));
        store.Append(Stored(Event("good2", "a-f-G", T0), T0));
        await store.FlushAsync(Cancel());

        var stored = await store.QueryAsync(new EventQuery(), Cancel());
        Assert.Equal(["good1", "good2"], stored.Select(s => s.Event.Uid).Order(StringComparer.Ordinal));
        Assert.Equal(1, store.FailedCount);
        var warning = Assert.Single(_log.Entries, e => e.EventId.Id == 3003);
        Assert.Contains("MissingField", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_database_uses_write_ahead_logging()
    {
        await OpenAsync();

        Assert.Equal("wal", (string?)Execute("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task The_history_indexes_type_and_times_and_keeps_its_uid_index_in_a_table_of_its_own()
    {
        await OpenAsync();

        // No index keyed by uid on the events: that one is written behind the history (uid_index).
        Assert.Equal(["ix_events_origin", "ix_events_received_at", "ix_events_time_label", "ix_events_type_time_label"], EventIndexes());
        Assert.Equal(1L, Execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'uid_index' AND sql LIKE '%WITHOUT ROWID%'"));
    }

    [Fact]
    public async Task A_version_one_history_loses_its_receive_time_indexes_and_keeps_its_events()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0), T0));
        store.Append(Stored(Event("bravo", "a-h-G", T0.AddSeconds(1)), T0.AddSeconds(1)));
        await store.DisposeAsync();
        // Back to the indexes, columns and version number an older build wrote.
        Execute("""
            DROP INDEX ix_events_type_time_label;
            DROP INDEX ix_events_time_label;
            DROP TABLE owners;
            ALTER TABLE events DROP COLUMN label_scheme;
            ALTER TABLE events DROP COLUMN label_level;
            ALTER TABLE events DROP COLUMN label_nations;
            ALTER TABLE events DROP COLUMN label_categories;
            CREATE INDEX ix_events_time ON events (time);
            CREATE INDEX ix_events_uid_received_at ON events (uid, received_at);
            CREATE INDEX ix_events_type_received_at ON events (type, received_at);
            PRAGMA user_version = 1;
            """);

        Execute("""
            DROP TABLE uid_index;
            DROP TABLE history_mark;
            CREATE INDEX ix_events_uid_time ON events (uid, time);
            """);

        var reopened = await OpenAsync();

        Assert.Equal(["ix_events_origin", "ix_events_received_at", "ix_events_time_label", "ix_events_type_time_label"], EventIndexes());
        Assert.Equal("bravo", Assert.Single(await reopened.QueryAsync(new EventQuery(Type: "a-h-G"), Cancel())).Event.Uid);
        // Its index on uid moved to uid_index, which is up to date through its last event.
        Assert.Equal("alpha", Assert.Single(await reopened.QueryAsync(new EventQuery(Uid: "alpha"), Cancel())).Event.Uid);
        Assert.Equal(2L, Execute("SELECT COUNT(*) FROM uid_index"));
        Assert.Equal(2L, Execute("SELECT indexed_through FROM history_mark"));
        Assert.Equal(SqliteEventStore.SchemaVersion, (long)Execute("PRAGMA user_version")!);
        // Said once, when it happens: the first open after an upgrade may take a while on a large history.
        Assert.Single(_log.Entries, e => e.EventId.Id == 3011);
    }

    [Fact]
    public async Task Appending_after_dispose_throws()
    {
        var store = await OpenAsync();
        await store.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => store.Append(Stored(Event("alpha", "a-f-G", T0), T0)));
    }

    private async Task<SqliteEventStore> OpenAsync(SqliteStoreOptions? options = null, TimeProvider? time = null)
    {
        var store = Track(new SqliteEventStore(options ?? new SqliteStoreOptions { DatabasePath = DatabasePath }, _log, time));
        await store.InitializeAsync(Cancel());
        return store;
    }

    private string[] EventIndexes()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_index_list('events') ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
            names.Add(reader.GetString(0));
        return [.. names];
    }

    private object? Execute(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private SqliteEventStore Track(SqliteEventStore store)
    {
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task The_state_at_a_time_is_each_uids_newest_event_sent_by_then()
    {
        var store = await OpenAsync();
        // alpha moves at +0 and +10 min; bravo reported once, long before, with a day-long stale time.
        store.Append(Stored(Event("alpha", "a-f-G", T0, lat: 1), T0));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(10), lat: 2), T0.AddMinutes(10)));
        store.Append(Stored(Event("bravo", "a-h-G", T0.AddHours(-5), stale: T0.AddHours(20)), T0.AddHours(-5)));
        await store.FlushAsync(Cancel());

        var before = await store.StateAtAsync(T0.AddMinutes(5), TimeSpan.FromHours(1), null, null, Cancel());
        var after = await store.StateAtAsync(T0.AddMinutes(15), TimeSpan.FromHours(1), null, null, Cancel());

        Assert.Equal(1, Assert.Single(before, s => s.Event.Uid == "alpha").Event.Point.Lat);
        Assert.Equal(2, Assert.Single(after, s => s.Event.Uid == "alpha").Event.Point.Lat);
        // Silent for five hours but not stale: part of the picture (a window of recent history would miss it).
        Assert.Single(before, s => s.Event.Uid == "bravo");
        Assert.Empty(await store.StateAtAsync(T0.AddHours(-6), TimeSpan.FromHours(1), null, null, Cancel()));
    }

    [Fact]
    public async Task The_state_at_a_time_passes_over_what_the_caller_may_not_see_and_what_was_long_stale()
    {
        var store = await OpenAsync();
        store.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddHours(1), lat: 1), T0));
        store.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1), stale: T0.AddHours(1), lat: 2), T0.AddMinutes(1), sender: "secret-sender"));
        store.Append(Stored(Event("charlie", "a-f-G", T0, stale: T0.AddMinutes(5)), T0));
        await store.FlushAsync(Cancel());

        var state = await store.StateAtAsync(T0.AddMinutes(30), TimeSpan.FromMinutes(20), null, s => s.Sender != "secret-sender", Cancel());

        // The newest alpha is hidden from this caller: the one before it stands, not nothing and not the hidden one.
        Assert.Equal(1, Assert.Single(state, s => s.Event.Uid == "alpha").Event.Point.Lat);
        // charlie went stale 25 minutes before: beyond the 20 minutes a stale entity is still shown.
        Assert.DoesNotContain(state, s => s.Event.Uid == "charlie");
    }

    [Fact]
    public async Task Queries_by_uid_and_of_the_latest_see_every_event_while_the_uid_index_is_written_behind_in_segments()
    {
        // Segments of 1,000 events, each written over several batches of 100 (a batch writes at
        // least 256 of a segment's rows): queries meet the tail, a segment half written, and both.
        var store = await OpenAsync(new SqliteStoreOptions { DatabasePath = DatabasePath, BatchSize = 100, IndexSegmentEvents = 1000 });
        var sent = new Dictionary<string, List<DateTime>>();
        var sawIndexBehind = false;
        for (var round = 0; round < 30; round++)
        {
            for (var i = 0; i < 100; i++)
            {
                var uid = $"u{(i * 7 + round) % 50}";
                // Times go back now and then: the newest by time, not by arrival, is the latest.
                var time = T0.AddSeconds((round * 100) + i - (i % 10 == 3 ? 500 : 0));
                store.Append(Stored(Event(uid, "a-f-G", time, stale: time.AddHours(1)), time));
                (sent.TryGetValue(uid, out var times) ? times : sent[uid] = []).Add(time);
            }

            await store.FlushAsync(Cancel());
            var indexed = (long)Execute("SELECT COUNT(*) FROM uid_index")!;
            sawIndexBehind |= indexed > 0 && indexed < sent.Values.Sum(t => t.Count);

            foreach (var uid in new[] { "u0", $"u{round % 50}", "u49" })
            {
                var expected = sent.GetValueOrDefault(uid, []).OrderDescending().ToList();
                var found = await store.QueryAsync(new EventQuery(Uid: uid, Limit: 10_000), Cancel());
                Assert.Equal(expected, found.Select(s => s.Event.Time));
                var window = await store.QueryAsync(new EventQuery(Uid: uid, Since: T0.AddSeconds(1000), Until: T0.AddSeconds(1999), Limit: 5), Cancel());
                Assert.Equal(expected.Where(t => t >= T0.AddSeconds(1000) && t <= T0.AddSeconds(1999)).Take(5), window.Select(s => s.Event.Time));
            }

            var latest = await store.LatestAsync(T0, Cancel());
            Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), latest.Select(s => s.Event.Uid));
            Assert.All(latest, s => Assert.Equal(sent[s.Event.Uid].Max(), s.Event.Time));
        }

        Assert.True(sawIndexBehind, "The test never met a segment half written.");
        var at = T0.AddSeconds(1500);
        var state = await store.StateAtAsync(at, TimeSpan.FromHours(1), null, null, Cancel());
        Assert.Equal(sent.Where(p => p.Value.Any(t => t <= at)).Select(p => p.Key).Order(StringComparer.Ordinal), state.Select(s => s.Event.Uid));
        Assert.All(state, s => Assert.Equal(sent[s.Event.Uid].Where(t => t <= at).Max(), s.Event.Time));

        // Closing writes the rest, so the next open has nothing to rebuild.
        await store.DisposeAsync();
        Assert.Equal(3000L, Execute("SELECT COUNT(*) FROM uid_index"));
        Assert.Equal(3000L, Execute("SELECT indexed_through FROM history_mark"));
    }

    [Fact]
    public async Task An_open_rebuilds_the_uid_index_of_events_stored_after_the_mark_and_writes_it_behind()
    {
        var first = await OpenAsync();
        first.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddHours(1)), T0));
        await first.DisposeAsync();
        // Rows after the mark without their index, as a node that stopped before writing it leaves them.
        Execute($"""
            INSERT INTO events (id, uid, type, time, start, stale, received_at, sender, lat, lon, xml)
                SELECT id + 1, uid, type, time + 60000, start, stale, received_at, 'after-the-mark', lat, lon, xml FROM events WHERE id = 1;
            INSERT INTO events (id, uid, type, time, start, stale, received_at, sender, lat, lon, xml)
                SELECT id + 2, 'bravo', type, time, start, stale, received_at, 'after-the-mark', lat, lon, replace(xml, 'uid="alpha"', 'uid="bravo"') FROM events WHERE id = 1;
            """);

        var second = await OpenAsync();

        Assert.Single(_log.Entries, e => e.EventId.Id == 3012);
        Assert.Equal(2, (await second.QueryAsync(new EventQuery(Uid: "alpha"), Cancel())).Count);
        Assert.Equal("after-the-mark", (await second.QueryAsync(new EventQuery(Uid: "alpha"), Cancel()))[0].Sender);
        Assert.Equal(["after-the-mark", "after-the-mark"], (await second.LatestAsync(T0, Cancel())).Select(s => s.Sender));
        // New events get ids after them, and the whole tail is written at close.
        second.Append(Stored(Event("charlie", "a-f-G", T0, stale: T0.AddHours(1)), T0));
        await second.DisposeAsync();
        Assert.Equal(4L, Execute("SELECT COUNT(*) FROM uid_index"));
        Assert.Equal(4L, Execute("SELECT id FROM events WHERE uid = 'charlie'"));
        Assert.Equal(4L, Execute("SELECT indexed_through FROM history_mark"));
    }

    [Fact]
    public async Task A_prune_takes_the_index_entries_of_its_events_and_ids_are_never_handed_out_twice()
    {
        var first = await OpenAsync();
        first.Append(Stored(Event("alpha", "a-f-G", T0, stale: T0.AddHours(1)), T0));
        first.Append(Stored(Event("alpha", "a-f-G", T0.AddMinutes(1), stale: T0.AddHours(1)), T0.AddMinutes(1)));
        // Not flushed: the prune writes the tail's index first, then takes what it prunes out of it.
        Assert.Equal(2, await first.PruneAsync(T0.AddDays(1), Cancel()));
        Assert.Equal(0L, Execute("SELECT COUNT(*) FROM uid_index"));
        await first.DisposeAsync();

        var second = await OpenAsync();
        second.Append(Stored(Event("alpha", "a-f-G", T0.AddDays(2)), T0.AddDays(2)));
        await second.DisposeAsync();

        // The newest events were pruned, and still the next one comes after them.
        Assert.Equal(3L, Execute("SELECT id FROM events"));
        Assert.Equal(3L, Execute("SELECT id FROM uid_index"));
    }

    private static CancellationToken Cancel() => new CancellationTokenSource(Timeout).Token;

    private static StoredEvent Stored(CotEvent evt, DateTime receivedAt, string sender = "tcp:127.0.0.1:5000")
        => new(evt, receivedAt, sender);

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
