using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// Log messages of the PostgreSQL stores (event ids 3100-3199, within storage's 3000-3999).
/// Reasons and counts only, never a stored field: logs go where labels are not enforced.
/// </summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 3100, EventName = "PostgresStoreOpened", Level = LogLevel.Information,
        Message = "PostgreSQL {Component} store opened on {Host} database {Database} (schema version {SchemaVersion})")]
    public static partial void StoreOpened(ILogger logger, string component, string host, string database, int schemaVersion);

    [LoggerMessage(EventId = 3101, EventName = "PostgresSchemaMigrated", Level = LogLevel.Information,
        Message = "PostgreSQL {Component} schema migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string component, int from, int to);

    [LoggerMessage(EventId = 3102, EventName = "PostgresBatchWriteFailed", Level = LogLevel.Error,
        Message = "Writing a batch of {Count} events to PostgreSQL failed ({Reason}); the batch is lost, the writer continues")]
    public static partial void BatchWriteFailed(ILogger logger, int count, string reason, Exception exception);

    [LoggerMessage(EventId = 3103, EventName = "PostgresEventEncodeFailed", Level = LogLevel.Warning,
        Message = "An event from {Sender} could not be encoded for storage ({Reason}); skipped")]
    public static partial void EventEncodeFailed(ILogger logger, string sender, string reason);

    [LoggerMessage(EventId = 3104, EventName = "PostgresStoredEventUnreadable", Level = LogLevel.Warning,
        Message = "Stored event row {RowId} could not be decoded ({Reason}); skipped")]
    public static partial void StoredEventUnreadable(ILogger logger, long rowId, string reason);

    [LoggerMessage(EventId = 3105, EventName = "PostgresQueueFullDropping", Level = LogLevel.Warning,
        Message = "PostgreSQL event store queue is full ({MaxPendingEvents} events pending); dropping history until the writer catches up")]
    public static partial void QueueFullDropping(ILogger logger, int maxPendingEvents);

    [LoggerMessage(EventId = 3106, EventName = "PostgresPruned", Level = LogLevel.Information,
        Message = "Pruned {Count} events received before {Cutoff:O} from PostgreSQL")]
    public static partial void Pruned(ILogger logger, long count, DateTime cutoff);

    [LoggerMessage(EventId = 3107, EventName = "PostgresPruneFailed", Level = LogLevel.Error,
        Message = "Pruning PostgreSQL history received before {Cutoff:O} failed ({Reason})")]
    public static partial void PruneFailed(ILogger logger, DateTime cutoff, string reason, Exception exception);

    [LoggerMessage(EventId = 3108, EventName = "PostgresWriterStopped", Level = LogLevel.Critical,
        Message = "PostgreSQL event store writer stopped unexpectedly ({Reason}); history is no longer written")]
    public static partial void WriterStopped(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 3109, EventName = "PostgresStoreClosed", Level = LogLevel.Information,
        Message = "PostgreSQL event store closed; {Written} events written, {Dropped} dropped, {Failed} failed")]
    public static partial void StoreClosed(ILogger logger, long written, long dropped, long failed);

    [LoggerMessage(EventId = 3110, EventName = "PostgresIssuerRecordsPruned", Level = LogLevel.Information,
        Message = "Pruned {Announced} warning announcements and {Forwarded} reports stored for the issuer, recorded before {Cutoff:O}")]
    public static partial void IssuerRecordsPruned(ILogger logger, long announced, long forwarded, DateTime cutoff);

    [LoggerMessage(EventId = 3111, EventName = "PostgresIssuerPruneFailed", Level = LogLevel.Warning,
        Message = "Pruning the warning issuer's records before {Cutoff:O} failed ({Reason}); the next holder's prune tries again")]
    public static partial void IssuerPruneFailed(ILogger logger, DateTime cutoff, string reason);
}
