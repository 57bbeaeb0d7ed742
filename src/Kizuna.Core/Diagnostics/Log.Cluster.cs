using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

// Scale-out's messages of the core, in the cluster's range (4200-4229, with Kizuna.Cluster's).
internal static partial class Log
{
    [LoggerMessage(4206, LogLevel.Warning, "Warning {WarningId} version {Version}, issued by another instance, could not be read from the warning store ({Reason}); this instance's clients get it with the next sweep or on connect")]
    public static partial void ClusterWarningUnread(ILogger logger, string warningId, int version, string reason);
}
