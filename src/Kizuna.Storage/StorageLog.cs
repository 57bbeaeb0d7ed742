using Microsoft.Extensions.Logging;

namespace Kizuna.Storage;

/// <summary>
/// Every log message of Kizuna.Storage, source-generated. Event ids are stable (3000-3999 belong
/// to storage): dashboards and alerts match on them, so never renumber, only add.
/// Messages carry reasons and counts, never a field of an event nor the stored XML: logs go
/// where confidentiality labels are not enforced.
/// </summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 3001, EventName = "StoreOpened", Level = LogLevel.Information,
        Message = "Event store opened at {DatabasePath} (schema version {SchemaVersion})")]
    public static partial void StoreOpened(ILogger logger, string databasePath, long schemaVersion);

    [LoggerMessage(EventId = 3002, EventName = "BatchWriteFailed", Level = LogLevel.Error,
        Message = "Writing a batch of {Count} events failed ({Reason}); the batch is lost, the writer continues")]
    public static partial void BatchWriteFailed(ILogger logger, int count, string reason, Exception exception);

    [LoggerMessage(EventId = 3003, EventName = "EventEncodeFailed", Level = LogLevel.Warning,
        Message = "An event from {Sender} could not be encoded for storage ({Reason}); skipped")]
    public static partial void EventEncodeFailed(ILogger logger, string sender, string reason);

    [LoggerMessage(EventId = 3004, EventName = "StoredEventUnreadable", Level = LogLevel.Warning,
        Message = "Stored event row {RowId} could not be decoded ({Reason}); skipped")]
    public static partial void StoredEventUnreadable(ILogger logger, long rowId, string reason);

    [LoggerMessage(EventId = 3005, EventName = "QueueFullDropping", Level = LogLevel.Warning,
        Message = "Event store queue is full ({MaxPendingEvents} events pending); dropping history until the writer catches up")]
    public static partial void QueueFullDropping(ILogger logger, int maxPendingEvents);

    [LoggerMessage(EventId = 3006, EventName = "QueueRecovered", Level = LogLevel.Information,
        Message = "Event store writer caught up; {Dropped} events were dropped while the queue was full")]
    public static partial void QueueRecovered(ILogger logger, long dropped);

    [LoggerMessage(EventId = 3007, EventName = "Pruned", Level = LogLevel.Information,
        Message = "Pruned {Count} events received before {Cutoff:O}")]
    public static partial void Pruned(ILogger logger, long count, DateTime cutoff);

    [LoggerMessage(EventId = 3008, EventName = "PruneFailed", Level = LogLevel.Error,
        Message = "Pruning history received before {Cutoff:O} failed ({Reason})")]
    public static partial void PruneFailed(ILogger logger, DateTime cutoff, string reason, Exception exception);

    [LoggerMessage(EventId = 3009, EventName = "WriterStopped", Level = LogLevel.Critical,
        Message = "Event store writer stopped unexpectedly ({Reason}); history is no longer written")]
    public static partial void WriterStopped(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 3010, EventName = "StoreClosed", Level = LogLevel.Information,
        Message = "Event store closed; {Written} events written, {Dropped} dropped, {Failed} failed")]
    public static partial void StoreClosed(ILogger logger, long written, long dropped, long failed);

    [LoggerMessage(EventId = 3011, EventName = "SchemaUpgrading", Level = LogLevel.Information,
        Message = "Event store schema {From} upgrades to {To} now: {Change}, once; on a large history this takes a while before the node is ready")]
    public static partial void SchemaUpgrading(ILogger logger, long from, long to, string change);

    [LoggerMessage(EventId = 3012, EventName = "UidIndexBehind", Level = LogLevel.Information,
        Message = "The uid index is {Behind} events behind the history (the node stopped before writing it); they are indexed in memory and written behind new events")]
    public static partial void UidIndexBehind(ILogger logger, long behind);

    [LoggerMessage(EventId = 3013, EventName = "UidIndexWriteFailed", Level = LogLevel.Error,
        Message = "Writing the uid index and latest events behind the history failed ({Reason}); they stay in memory, and an open rebuilds them from the history")]
    public static partial void UidIndexWriteFailed(ILogger logger, string reason, Exception exception);
}
