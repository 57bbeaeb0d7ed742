namespace Kizuna.Storage.Postgres;

/// <summary>Settings of the PostgreSQL stores; the defaults follow <see cref="Sqlite.SqliteStoreOptions"/>'s.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Largest number of events a query returns, whatever it asks for.</summary>
    public const int MaxQueryLimit = 10_000;

    /// <summary>An Npgsql connection string (<c>Host=...;Username=...;Database=...</c>); a <c>Search Path</c> puts the tables in that schema.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Events per batch the writer commits (one binary COPY).</summary>
    public int BatchSize { get; init; } = 2_000;

    /// <summary>How long the writer waits for more events before it commits a part-filled batch.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Events queued for the writer beyond which <see cref="Core.Storage.IEventStore.Append"/> drops history.</summary>
    public int MaxPendingEvents { get; init; } = 1_000_000;

    /// <summary>Backlog above which connections wait for room (storage-backpressure.md).</summary>
    public int BackpressureThreshold { get; init; } = 100_000;

    /// <summary>History older than this (by receive time) is deleted by the sweep; null keeps everything.</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>How often the retention sweep runs.</summary>
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows one retention delete takes, so a sweep never holds one long transaction over the whole history.</summary>
    public int PruneBatchRows { get; init; } = 10_000;

    /// <summary>The meters' factory (the node's); null makes a meter of the store's own.</summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }
}
