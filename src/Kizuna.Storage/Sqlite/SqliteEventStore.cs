using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Text;
using System.Threading.Channels;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// The embedded event history: one SQLite file in WAL mode. <see cref="Append"/> puts the event on
/// a bounded in-memory queue and returns; one writer task drains the queue and writes batches of
/// up to <see cref="SqliteStoreOptions.BatchSize"/> events per transaction through prepared
/// commands. Reads use their own (pooled, read-only) connections, which WAL lets run beside the writer.
/// </summary>
/// <remarks>
/// Times are stored as unix milliseconds (UTC) in INTEGER columns, so they compare and sort as
/// numbers; sub-millisecond precision is not kept. Each row also keeps the event's CoT XML, which
/// is what queries decode and return. With <c>synchronous=NORMAL</c> a committed batch survives a
/// crash of the process; a power cut may lose the last batches before the next WAL checkpoint.
/// <para>
/// Nothing keyed by uid is written with every batch. The writer gives each event its id and keeps
/// the uid index of the events after <c>history_mark</c> in memory (<see cref="UidTail"/>); every
/// <see cref="SqliteStoreOptions.IndexSegmentEvents"/> events it cuts a segment off and writes
/// the segment's <c>uid_index</c> entries, in uid order, and each of its uids' newest event into
/// <c>latest</c> a little with each following batch, then moves the mark past it. Queries by uid
/// and of the latest lay the tail over the tables; an open rebuilds the tail from the mark.
/// </para>
/// </remarks>
public sealed partial class SqliteEventStore : IEventStore
{
    /// <summary>Name of the <see cref="Meter"/> carrying the store's counters.</summary>
    public const string MeterName = "Kizuna.Storage";

    /// <summary>
    /// The schema this code writes; kept in <c>PRAGMA user_version</c>. Version 2 dropped the
    /// indexes on (uid, received_at) and (type, received_at) for one on (type, time): every query
    /// filters and orders on the event time, and with many live uids each uid-keyed index costs a
    /// scattered page write per event, which a missile warning's durable append waits behind.
    /// Version 3 replaced the index on (uid, time) with <c>uid_index</c>, written behind the history
    /// a segment at a time, and <c>history_mark</c>, through which event it and <c>latest</c> are
    /// up to date; for the same reason, <c>latest</c> is no longer written with every batch.
    /// Version 4 keeps each event's label as columns (<c>label_scheme</c>, <c>label_level</c>,
    /// <c>label_nations</c>, <c>label_categories</c>; see <see cref="StoredLabel"/>) in the indexes on
    /// time and on (type, time), so a history query skips what the caller may not see without
    /// reading the row; and <c>owners</c>, the organization that owns each uid. Events written
    /// before version 4 have scheme 0: they cannot be judged by their columns and are decided in memory.
    /// Version 5 keeps each federated event's origin node, per-origin sequence and provenance
    /// (<c>origin_node</c>, <c>origin_seq</c>, <c>provenance</c>; empty for local events) and the
    /// federation outboxes' cursors (<c>federation_cursors</c>); see SqliteEventStore.Federation.cs.
    /// </summary>
    public const long SchemaVersion = 5;

    // The label columns, in the order the insert binds them after the id.
    private const string LabelColumns = "label_scheme, label_level, label_nations, label_categories";

    private const string EventColumns = "uid, type, time, start, stale, received_at, sender, lat, lon, xml";

    // Work units one batch of n events may add to the segment being written: at least twice its own
    // events, so a segment's entries and newest rows are written before the next segment is due.
    private const int MinIndexWorkPerBatch = 256;

    // Events a uid query reads by id at a time.
    private const int FetchChunk = 256;

    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<CotEvent, byte[]> _encode;
    private readonly UidTail _tail = new();
    private readonly RowSlabs _rows = new();
    private readonly Lock _roomGate = new();
    private TaskCompletionSource? _room;
    private readonly StoredEventDecoder _decode;
    private readonly Channel<WriteRequest> _queue;
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly Meter _meter;

    private SqliteConnection? _writeConnection;
    private RowStatement? _insertEvent;
    private RowStatement? _insertIndex;
    private RowStatement? _upsertLatest;
    private RowStatement? _setMark;
    private RowStatement? _insertOwner;
    private readonly List<(string Uid, string Owner)> _pendingOwners = [];
    private long _nextId;
    private SegmentWrite? _segment;
    private Task? _writerTask;
    private ITimer? _retentionTimer;
    private int _initialized;
    private int _disposed;
    private int _dropping;
    private long _written;
    private long _dropped;
    private long _failed;
    private long _rowsRead;

    public SqliteEventStore(SqliteStoreOptions options, ILogger<SqliteEventStore>? logger = null, TimeProvider? time = null)
        : this(options, logger, time, CotXml.Encode, static (utf8, limits) => CotXml.Decode(utf8, limits))
    {
    }

    /// <summary>The codec is a seam for tests (a failing encoder, a corrupt row); production uses CoT XML.</summary>
    internal SqliteEventStore(
        SqliteStoreOptions options,
        ILogger? logger,
        TimeProvider? time,
        Func<CotEvent, byte[]> encode,
        StoredEventDecoder decode)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _encode = encode;
        _decode = decode;

