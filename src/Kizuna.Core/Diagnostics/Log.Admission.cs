using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

/// <summary>Admission's messages (1200-1229; docs/dev/admission.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1200, LogLevel.Debug, "Holding reads from connection {ConnectionId} ({RemoteEndpoint}): the node is behind ({Backlogged} of {Sessions} clients' picture lanes backlogged) and it sends more than its share")]
    public static partial void PublisherHeld(ILogger logger, long connectionId, string remoteEndpoint, int backlogged, int sessions);
}
