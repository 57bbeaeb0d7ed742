using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Federation.Tests;

/// <summary>
/// The outbox's cursor over a real SQLite history: it moves only over rows it was given, so a
/// batch the writer commits while the outbox's read is running is read next time, never passed.
/// </summary>
public sealed class OutboxCursorTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kizuna-outbox-cursor-" + Guid.NewGuid().ToString("N"));
    private SqliteEventStore _history = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _history = new SqliteEventStore(new SqliteStoreOptions { DatabasePath = Path.Combine(_directory, "events.db") }, NullLogger<SqliteEventStore>.Instance);
        await _history.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _history.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    [Fact]
    public async Task A_batch_committed_while_the_outbox_reads_an_empty_history_tail_is_read_next_not_passed()
    {
        await AppendAsync(_history, "before-1", "before-2");
        var store = new CommitsWhileReading(_history);
        using var timeout = new CancellationTokenSource(Bounded);

        var (first, through) = await FederationOutbox.ReadNextAsync(store, 0, 256, timeout.Token);
        Assert.Equal(["before-1", "before-2"], first.Select(e => e.Event.Uid));

        // The writer commits a batch after the query took its snapshot and before the outbox looks again.
        store.DuringNextRead = () => AppendAsync(_history, "during-1", "during-2", "during-3");
        var (empty, passed) = await FederationOutbox.ReadNextAsync(store, through, 256, timeout.Token);
        Assert.Empty(empty);
        Assert.Equal(through, passed);
        Assert.True(_history.LastPosition > through, "the batch committed during the read is in the history");

        var (next, _) = await FederationOutbox.ReadNextAsync(store, passed, 256, timeout.Token);
        Assert.Equal(["during-1", "during-2", "during-3"], next.Select(e => e.Event.Uid));
    }

    [Fact]
    public async Task A_cursor_following_the_reads_while_batches_commit_during_them_meets_every_position_once()
    {
        var store = new CommitsWhileReading(_history);
        using var timeout = new CancellationTokenSource(Bounded);
        var seen = new List<long>();
        var cursor = 0L;
        for (var round = 0; round < 20; round++)
        {
            // Every other read races a commit of one to three events.
            if (round % 2 == 0)
            {
                var count = (round % 3) + 1;
                store.DuringNextRead = () => AppendAsync(_history, [.. Enumerable.Range(0, count).Select(k => $"r{round}-{k}")]);
            }

            var (batch, through) = await FederationOutbox.ReadNextAsync(store, cursor, 2, timeout.Token);
            seen.AddRange(batch.Select(e => e.Position));
            Assert.True(through >= cursor, "the cursor never moves back");
            cursor = through;
        }

        // Drain what is left.
        while (true)
        {
            var (batch, through) = await FederationOutbox.ReadNextAsync(store, cursor, 256, timeout.Token);
            if (batch.Count == 0 && through == cursor)
            {
                break;
            }

            seen.AddRange(batch.Select(e => e.Position));
            cursor = through;
        }

        Assert.Equal(Enumerable.Range(1, (int)_history.LastPosition).Select(p => (long)p), seen);
    }

    [Fact]
    public async Task The_typed_read_returns_only_rows_of_the_types_asked_and_says_how_far_it_examined()
    {
        await AppendAsync(_history, "picture-1", "picture-2");
        _history.Append(new StoredEvent(new CotEvent { Uid = "report-1", Type = "b-w-m-r", How = "m-f", Time = T0, Start = T0, Stale = T0.AddMinutes(5), Point = new CotPoint(39.2, 125.67, 0, 8000, 9999999) }, T0, "node"));
        await AppendAsync(_history, "picture-3");
        using var timeout = new CancellationTokenSource(Bounded);
        IEventStore store = _history;

        var (rows, through) = await store.ReadAfterOfTypesAsync(0, ["b-w-m-", "b-t-f"], 256, timeout.Token);
        Assert.Equal(["report-1"], rows.Select(r => r.Event.Uid));
        Assert.Equal(_history.LastPosition, through);

        // A limit that cuts the result: the read says it examined only up to the last row it returned.
        var (first, cut) = await store.ReadAfterOfTypesAsync(0, ["a-f-", "b-w-m-"], 2, timeout.Token);
        Assert.Equal(["picture-1", "picture-2"], first.Select(r => r.Event.Uid));
        Assert.Equal(first[^1].Position, cut);
    }

    private static async Task AppendAsync(IEventStore store, params string[] uids)
    {
        foreach (var uid in uids)
        {
            store.Append(new StoredEvent(
                new CotEvent { Uid = uid, Type = "a-f-G-U-C", How = "m-g", Time = T0, Start = T0, Stale = T0.AddMinutes(5), Point = new CotPoint(35.68, 139.76, 10, 5, 5) },
                T0,
                "tls:test"));
        }

        await store.FlushAsync(CancellationToken.None);
    }

    /// <summary>
    /// The real history, with one seam: a commit that lands right after a read's query ran, as the
    /// store's writer does when a batch commits while an outbox is reading.
    /// </summary>
    private sealed class CommitsWhileReading(IEventStore inner) : IEventStore
    {
        public Func<Task>? DuringNextRead { get; set; }

        public long LastPosition => inner.LastPosition;

        public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken)
        {
            var rows = await inner.ReadAfterAsync(position, filter, limit, cancellationToken);
            if (DuringNextRead is { } commit)
            {
                DuringNextRead = null;
                await commit();
            }

            return rows;
        }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public void Append(StoredEvent stored) => inner.Append(stored);

        public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => inner.WaitForRoomAsync(cancellationToken);

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
            => inner.StateAtAsync(at, staleFor, filter, visible, cancellationToken);

        public void RecordOwner(string uid, string owner) => inner.RecordOwner(uid, owner);

        public Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken) => inner.OwnersAsync(cancellationToken);

        public Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken) => inner.LatestAsync(utcNow, cancellationToken);

        public Task WaitForPositionAsync(long position, CancellationToken cancellationToken) => inner.WaitForPositionAsync(position, cancellationToken);

        public Task<IReadOnlyList<KeyValuePair<string, long>>> OriginSequencesAsync(CancellationToken cancellationToken) => inner.OriginSequencesAsync(cancellationToken);

        public Task<IReadOnlyDictionary<string, long>> FederationCursorsAsync(CancellationToken cancellationToken) => inner.FederationCursorsAsync(cancellationToken);

        public Task SaveFederationCursorAsync(string partnerNodeId, long position, CancellationToken cancellationToken) => inner.SaveFederationCursorAsync(partnerNodeId, position, cancellationToken);

        public Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken) => inner.PruneAsync(cutoff, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
