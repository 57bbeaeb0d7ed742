using Microsoft.Extensions.Logging;

namespace Kizuna.Cluster;

/// <summary>Log messages of the cluster bus (event ids 4200-4229). Reasons and counts, never an event's content.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 4200, EventName = "ClusterJoined", Level = LogLevel.Information,
        Message = "Joined cluster {Cluster} as {Instance} on {Url} (stream {Stream}, consuming {Filters})")]
    public static partial void Joined(ILogger logger, string cluster, string instance, string url, string stream, string filters);

    [LoggerMessage(EventId = 4201, EventName = "ClusterPublishFailed", Level = LogLevel.Warning,
        Message = "An event could not be put on the cluster bus ({Reason}); the other instances miss it (it is in the history)")]
    public static partial void PublishFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4202, EventName = "ClusterQueueFull", Level = LogLevel.Warning,
        Message = "The cluster bus queue is full ({Pending} events); events are dropped from the bus until it drains")]
    public static partial void QueueFull(ILogger logger, int pending);

    [LoggerMessage(EventId = 4203, EventName = "ClusterEventUnreadable", Level = LogLevel.Warning,
        Message = "An event from instance {Instance} on subject {Subject} could not be read ({Reason}); skipped")]
    public static partial void EventUnreadable(ILogger logger, string instance, string subject, string reason);

    [LoggerMessage(EventId = 4204, EventName = "ClusterConsumerFailed", Level = LogLevel.Error,
        Message = "Consuming {Filter} from the cluster stream failed ({Reason}); retrying")]
    public static partial void ConsumerFailed(ILogger logger, string filter, string reason, Exception exception);

    [LoggerMessage(EventId = 4205, EventName = "ClusterLeft", Level = LogLevel.Information,
        Message = "Left cluster {Cluster}: {Published} events published, {Received} received, {Dropped} dropped")]
    public static partial void Left(ILogger logger, string cluster, long published, long received, long dropped);
}
