using System.Diagnostics.Metrics;
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
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _writeSeconds;

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

        _meter = options.MeterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = options.MeterFactory is null;
        _writeSeconds = _meter.CreateHistogram<double>("kizuna.storage.write.duration", unit: "s", description: "One batch written to the history: its transaction, from begin to commit.");
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

        // A thread of its own, not the thread pool's: its SQLite commits block, and a blocked pool
        // worker on a one-core node leaves the pool nothing to run the connections on until it
        // injects more workers (docs/dev/thread-pool.md).
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            RunWriter();
            written.SetResult();
        })
        { IsBackground = true, Name = "kizuna-history" }.Start();
        _writerTask = written.Task;

        if (_options.Retention is { } retention)
        {
            var interval = _options.RetentionSweepInterval;
            _retentionTimer = _time.CreateTimer(
                _ => _queue.Writer.TryWrite(WriteRequest.ForPrune(_time.GetUtcNow().UtcDateTime - retention, completion: null)),
                state: null, dueTime: interval, period: interval);
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

        if (_ownsMeter)
            _meter.Dispose();

        ReleaseWaitersIfRoom(closing: true);
        if (Volatile.Read(ref _initialized) != 0)
            StorageLog.StoreClosed(_logger, WrittenCount, DroppedCount, FailedCount);
    }

    private void DisposeStatements()
    {
        _insertEvent?.Dispose();
        _insertIndex?.Dispose();
        _upsertLatest?.Dispose();
        _setMark?.Dispose();
        _insertOwner?.Dispose();
    }

    /// <summary>A short reason for a log line: the failure's kind and SQLite code, never stored data.</summary>
    private static string Reason(Exception exception) => exception switch
    {
        SqliteException sqlite => $"SQLite error {sqlite.SqliteErrorCode}/{sqlite.SqliteExtendedErrorCode}: {sqlite.Message}",
        CotFormatException cot => $"{cot.Reason}: {cot.Message}",
        _ => exception.GetType().Name,
    };
}

/// <summary>Decodes one stored event from its UTF-8 CoT XML.</summary>
internal delegate CotEvent StoredEventDecoder(ReadOnlySpan<byte> utf8, CotLimits limits);
