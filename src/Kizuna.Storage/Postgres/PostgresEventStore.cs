using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// The event history in PostgreSQL, for a node of several instances (docs/dev/scale-out.md).
/// As the SQLite store: <see cref="Append"/> puts the event on a bounded in-memory queue and
/// returns; one writer task per instance drains it and commits batches, each one binary COPY of
/// the events (ids taken from the shared sequence, so positions ascend across instances) and
/// one upsert of each uid's latest event. Label columns are kept with every row and the access
/// filter is a WHERE term (<see cref="AccessFilter"/>), so a query never reads what its caller may
/// not see. Retention deletes by received time in batches of <see cref="PostgresStoreOptions.PruneBatchRows"/>.
/// </summary>
public sealed partial class PostgresEventStore : IEventStore
{
    private const string Component = "events";

    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Request> _queue;
    private readonly Lock _roomGate = new();
    private readonly Lock _positionGate = new();
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _positionAdvanced;
    private Task? _writerTask;
    private ITimer? _retentionTimer;
    private long _lastPosition;
    private int _initialized;
    private int _disposed;
    private int _dropping;
    private long _written;
    private long _dropped;
    private long _failed;

    public PostgresEventStore(PostgresStoreOptions options, ILogger<PostgresEventStore>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.MaxPendingEvents)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _meter = options.MeterFactory?.Create("Kizuna.Storage.Postgres") ?? new Meter("Kizuna.Storage.Postgres");
        _ownsMeter = options.MeterFactory is null;
        _meter.CreateObservableCounter("kizuna.storage.postgres.events.written", () => Interlocked.Read(ref _written), description: "Events committed to the PostgreSQL history by this instance");
        _meter.CreateObservableCounter("kizuna.storage.postgres.events.dropped", () => Interlocked.Read(ref _dropped), description: "Events dropped because the write queue was full");
        _meter.CreateObservableCounter("kizuna.storage.postgres.events.failed", () => Interlocked.Read(ref _failed), description: "Events that failed to encode or whose batch failed to commit");
        _meter.CreateObservableGauge("kizuna.storage.postgres.queue.depth", () => _queue.Reader.Count, description: "Events waiting for the PostgreSQL writer");
    }

    /// <summary>Events appended but not yet taken by the writer.</summary>
    public int PendingCount => _queue.Reader.Count;

    /// <inheritdoc />
    public long LastPosition => Interlocked.Read(ref _lastPosition);

    /// <summary>The schema this build writes (rows of <c>kizuna_schema</c>).</summary>
    internal static readonly string[] Migrations =
    [
        """
        CREATE SEQUENCE events_id_seq;
        CREATE TABLE events (
            id bigint PRIMARY KEY,
            uid text COLLATE "C" NOT NULL,
            type text COLLATE "C" NOT NULL,
            time timestamptz NOT NULL,
            start timestamptz NOT NULL,
            stale timestamptz NOT NULL,
            received_at timestamptz NOT NULL,
            sender text NOT NULL,
            lat double precision NOT NULL,
            lon double precision NOT NULL,
            xml bytea NOT NULL,
            label_scheme integer NOT NULL,
            label_level integer NOT NULL,
            label_nations bigint NOT NULL,
            label_categories boolean NOT NULL,
            origin_node text,
            origin_seq bigint NOT NULL DEFAULT 0,
            provenance text
        );
        ALTER SEQUENCE events_id_seq OWNED BY events.id;
        CREATE INDEX events_time ON events (time, id) INCLUDE (label_scheme, label_level, label_nations, label_categories);
        CREATE INDEX events_uid_time ON events (uid, time, id);
        CREATE INDEX events_type_time ON events (type, time, id);
        CREATE INDEX events_received_at ON events (received_at);
        CREATE INDEX events_origin ON events (origin_node, origin_seq) WHERE origin_node IS NOT NULL;
        CREATE TABLE latest (
            uid text COLLATE "C" PRIMARY KEY,
            id bigint NOT NULL,
            time timestamptz NOT NULL,
            stale timestamptz NOT NULL,
            received_at timestamptz NOT NULL,
            sender text NOT NULL,
            xml bytea NOT NULL
        );
        CREATE TABLE owners (uid text COLLATE "C" PRIMARY KEY, owner text NOT NULL);
        CREATE TABLE federation_cursors (partner text PRIMARY KEY, acknowledged bigint NOT NULL);
        """,
    ];

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _initialized, 1) != 0)
            throw new InvalidOperationException("The event store is already initialized.");

        var version = await PostgresSchema.MigrateAsync(_dataSource, Component, Migrations, _logger, cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand("SELECT COALESCE(MAX(id), 0) FROM events", connection);
            _lastPosition = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var (host, database) = PostgresSchema.Describe(_options.ConnectionString);
        PostgresLog.StoreOpened(_logger, Component, host, database, version);
        _writerTask = Task.Run(RunWriterAsync, CancellationToken.None);
        if (_options.Retention is { } retention)
        {
            var interval = _options.RetentionSweepInterval;
            _retentionTimer = _time.CreateTimer(
                _ => _queue.Writer.TryWrite(Request.ForPrune(_time.GetUtcNow().UtcDateTime - retention, null)),
                state: null, dueTime: interval, period: interval);
        }
    }

    /// <summary>Stops taking events, writes everything already queued, and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_retentionTimer is not null)
            await _retentionTimer.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        if (_writerTask is not null)
            await _writerTask.ConfigureAwait(false);
        while (_queue.Reader.TryRead(out var request))
            request.Completion?.TrySetException(new ObjectDisposedException(nameof(PostgresEventStore)));
        ReleaseWaitersIfRoom(closing: true);
        lock (_positionGate)
        {
            _positionAdvanced?.TrySetResult();
            _positionAdvanced = null;
        }

        await _dataSource.DisposeAsync().ConfigureAwait(false);
        if (_ownsMeter)
            _meter.Dispose();
        if (Volatile.Read(ref _initialized) != 0)
            PostgresLog.StoreClosed(_logger, Interlocked.Read(ref _written), Interlocked.Read(ref _dropped), Interlocked.Read(ref _failed));
    }

    /// <inheritdoc />
    public void Append(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ReadOnlyMemory<byte> xml;
        try
        {
            // The router's encoding is immutable and shared; keep a reference, not a copy.
            xml = stored.EncodedXml.IsEmpty ? CotXml.Encode(stored.Event) : stored.EncodedXml;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failed);
            PostgresLog.EventEncodeFailed(_logger, stored.Sender, PostgresSchema.Reason(ex));
            return;
        }

        if (_queue.Writer.TryWrite(Request.ForEvent(stored with { EncodedXml = xml })))
            return;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
            PostgresLog.QueueFullDropping(_logger, _options.MaxPendingEvents);
    }

    /// <inheritdoc />
    public void RecordOwner(string uid, string owner)
    {
        ArgumentNullException.ThrowIfNull(uid);
        ArgumentNullException.ThrowIfNull(owner);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_queue.Writer.TryWrite(Request.ForOwner(uid, owner)))
            _ = EnqueueControlAsync(Request.ForOwner(uid, owner), CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueControlAsync(Request.ForFlush(completion), cancellationToken).ConfigureAwait(false);
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueControlAsync(Request.ForPrune(cutoff, completion), cancellationToken).ConfigureAwait(false);
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (_queue.Reader.Count < _options.BackpressureThreshold)
            return ValueTask.CompletedTask;
        lock (_roomGate)
        {
            if (_queue.Reader.Count < _options.BackpressureThreshold / 2 || Volatile.Read(ref _disposed) != 0)
                return ValueTask.CompletedTask;
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_room.Task.WaitAsync(cancellationToken));
        }
    }

    /// <inheritdoc />
    public Task WaitForPositionAsync(long position, CancellationToken cancellationToken)
    {
        lock (_positionGate)
        {
            if (_lastPosition > position || Volatile.Read(ref _disposed) != 0)
                return Task.CompletedTask;
            _positionAdvanced ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _positionAdvanced.Task.WaitAsync(cancellationToken);
        }
    }

    private void ReleaseWaitersIfRoom(bool closing = false)
    {
        TaskCompletionSource? room;
        lock (_roomGate)
        {
            if (_room is null || (!closing && _queue.Reader.Count >= _options.BackpressureThreshold / 2))
                return;
            room = _room;
            _room = null;
        }

        room.TrySetResult();
    }

    private void Committed(long position)
    {
        TaskCompletionSource? waiters;
        lock (_positionGate)
        {
            if (position <= _lastPosition)
                return;
            Interlocked.Exchange(ref _lastPosition, position);
            waiters = _positionAdvanced;
            _positionAdvanced = null;
        }

        waiters?.TrySetResult();
    }

    private async Task EnqueueControlAsync(Request request, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The event store is closed or its writer stopped.", ex.InnerException ?? ex);
        }
    }

    private async Task RunWriterAsync()
    {
        var reader = _queue.Reader;
        var events = new List<StoredEvent>(_options.BatchSize);
        var owners = new List<(string Uid, string Owner)>();
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                // Real time, as the SQLite writer: a test's manual clock must not hold a batch back.
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                while (true)
                {
                    while (events.Count < _options.BatchSize && reader.TryRead(out var request))
                    {
                        if (request.Event is { } stored)
                        {
                            events.Add(stored);
                        }
                        else if (request.OwnerUid is { } uid)
                        {
                            owners.Add((uid, request.Owner!));
                        }
                        else
                        {
                            // A control request: everything queued before it is written first.
                            await WriteBatchAsync(events, owners).ConfigureAwait(false);
                            if (request.PruneCutoff is { } cutoff)
                                await PruneNowAsync(cutoff, request.Completion).ConfigureAwait(false);
                            else
                                request.Completion?.TrySetResult(0);
                        }
                    }

                    if (events.Count >= _options.BatchSize)
                    {
                        await WriteBatchAsync(events, owners).ConfigureAwait(false);
                        continue;
                    }

                    if (events.Count == 0 && owners.Count == 0)
                        break;
                    var remaining = _options.MaxBatchDelay - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                    if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false))
                    {
                        await WriteBatchAsync(events, owners).ConfigureAwait(false);
                        break;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            PostgresLog.WriterStopped(_logger, PostgresSchema.Reason(ex), ex);
            _queue.Writer.TryComplete(ex);
            while (_queue.Reader.TryRead(out var request))
                request.Completion?.TrySetException(new InvalidOperationException("The event store writer stopped.", ex));
        }
    }

    private static async Task<bool> WaitForMoreAsync(ChannelReader<Request> reader, TimeSpan timeout)
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

    /// <summary>One transaction: the owners, the events' ids from the sequence, one binary COPY, and the latest of each uid.</summary>
    private async Task WriteBatchAsync(List<StoredEvent> events, List<(string Uid, string Owner)> owners)
    {
        if (events.Count == 0 && owners.Count == 0)
            return;
        try
        {
            var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    if (owners.Count > 0)
                    {
                        await using var insertOwners = new NpgsqlCommand(
                            "INSERT INTO owners (uid, owner) SELECT * FROM unnest(@uids, @owners) ON CONFLICT (uid) DO NOTHING", connection, transaction);
                        insertOwners.Parameters.AddWithValue("uids", owners.Select(o => o.Uid).ToArray());
                        insertOwners.Parameters.AddWithValue("owners", owners.Select(o => o.Owner).ToArray());
                        await insertOwners.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }

                    var ids = new long[events.Count];
                    if (events.Count > 0)
                    {
                        await using (var next = new NpgsqlCommand("SELECT nextval('events_id_seq') FROM generate_series(1, @n)", connection, transaction))
                        {
                            next.Parameters.AddWithValue("n", events.Count);
                            await using var read = await next.ExecuteReaderAsync().ConfigureAwait(false);
                            for (var k = 0; await read.ReadAsync().ConfigureAwait(false); k++)
                                ids[k] = read.GetInt64(0);
                        }

                        await CopyAsync(connection, events, ids).ConfigureAwait(false);
                        // Each uid's newest event of the batch replaces its latest when at least as new (a later arrival wins a tie).
                        await using var latest = new NpgsqlCommand(
                            """
                            INSERT INTO latest (uid, id, time, stale, received_at, sender, xml)
                            SELECT DISTINCT ON (uid) uid, id, time, stale, received_at, sender, xml FROM events
                            WHERE id = ANY(@ids) ORDER BY uid, time DESC, id DESC
                            ON CONFLICT (uid) DO UPDATE SET id = excluded.id, time = excluded.time, stale = excluded.stale,
                                received_at = excluded.received_at, sender = excluded.sender, xml = excluded.xml
                            WHERE excluded.time >= latest.time
                            """, connection, transaction);
                        latest.Parameters.AddWithValue("ids", ids);
                        await latest.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }

                    await transaction.CommitAsync().ConfigureAwait(false);
                    Interlocked.Add(ref _written, events.Count);
                    if (events.Count > 0)
                        Committed(ids.Max());
                }
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
        {
            Interlocked.Add(ref _failed, events.Count);
            PostgresLog.BatchWriteFailed(_logger, events.Count, PostgresSchema.Reason(ex), ex);
        }
        finally
        {
            events.Clear();
            owners.Clear();
            ReleaseWaitersIfRoom();
        }

        if (Volatile.Read(ref _dropping) != 0 && _queue.Reader.Count <= _options.MaxPendingEvents / 2)
            Interlocked.Exchange(ref _dropping, 0);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, List<StoredEvent> events, long[] ids)
    {
        var writer = await connection.BeginBinaryImportAsync(
            $"COPY events (id, {RowColumns}, label_scheme, label_level, label_nations, label_categories, origin_node, origin_seq, provenance) FROM STDIN (FORMAT BINARY)").ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            for (var k = 0; k < events.Count; k++)
            {
                var stored = events[k];
                var evt = stored.Event;
                await writer.StartRowAsync().ConfigureAwait(false);
                await writer.WriteAsync(ids[k], NpgsqlDbType.Bigint).ConfigureAwait(false);
                await writer.WriteAsync(evt.Uid, NpgsqlDbType.Text).ConfigureAwait(false);
                await writer.WriteAsync(evt.Type, NpgsqlDbType.Text).ConfigureAwait(false);
                await writer.WriteAsync(PostgresSchema.Utc(evt.Time), NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await writer.WriteAsync(PostgresSchema.Utc(evt.Start), NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await writer.WriteAsync(PostgresSchema.Utc(evt.Stale), NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await writer.WriteAsync(PostgresSchema.Utc(stored.ReceivedAt), NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await writer.WriteAsync(stored.Sender, NpgsqlDbType.Text).ConfigureAwait(false);
                await writer.WriteAsync(evt.Point.Lat, NpgsqlDbType.Double).ConfigureAwait(false);
                await writer.WriteAsync(evt.Point.Lon, NpgsqlDbType.Double).ConfigureAwait(false);
                await writer.WriteAsync(stored.EncodedXml, NpgsqlDbType.Bytea).ConfigureAwait(false);
                await writer.WriteAsync(stored.Label.Scheme, NpgsqlDbType.Integer).ConfigureAwait(false);
                await writer.WriteAsync(stored.Label.Level, NpgsqlDbType.Integer).ConfigureAwait(false);
                await writer.WriteAsync(stored.Label.Nations, NpgsqlDbType.Bigint).ConfigureAwait(false);
                await writer.WriteAsync(stored.Label.CheckedCategories, NpgsqlDbType.Boolean).ConfigureAwait(false);
                if (stored.OriginNode is { } origin)
                    await writer.WriteAsync(origin, NpgsqlDbType.Text).ConfigureAwait(false);
                else
                    await writer.WriteNullAsync().ConfigureAwait(false);
                await writer.WriteAsync(stored.OriginSequence, NpgsqlDbType.Bigint).ConfigureAwait(false);
                if (stored.Provenance is { } provenance)
                    await writer.WriteAsync(provenance, NpgsqlDbType.Text).ConfigureAwait(false);
                else
                    await writer.WriteNullAsync().ConfigureAwait(false);
            }

            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Deletes by received time a batch of rows at a time, each its own statement; then the latest and owners nothing can need any more.</summary>
    private async Task PruneNowAsync(DateTime cutoff, TaskCompletionSource<long>? completion)
    {
        try
        {
            long deleted = 0;
            var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await using var command = new NpgsqlCommand(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < @cutoff LIMIT @rows)", connection);
                command.Parameters.AddWithValue("cutoff", PostgresSchema.Utc(cutoff));
                command.Parameters.AddWithValue("rows", _options.PruneBatchRows);
                int rows;
                do
                {
                    rows = await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                    deleted += rows;
                }
                while (rows > 0);

                command.Parameters.Clear();
                command.Parameters.AddWithValue("cutoff", PostgresSchema.Utc(cutoff));
                command.CommandText = """
                    DELETE FROM latest WHERE stale <= @cutoff;
                    DELETE FROM owners o WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.uid = o.uid);
                    """;
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            if (deleted > 0)
                PostgresLog.Pruned(_logger, deleted, cutoff);
            completion?.TrySetResult(deleted);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
        {
            PostgresLog.PruneFailed(_logger, cutoff, PostgresSchema.Reason(ex), ex);
            completion?.TrySetException(ex);
        }
    }

    /// <summary>One item of the writer's queue: an event, a uid's owner, or a flush or prune marker.</summary>
    private readonly record struct Request(StoredEvent? Event, DateTime? PruneCutoff, TaskCompletionSource<long>? Completion, string? OwnerUid = null, string? Owner = null)
    {
        public static Request ForEvent(StoredEvent stored) => new(stored, null, null);
        public static Request ForOwner(string uid, string owner) => new(null, null, null, uid, owner);
        public static Request ForFlush(TaskCompletionSource<long> completion) => new(null, null, completion);
        public static Request ForPrune(DateTime cutoff, TaskCompletionSource<long>? completion) => new(null, cutoff, completion);
    }
}
