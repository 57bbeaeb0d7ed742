namespace Kizuna.Storage.Sqlite;

/// <summary>
/// Every knob of the SQLite event store, with its default. Setters validate, so a bad value
/// fails at configuration time rather than inside the writer.
/// </summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Largest accepted <see cref="BatchSize"/>.</summary>
    public const int MaxBatchSize = 100_000;

    /// <summary>Hard cap on <see cref="Kizuna.Core.Storage.EventQuery.Limit"/>; larger limits are lowered to this.</summary>
    public const int MaxQueryLimit = 10_000;

    private string _databasePath = "kizuna.db";
    private int _batchSize = 512;
    private TimeSpan _maxBatchDelay = TimeSpan.FromMilliseconds(50);
    private int _maxPendingEvents = 1_000_000;
    private TimeSpan? _retention;
    private TimeSpan _retentionSweepInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The host's meter factory: the store's meter (<see cref="SqliteEventStore.MeterName"/>) is made
    /// by it, so the node's /metrics (which exposes the Kizuna meters of its factory) shows it. Null:
    /// a meter of the store's own.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Path of the database file; created with its directory if missing. Default <c>kizuna.db</c>.</summary>
    public string DatabasePath
    {
        get => _databasePath;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _databasePath = value;
        }
    }

    /// <summary>Most events written in one transaction. Default 512; 1 to <see cref="MaxBatchSize"/>.</summary>
    public int BatchSize
    {
        get => _batchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxBatchSize);
            _batchSize = value;
        }
    }

    /// <summary>
    /// How long the writer waits, after the first event of a batch, for more events to fill it.
    /// A flush does not wait. Default 50 ms; zero to 10 s (zero writes whatever is queued at once).
    /// </summary>
    public TimeSpan MaxBatchDelay
    {
        get => _maxBatchDelay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromSeconds(10));
            _maxBatchDelay = value;
        }
    }

    /// <summary>
    /// Most events queued in memory and not yet written. Default 1,000,000 (a few hundred MB at worst).
    /// The queue is bounded so that a stalled disk costs history, not the whole node: while it is
    /// full, <c>Append</c> drops the event, counts it and logs a warning, and never blocks the router.
    /// At batch sizes of 512 the writer sustains far more than any realistic feed, so in practice
    /// the queue is near empty; the bound is only a guard against a disk that stops.
    /// </summary>
    public int MaxPendingEvents
    {
        get => _maxPendingEvents;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxPendingEvents = value;
        }
    }

    /// <summary>
    /// How long history is kept, measured on the time the node received each event. When set,
    /// the store prunes older history every <see cref="RetentionSweepInterval"/>. Default null:
    /// keep everything (the host may still call <c>PruneAsync</c>).
    /// </summary>
    public TimeSpan? Retention
    {
        get => _retention;
        set
        {
            if (value is { } v)
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(v, TimeSpan.Zero, nameof(Retention));
            _retention = value;
        }
    }

    /// <summary>
    /// Pending events at which <c>WaitForRoomAsync</c> starts holding connections back; they go on
    /// once the backlog is under half of it. Default 100,000 (a few seconds of a busy node's input).
    /// </summary>
    public int BackpressureThreshold
    {
        get => _backpressureThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            _backpressureThreshold = value;
        }
    }

    private int _backpressureThreshold = 100_000;

    /// <summary>
    /// Events per segment of the uid index: the index entries of this many events are kept in
    /// memory and then written to disk behind the history in uid order, so that each index page
    /// is written about once per segment rather than once per event of a uid. Larger segments
    /// write fewer pages under many entities and cost more memory (about 50 bytes an event) and a
    /// longer rebuild at open after a crash. Default 65,536; 1 to 10,000,000.
    /// </summary>
    public int IndexSegmentEvents
    {
        get => _indexSegmentEvents;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 10_000_000);
            _indexSegmentEvents = value;
        }
    }

    private int _indexSegmentEvents = 65_536;

    /// <summary>How often the retention sweep runs when <see cref="Retention"/> is set. Default 10 minutes; at least 1 s.</summary>
    public TimeSpan RetentionSweepInterval
    {
        get => _retentionSweepInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromSeconds(1));
            _retentionSweepInterval = value;
        }
    }
}