        // Bounded, so a disk that stops costs history rather than the node's memory; see
        // SqliteStoreOptions.MaxPendingEvents. Append uses TryWrite and never waits.
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(options.MaxPendingEvents)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

        var path = Path.GetFullPath(options.DatabasePath);
        _writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();

        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("kizuna.storage.events.written", () => WrittenCount, description: "Events committed to the history");
        _meter.CreateObservableCounter("kizuna.storage.events.dropped", () => DroppedCount, description: "Events dropped because the write queue was full");
        _meter.CreateObservableCounter("kizuna.storage.events.failed", () => FailedCount, description: "Events that failed to encode or whose batch failed to commit");
        _meter.CreateObservableGauge("kizuna.storage.queue.depth", () => PendingCount, description: "Events waiting for the writer");
    }

    /// <summary>Events appended but not yet taken by the writer.</summary>
    public int PendingCount => _queue.Reader.Count;

    /// <summary>Events committed to the database since the store was opened.</summary>
    public long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>Events dropped by <see cref="Append"/> because the queue was full.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Events that could not be encoded or whose batch failed to commit.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>
    /// Rows queries have read back and decoded since the store was opened (a diagnostic, and the
    /// tests' proof that a query does not read what its caller may not see).
    /// </summary>
    public long RowsRead => Interlocked.Read(ref _rowsRead);

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _initialized, 1) != 0)
            throw new InvalidOperationException("The event store is already initialized.");

        var path = Path.GetFullPath(_options.DatabasePath);
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var version = await CreateSchemaAsync(connection, _logger, cancellationToken).ConfigureAwait(false);
            _nextId = await RestoreTailAsync(connection, cancellationToken).ConfigureAwait(false);
            _lastPosition = _nextId - 1;
            _insertEvent = new RowStatement(connection,
                $"INSERT INTO events ({EventColumns}, id, {LabelColumns}, {OriginColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
            _insertOwner = new RowStatement(connection, "INSERT OR IGNORE INTO owners (uid, owner) VALUES (?1, ?2)");
            _insertIndex = new RowStatement(connection, "INSERT OR IGNORE INTO uid_index (uid, time, id) VALUES (?1, ?2, ?3)");
            _setMark = new RowStatement(connection, "UPDATE history_mark SET indexed_through = ?1");
            // An event at least as new as a uid's latest replaces it (a later arrival wins a tie).
            // The WHERE keeps SQLite from reading ON CONFLICT as a join's ON.
            _upsertLatest = new RowStatement(connection,
                $"""
                INSERT INTO latest ({EventColumns}) SELECT {EventColumns} FROM events WHERE id = ?1
                ON CONFLICT (uid) DO UPDATE SET
                    type = excluded.type, time = excluded.time, start = excluded.start,
                    stale = excluded.stale, received_at = excluded.received_at, sender = excluded.sender,
                    lat = excluded.lat, lon = excluded.lon, xml = excluded.xml
                WHERE excluded.time >= latest.time
                """);
            _writeConnection = connection;
            StorageLog.StoreOpened(_logger, path, version);
        }
        catch
        {
            DisposeStatements();
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _writerTask = Task.Run(RunWriterAsync, CancellationToken.None);

        if (_options.Retention is { } retention)
        {
            var interval = _options.RetentionSweepInterval;
            _retentionTimer = _time.CreateTimer(
                _ => _queue.Writer.TryWrite(WriteRequest.ForPrune(_time.GetUtcNow().UtcDateTime - retention, completion: null)),
                state: null, dueTime: interval, period: interval);
        }
    }

    /// <inheritdoc />
    public void Append(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // The router has usually encoded the event already (it shares those bytes with every XML
        // client); encode here only when it has not.
        ReadOnlySpan<byte> xml;
        try
        {
            xml = stored.EncodedXml.IsEmpty ? _encode(stored.Event) : stored.EncodedXml.Span;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failed);
            StorageLog.EventEncodeFailed(_logger, stored.Sender, Reason(ex));
            return;
        }

        var packed = _rows.Pack(stored, xml);
        if (_queue.Writer.TryWrite(WriteRequest.ForEvent(packed)))
            return;

        _rows.Release(packed);
        // Disposed meanwhile: the caller raced shutdown, which is its bug to hear about.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Full (or the writer died and closed the queue): drop this history entry, never block the router.
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
            StorageLog.QueueFullDropping(_logger, _options.MaxPendingEvents);
    }

    /// <inheritdoc />
    public void RecordOwner(string uid, string owner)
    {
        ArgumentNullException.ThrowIfNull(uid);
        ArgumentNullException.ThrowIfNull(owner);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Once per uid, so never dropped for room: a full queue only delays it behind the backlog.
        if (!_queue.Writer.TryWrite(WriteRequest.ForOwner(uid, owner)))
            _ = EnqueueControlAsync(WriteRequest.ForOwner(uid, owner), CancellationToken.None).AsTask();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT uid, owner FROM owners";
                var owners = new List<KeyValuePair<string, string>>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        owners.Add(new(reader.GetString(0), reader.GetString(1)));
                }

                return owners;
            }
        }
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = NewCompletion();
        await EnqueueControlAsync(WriteRequest.ForFlush(completion), cancellationToken).ConfigureAwait(false);
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Pruning is a write, so it goes through the one writer: no lock contention with batches,
        // and everything appended before the call is pruned by the same rule.
        var completion = NewCompletion();
        await EnqueueControlAsync(WriteRequest.ForPrune(cutoff, completion), cancellationToken).ConfigureAwait(false);
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="EventQuery.Since"/> and <see cref="EventQuery.Until"/> bound the event's own
    /// <c>time</c>, both inclusive. The limit is capped at <see cref="SqliteStoreOptions.MaxQueryLimit"/>;
    /// a limit of zero or less returns nothing. Results are newest first (by event time, then by arrival).
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var limit = Math.Min(query.Limit, SqliteStoreOptions.MaxQueryLimit);
        if (limit <= 0)
            return [];

        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (query.Uid is not null)
            {
                var since = query.Since is { } from ? StoredTime.ToUnixMillisecondsCeiling(from) : long.MinValue;
                var until = query.Until is { } to ? StoredTime.ToUnixMilliseconds(to) : long.MaxValue;
                var (index, fetch) = UidCommands(connection);
                await using (index.ConfigureAwait(false))
                await using (fetch.ConfigureAwait(false))
                {
                    return await ReadUidAsync(index, fetch, query.Uid, query.Type, since, until, limit, query.Filter, query.Visible, cancellationToken).ConfigureAwait(false);
                }
            }

            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                var sql = new StringBuilder("SELECT id, uid, received_at, sender, xml FROM events WHERE 1 = 1");
                if (query.Type is not null)
                {
                    sql.Append(" AND type = @type");
                    command.Parameters.AddWithValue("@type", query.Type);
                }
                if (query.Since is { } since)
                {
                    sql.Append(" AND time >= @since");
                    command.Parameters.AddWithValue("@since", StoredTime.ToUnixMillisecondsCeiling(since));
                }
                if (query.Until is { } until)
                {
                    sql.Append(" AND time <= @until");
                    command.Parameters.AddWithValue("@until", StoredTime.ToUnixMilliseconds(until));
                }
                AppendFilter(sql, command, query.Filter);
                // With an access filter the rows are stepped through until enough are visible;
                // SQLite produces them lazily, so the scan stops there.
                sql.Append(query.Visible is null ? " ORDER BY time DESC, id DESC LIMIT @limit" : " ORDER BY time DESC, id DESC");
                command.Parameters.AddWithValue("@limit", limit);
                command.CommandText = sql.ToString();
                return await ReadEventsAsync(command, limit, cancellationToken, query.Visible, limit).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The caller's access filter as a WHERE term on the label columns, which the indexes on time
    /// and on (type, time) carry: a row it excludes is never read. Rows of another scheme (history
    /// from before schema 4, or another profile) pass, to be decided in memory.
    /// </summary>
    private static void AppendFilter(StringBuilder sql, SqliteCommand command, AccessFilter? filter)
    {
        if (filter is null)
            return;
        sql.Append(" AND (label_scheme <> @scheme OR (label_level <= @level AND (label_nations & @nation) <> 0");
        if (!filter.HoldsCategories)
            sql.Append(" AND label_categories = 0");
        sql.Append("))");
        command.Parameters.AddWithValue("@scheme", filter.Scheme);
        command.Parameters.AddWithValue("@level", filter.MaxLevel);
        command.Parameters.AddWithValue("@nation", filter.NationBit);
    }

    /// <inheritdoc />
    /// <remarks>
    /// For every uid of the latest table and of the tail (every uid still within retention), a
    /// walk of its index entries newest first from <paramref name="at"/> that stops at the first
    /// event the caller may see: the cost grows with the number of uids, not with the history
    /// before <paramref name="at"/>.
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var shownFrom = at - staleFor;
        var until = StoredTime.ToUnixMilliseconds(at);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var uids = _tail.Uids();
            var list = connection.CreateCommand();
            await using (list.ConfigureAwait(false))
            {
                list.CommandText = "SELECT uid FROM latest";
                var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        uids.Add(reader.GetString(0));
                    }
                }
            }

            // One pair of prepared commands for every uid.
            var state = new List<StoredEvent>();
            var (index, fetch) = UidCommands(connection);
            await using (index.ConfigureAwait(false))
            await using (fetch.ConfigureAwait(false))
            {
                foreach (var uid in uids.Order(StringComparer.Ordinal))
                {
                    var newest = await ReadUidAsync(index, fetch, uid, type: null, long.MinValue, until, limit: 1, filter, visible, cancellationToken).ConfigureAwait(false);
                    if (newest.Count == 1 && newest[0].Event.Stale > shownFrom)
                    {
                        state.Add(newest[0]);
                    }
                }
            }

            return state;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The latest table, with the newest event of each uid in the tail laid over it by the rule
    /// the writer applies (at least as new replaces).
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var now = StoredTime.ToUnixMilliseconds(utcNow);
        // The tail first: whatever the table holds that the tail does not is older than the tail.
        var tail = _tail.NewestByUid();
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.Transaction = transaction;
                var latest = new List<StoredEvent>(64);
                command.CommandText = "SELECT rowid, uid, received_at, sender, xml, time, stale FROM latest";
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var uid = reader.GetString(1);
                        var time = reader.GetInt64(5);
                        if (tail.TryGetValue(uid, out var newer))
                        {
                            if (newer.Entry.Time >= time)
                                continue;
                            // An event from before the table's, stored late: the table's stands.
                            tail.Remove(uid);
                        }

                        if (reader.GetInt64(6) > now && TryRead(reader, visible: null, out var stored))
                            latest.Add(stored);
                    }
                }

                var current = tail.Values.Where(n => n.Stale > now).Select(n => n.Entry.Id).ToList();
                for (var k = 0; k < current.Count; k += FetchChunk)
                {
                    await FetchAsync(command, current.GetRange(k, Math.Min(FetchChunk, current.Count - k)), type: null, filter: null, visible: null, latest, int.MaxValue, cancellationToken).ConfigureAwait(false);
                }

                latest.Sort(static (a, b) => string.CompareOrdinal(a.Event.Uid, b.Event.Uid));
                return latest;
            }
        }
    }

    /// <summary>Stops taking events, writes everything already queued, and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;

        if (_retentionTimer is not null)
            await _retentionTimer.DisposeAsync().ConfigureAwait(false);

        _queue.Writer.TryComplete();
        if (_writerTask is not null)
            await _writerTask.ConfigureAwait(false);
        else
            FailPending(new ObjectDisposedException(nameof(SqliteEventStore), "The event store was disposed before it was initialized."));

        // Idle pooled readers go first, so that closing the writer (the last connection)
        // checkpoints the WAL into the main file.
        using (var reader = new SqliteConnection(_readConnectionString))
            SqliteConnection.ClearPool(reader);

        DisposeStatements();
        if (_writeConnection is not null)
            await _writeConnection.DisposeAsync().ConfigureAwait(false);

        _meter.Dispose();
        ReleaseWaitersIfRoom(closing: true);
        if (Volatile.Read(ref _initialized) != 0)
            StorageLog.StoreClosed(_logger, WrittenCount, DroppedCount, FailedCount);
    }

    private static async Task<long> CreateSchemaAsync(SqliteConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            """, cancellationToken).ConfigureAwait(false);

        long version;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA user_version";
            version = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
        }
        if (version > SchemaVersion)
            throw new InvalidOperationException(
                $"The database has schema version {version}, newer than this build understands ({SchemaVersion}).");
        if (version is > 0 and < SchemaVersion)
        {
            StorageLog.SchemaUpgrading(logger, version, SchemaVersion, version switch
            {
                < 2 => "its indexes on uid and type by receive time give way to one on type and event time, its index on uid moves to uid_index, and each event gets label columns",
                2 => "its index on uid moves to uid_index, written behind the history, and each event gets label columns",
                < 4 => "each event gets label columns, indexed with its time (older events are decided as they are read), and uids get owners",
                _ => "each event gets its federation origin, sequence and provenance, and partners' outbox cursors are kept",
            });
        }

        // One column set for both tables; times are unix milliseconds, UTC.
        const string columns = """
                type TEXT NOT NULL,
                time INTEGER NOT NULL,
                start INTEGER NOT NULL,
                stale INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                sender TEXT NOT NULL,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                xml TEXT NOT NULL
            """;
        // The label columns (schema 4): a history written before has them added, with scheme 0.
        const string labelColumns = """
                label_scheme INTEGER NOT NULL DEFAULT 0,
                label_level INTEGER NOT NULL DEFAULT 0,
                label_nations INTEGER NOT NULL DEFAULT 0,
                label_categories INTEGER NOT NULL DEFAULT 0
            """;
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY,
                uid TEXT NOT NULL,
            {columns},
            {labelColumns}
            );
            """, cancellationToken).ConfigureAwait(false);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'label_scheme'";
            if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L) == 0)
            {
                var add = string.Join(' ', labelColumns.Split(',').Select(c => $"ALTER TABLE events ADD COLUMN {c.Trim()};"));
                await ExecuteAsync(connection, $"BEGIN; {add} COMMIT;", cancellationToken).ConfigureAwait(false);
            }
        }

        await CreateFederationSchemaAsync(connection, cancellationToken).ConfigureAwait(false);

        await ExecuteAsync(connection, $"""
            BEGIN;
            DROP INDEX IF EXISTS ix_events_uid_received_at;
            DROP INDEX IF EXISTS ix_events_type_received_at;
            DROP INDEX IF EXISTS ix_events_type_time;
            DROP INDEX IF EXISTS ix_events_time;
            CREATE INDEX IF NOT EXISTS ix_events_type_time_label ON events (type, time, {LabelColumns});
            CREATE INDEX IF NOT EXISTS ix_events_received_at ON events (received_at);
            CREATE INDEX IF NOT EXISTS ix_events_time_label ON events (time, {LabelColumns});
            CREATE TABLE IF NOT EXISTS owners (
                uid TEXT NOT NULL PRIMARY KEY,
                owner TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS latest (
                uid TEXT NOT NULL PRIMARY KEY,
            {columns}
            );
            CREATE TABLE IF NOT EXISTS uid_index (
                uid TEXT NOT NULL,
                time INTEGER NOT NULL,
                id INTEGER NOT NULL,
                PRIMARY KEY (uid, time, id)
            ) WITHOUT ROWID;
            -- Through which event id uid_index and latest are up to date. Before version 3 both
            -- were written with every batch: an older history's are up to date through its last
            -- event once its index on (uid, time) is copied into uid_index.
            CREATE TABLE IF NOT EXISTS history_mark (indexed_through INTEGER NOT NULL);
            INSERT OR IGNORE INTO uid_index (uid, time, id)
                SELECT uid, time, id FROM events WHERE NOT EXISTS (SELECT 1 FROM history_mark) ORDER BY uid, time, id;
            INSERT INTO history_mark (indexed_through)
                SELECT COALESCE(MAX(id), 0) FROM events WHERE NOT EXISTS (SELECT 1 FROM history_mark);
            DROP INDEX IF EXISTS ix_events_uid_time;
            PRAGMA user_version = {SchemaVersion};
            COMMIT;
            """, cancellationToken).ConfigureAwait(false);
        return SchemaVersion;
    }

    /// <summary>
    /// Rebuilds the tail from the history after the mark (a node that stopped without writing it
    /// all) and returns the id the next event gets: past every event and past the mark, so that an
    /// id is never handed out twice, even after a prune took the newest events.
    /// </summary>
    private async Task<long> RestoreTailAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT indexed_through, (SELECT COALESCE(MAX(id), 0) FROM events) FROM history_mark";
        long mark, newest;
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            mark = reader.GetInt64(0);
            newest = reader.GetInt64(1);
        }

        if (newest > mark)
        {
            command.CommandText = "SELECT id, uid, time, stale FROM events WHERE id > @mark ORDER BY id";
            command.Parameters.AddWithValue("@mark", mark);
            var behind = 0L;
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _tail.Add(reader.GetFieldValue<byte[]>(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(0));
                    behind++;
                }
            }

            StorageLog.UidIndexBehind(_logger, behind);
        }

        return Math.Max(mark, newest) + 1;
    }

    private void DisposeStatements()
    {
        _insertEvent?.Dispose();
        _insertIndex?.Dispose();
        _upsertLatest?.Dispose();
        _setMark?.Dispose();
        _insertOwner?.Dispose();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _writeConnection) is null)
            throw new InvalidOperationException("The event store is not initialized; call InitializeAsync first.");
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(
        SqliteCommand command, int capacity, CancellationToken cancellationToken, Func<StoredEvent, bool>? visible = null, int limit = int.MaxValue)
    {
        var results = new List<StoredEvent>(Math.Min(capacity, 256));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (results.Count < limit && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(reader, visible, out var stored))
                    results.Add(stored);
            }
        }
        return results;
    }

    /// <summary>
    /// A row of (id, uid, received_at, sender, xml, ...) as a stored event, if it decodes (a row
    /// that does not is logged and skipped) and <paramref name="visible"/> admits it.
    /// </summary>
    private bool TryRead(SqliteDataReader reader, Func<StoredEvent, bool>? visible, [NotNullWhen(true)] out StoredEvent? stored)
    {
        stored = null;
        var rowId = reader.GetInt64(0);
        Interlocked.Increment(ref _rowsRead);
        CotEvent evt;
        try
        {
            // A TEXT column read as a blob gives its UTF-8 bytes without a string in between.
            evt = _decode(reader.GetFieldValue<byte[]>(4), CotLimits.NodeWritten);
        }
        catch (Exception ex) when (ex is CotFormatException or FormatException or ArgumentException or System.Xml.XmlException)
        {
            StorageLog.StoredEventUnreadable(_logger, rowId, Reason(ex));
            return false;
        }

        var read = new StoredEvent(evt, StoredTime.FromUnixMilliseconds(reader.GetInt64(2)), reader.GetString(3));
        if (visible is not null && !visible(read))
            return false;
        stored = read;
        return true;
    }

    /// <summary>
    /// A uid's events within [<paramref name="since"/>, <paramref name="until"/>] (unix ms), newest
    /// first (by time, then arrival): the tail's entries merged with <c>uid_index</c>'s, an entry
    /// in both taken once; the events are read by id a chunk at a time, so the walk stops once
    /// <paramref name="limit"/> events the caller may see are found.
    /// </summary>
    private async Task<List<StoredEvent>> ReadUidAsync(
        SqliteCommand index, SqliteCommand fetch, string uid, string? type, long since, long until, int limit,
        AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
    {
        // The tail before the tables: an entry leaves the tail only once the tables have it.
        var tail = _tail.EntriesOf(uid, since, until);
        var results = new List<StoredEvent>(Math.Min(limit, 256));
        index.Parameters["@uid"].Value = uid;
        index.Parameters["@since"].Value = since;
        index.Parameters["@until"].Value = until;
        var reader = await index.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var t = 0;
            var ids = new List<long>(FetchChunk);
            while (results.Count < limit)
            {
                if (more)
                {
                    var indexed = new UidTail.Entry(reader.GetInt64(0), reader.GetInt64(1));
                    if (t < tail.Length && tail[t].CompareTo(indexed) > 0)
                    {
                        ids.Add(tail[t++].Id);
                    }
                    else
                    {
                        ids.Add(indexed.Id);
                        if (t < tail.Length && tail[t] == indexed)
                            t++;
                        more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else if (t < tail.Length)
                {
                    ids.Add(tail[t++].Id);
                }
                else
                {
                    break;
                }

                if (ids.Count >= Math.Min(FetchChunk, limit - results.Count))
                {
                    await FetchAsync(fetch, ids, type, filter, visible, results, limit, cancellationToken).ConfigureAwait(false);
                    ids.Clear();
                }
            }

            if (ids.Count > 0)
                await FetchAsync(fetch, ids, type, filter, visible, results, limit, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// The commands <see cref="ReadUidAsync"/> runs: a walk of a uid's index entries, and a read of
    /// events by id. Made once per query and reused for every uid it reads, so each is prepared once.
    /// </summary>
    private static (SqliteCommand Index, SqliteCommand Fetch) UidCommands(SqliteConnection connection)
    {
        var index = connection.CreateCommand();
        index.CommandText = "SELECT time, id FROM uid_index WHERE uid = @uid AND time >= @since AND time <= @until ORDER BY time DESC, id DESC";
        index.Parameters.Add("@uid", SqliteType.Text);
        index.Parameters.Add("@since", SqliteType.Integer);
        index.Parameters.Add("@until", SqliteType.Integer);
        return (index, connection.CreateCommand());
    }

    /// <summary>Adds the events of <paramref name="ids"/>, in that order, that have <paramref name="type"/> (unless null) and the caller may see, up to <paramref name="limit"/> results.</summary>
    private async Task FetchAsync(
        SqliteCommand command, List<long> ids, string? type, AccessFilter? filter, Func<StoredEvent, bool>? visible,
        List<StoredEvent> results, int limit, CancellationToken cancellationToken)
    {
        command.Parameters.Clear();
        var text = new StringBuilder("SELECT id, uid, received_at, sender, xml FROM events WHERE id IN (SELECT value FROM json_each(@ids))");
        if (type is not null)
            text.Append(" AND type = @type");
        AppendFilter(text, command, filter);
        var sql = text.ToString();
        // Set only when it changes, which would throw the prepared statement away.
        if (!string.Equals(command.CommandText, sql, StringComparison.Ordinal))
            command.CommandText = sql;
        command.Parameters.AddWithValue("@ids", "[" + string.Join(',', ids) + "]");
        if (type is not null)
            command.Parameters.AddWithValue("@type", type);

        var found = new Dictionary<long, StoredEvent>(ids.Count);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(reader, visible, out var stored))
                    found[reader.GetInt64(0)] = stored;
            }
        }

        foreach (var id in ids)
        {
            if (results.Count >= limit)
                break;
            if (found.TryGetValue(id, out var stored))
                results.Add(stored);
        }
    }

    private async Task RunWriterAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<RowSlabs.Packed>(_options.BatchSize);
        var batchStarted = 0L;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (true)
                {
                    while (reader.TryRead(out var request))
                    {
                        if (request.Row is { } packed)
                        {
                            if (batch.Count == 0 && _pendingOwners.Count == 0)
                                batchStarted = Stopwatch.GetTimestamp();
                            batch.Add(packed);
                            if (batch.Count >= _options.BatchSize)
                                WriteBatch(batch);
                            continue;
                        }

                        if (request.OwnerUid is { } ownerUid)
                        {
                            // Written with the batch it came with, before its events.
                            if (batch.Count == 0 && _pendingOwners.Count == 0)
                                batchStarted = Stopwatch.GetTimestamp();
                            _pendingOwners.Add((ownerUid, request.Owner!));
                            continue;
                        }

                        // A control request: everything queued before it is written first.
                        WriteBatch(batch);
                        if (request.PruneCutoff is { } cutoff)
                            Prune(cutoff, request.Completion);
                        else
                            request.Completion?.TrySetResult(0);
                    }

                    if (batch.Count == 0 && _pendingOwners.Count == 0)
                        break;
                    var remaining = _options.MaxBatchDelay - Stopwatch.GetElapsedTime(batchStarted);
                    if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false))
                    {
                        WriteBatch(batch);
                        break;
                    }
                }
            }

            WriteWholeTail();
        }
        catch (Exception ex)
        {
            // Only a bug gets here (WriteBatch and Prune keep going on database errors). Close the
            // queue so that appends are counted as dropped and flushes fail instead of hanging.
            StorageLog.WriterStopped(_logger, Reason(ex), ex);
            _queue.Writer.TryComplete(ex);
            FailPending(new InvalidOperationException("The event store writer stopped.", ex));
        }
    }

    /// <summary>True when more requests arrived within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForMoreAsync(ChannelReader<WriteRequest> reader, TimeSpan timeout)
    {
        var wait = reader.WaitToReadAsync();
        if (wait.IsCompleted)
            return await wait.ConfigureAwait(false);

        var waitTask = wait.AsTask();
        using var cancelDelay = new CancellationTokenSource();
        var winner = await Task.WhenAny(waitTask, Task.Delay(timeout, cancelDelay.Token)).ConfigureAwait(false);
        if (winner != waitTask)
            return false;
        await cancelDelay.CancelAsync().ConfigureAwait(false);
        return await waitTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (_queue.Reader.Count < _options.BackpressureThreshold)
        {
            return ValueTask.CompletedTask;
        }

        lock (_roomGate)
        {
            // Checked again under the lock the writer releases under, so no wake-up is missed.
            if (_queue.Reader.Count < _options.BackpressureThreshold / 2 || Volatile.Read(ref _disposed) != 0)
            {
                return ValueTask.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_room.Task.WaitAsync(cancellationToken));
        }
    }

    /// <summary>Lets held-back connections go on once the backlog is under half the threshold (or the store closes).</summary>
    private void ReleaseWaitersIfRoom(bool closing = false)
    {
        TaskCompletionSource? room;
        lock (_roomGate)
        {
            if (_room is null || (!closing && _queue.Reader.Count >= _options.BackpressureThreshold / 2))
            {
                return;
            }

            room = _room;
            _room = null;
        }

        room.TrySetResult();
    }

    private void WriteBatch(List<RowSlabs.Packed> batch)
    {
        if (batch.Count == 0 && _pendingOwners.Count == 0)
            return;

        var connection = _writeConnection!;
        var insert = _insertEvent!;
        var firstId = _nextId;
        var segmentWritten = false;
        try
        {
            using var transaction = connection.BeginTransaction();
            foreach (var (uid, owner) in _pendingOwners)
            {
                _insertOwner!.Execute(uid, owner);
            }

            foreach (var packed in batch)
            {
                insert.Execute(RowSlabs.Read(packed), _nextId++);
            }

            segmentWritten = WriteSegment(Math.Max(MinIndexWorkPerBatch, 2 * batch.Count));
            transaction.Commit();
            Interlocked.Add(ref _written, batch.Count);
            Committed(_nextId - 1);
            SegmentCommitted(segmentWritten);
            for (var k = 0; k < batch.Count; k++)
            {
                var row = RowSlabs.Read(batch[k]);
                _tail.Add(row.Uid, row.Time, row.Stale, firstId + k);
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            _nextId = firstId;
            _segment?.Rewind();
            Interlocked.Add(ref _failed, batch.Count);
            StorageLog.BatchWriteFailed(_logger, batch.Count, Reason(ex), ex);
        }
        finally
        {
            foreach (var packed in batch)
            {
                _rows.Release(packed);
            }

            batch.Clear();
            // A failed batch's owners stay claimed in memory until the next start.
            _pendingOwners.Clear();
            ReleaseWaitersIfRoom();
        }

        if (Volatile.Read(ref _dropping) != 0 && _queue.Reader.Count <= _options.MaxPendingEvents / 2
            && Interlocked.Exchange(ref _dropping, 0) != 0)
        {
            StorageLog.QueueRecovered(_logger, DroppedCount);
        }
    }

    /// <summary>
    /// Writes up to <paramref name="budget"/> entries of the segment being written, within the
    /// caller's transaction, cutting the next one off the tail when it is due; true when the
    /// segment is complete and the mark moved past it. A segment that is still being written when
    /// the next is due is finished at once.
    /// </summary>
    private bool WriteSegment(int budget)
    {
        if (_segment is null)
        {
            if (_tail.OpenCount < _options.IndexSegmentEvents)
                return false;
            _segment = new SegmentWrite(_tail.Cut());
        }
        else if (_tail.OpenCount >= _options.IndexSegmentEvents)
        {
            budget = int.MaxValue;
        }

        return _segment.Write(_insertIndex!, _upsertLatest!, _setMark!, budget);
    }

    /// <summary>After a commit: the segment's progress stands, and a complete segment leaves the tail.</summary>
    private void SegmentCommitted(bool segmentWritten)
    {
        _segment?.Committed();
        if (segmentWritten)
        {
            _segment = null;
            _tail.Release();
        }
    }

    /// <summary>
    /// Writes the whole tail to <c>uid_index</c> and <c>latest</c> in one transaction (before a
    /// prune, which must see them whole, and at close, so the next open has nothing to rebuild).
    /// </summary>
    private void WriteWholeTail()
    {
        try
        {
            // At most two rounds: the segment being written, then the rest of the tail.
            while (_segment is not null || _tail.OpenCount > 0)
            {
                using var transaction = _writeConnection!.BeginTransaction();
                _segment ??= new SegmentWrite(_tail.Cut());
                var written = _segment.Write(_insertIndex!, _upsertLatest!, _setMark!, int.MaxValue);
                transaction.Commit();
                SegmentCommitted(written);
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            // The tail stays in memory and in the history after the mark (an open rebuilds it);
            // entries written again later are ignored.
            _segment?.Rewind();
            StorageLog.UidIndexWriteFailed(_logger, Reason(ex), ex);
        }
    }

    /// <summary>
    /// A segment cut off the tail as it is written, a budget per batch: its index entries in key
    /// order, then each uid's newest event into <c>latest</c>, then the mark past its last event.
    /// Progress stands once the batch's transaction commits; a failed one rewinds it.
    /// </summary>
    private sealed class SegmentWrite((UidTail.Generation Segment, UidTail.UidEntries[] InOrder) cut)
    {
        private readonly UidTail.UidEntries[] _inOrder = cut.InOrder;
        private readonly long _lastId = cut.Segment.LastId;
        private Cursor _committed;
        private Cursor _written;

        private record struct Cursor(int Uid, int Entry, bool Latest);

        /// <summary>Writes up to <paramref name="budget"/> rows; true once the mark is written.</summary>
        public bool Write(RowStatement index, RowStatement latest, RowStatement mark, int budget)
        {
            var (u, e, inLatest) = _written;
            try
            {
                for (; budget > 0; budget--)
                {
                    if (!inLatest)
                    {
                        while (u < _inOrder.Length && e == _inOrder[u].Entries.Count)
                        {
                            u++;
                            e = 0;
                        }

                        if (u == _inOrder.Length)
                        {
                            (u, inLatest) = (0, true);
                            continue;
                        }

                        var entry = _inOrder[u].Entries[e++];
                        index.Execute(_inOrder[u].Utf8, entry.Time, entry.Id);
                    }
                    else if (u < _inOrder.Length)
                    {
                        latest.Execute(_inOrder[u++].Newest.Id);
                    }
                    else
                    {
                        mark.Execute(_lastId);
                        return true;
                    }
                }

                return false;
            }
            finally
            {
                _written = new Cursor(u, e, inLatest);
            }
        }

        public void Committed() => _committed = _written;

        public void Rewind() => _written = _committed;
    }

    private void Prune(DateTime cutoff, TaskCompletionSource<long>? completion)
    {
        // The pruned events' index entries go with them, and `latest` keeps what it needs of them.
        WriteWholeTail();
        try
        {
            using var transaction = _writeConnection!.BeginTransaction();
            using var command = _writeConnection.CreateCommand();
            command.Transaction = transaction;
            command.Parameters.AddWithValue("@cutoff", StoredTime.ToUnixMilliseconds(cutoff));
            command.CommandText = "DELETE FROM uid_index WHERE (uid, time, id) IN (SELECT uid, time, id FROM events WHERE received_at < @cutoff)";
            command.ExecuteNonQuery();
            command.CommandText = "DELETE FROM events WHERE received_at < @cutoff";
            long deleted = command.ExecuteNonQuery();
            // Latest entries that went stale before the cutoff can never be current again.
            command.CommandText = "DELETE FROM latest WHERE stale <= @cutoff";
            command.ExecuteNonQuery();
            // A uid with no history left within retention has no owner any more.
            command.CommandText = "DELETE FROM owners WHERE NOT EXISTS (SELECT 1 FROM uid_index WHERE uid_index.uid = owners.uid)";
            command.ExecuteNonQuery();
            transaction.Commit();
            if (deleted > 0)
                StorageLog.Pruned(_logger, deleted, cutoff);
            completion?.TrySetResult(deleted);
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            StorageLog.PruneFailed(_logger, cutoff, Reason(ex), ex);
            completion?.TrySetException(ex);
        }
    }

    private async ValueTask EnqueueControlAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // Control requests wait for room rather than being dropped.
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The event store is closed or its writer stopped.", ex.InnerException ?? ex);
        }
    }

    private void FailPending(Exception exception)
    {
        while (_queue.Reader.TryRead(out var request))
            request.Completion?.TrySetException(exception);
    }

    private static TaskCompletionSource<long> NewCompletion()
        => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A short reason for a log line: the failure's kind and SQLite code, never stored data.</summary>
    private static string Reason(Exception exception) => exception switch
    {
        SqliteException sqlite => $"SQLite error {sqlite.SqliteErrorCode}/{sqlite.SqliteExtendedErrorCode}: {sqlite.Message}",
        CotFormatException cot => $"{cot.Reason}: {cot.Message}",
        _ => exception.GetType().Name,
    };

    /// <summary>One item of the writer's queue: an event's packed row, a uid's owner, or a flush or prune marker.</summary>
    private readonly record struct WriteRequest(RowSlabs.Packed? Row, DateTime? PruneCutoff, TaskCompletionSource<long>? Completion, string? OwnerUid = null, string? Owner = null)
    {
        public static WriteRequest ForOwner(string uid, string owner) => new(null, null, null, uid, owner);
        public static WriteRequest ForEvent(RowSlabs.Packed row) => new(row, null, null);
        public static WriteRequest ForFlush(TaskCompletionSource<long> completion) => new(null, null, completion);
        public static WriteRequest ForPrune(DateTime cutoff, TaskCompletionSource<long>? completion) => new(null, cutoff, completion);
    }
}

/// <summary>Decodes one stored event from its UTF-8 CoT XML.</summary>
internal delegate CotEvent StoredEventDecoder(ReadOnlySpan<byte> utf8, CotLimits limits);
