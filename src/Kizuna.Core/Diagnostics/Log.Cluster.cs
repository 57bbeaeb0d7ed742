using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

// Scale-out's messages of the core, in the cluster's range (4200-4229, with Kizuna.Cluster's).
internal static partial class Log
{
    [LoggerMessage(4206, LogLevel.Warning, "Warning {WarningId} version {Version}, issued by another instance, could not be read from the warning store ({Reason}); this instance's clients get it with the next sweep or on connect")]
    public static partial void ClusterWarningUnread(ILogger logger, string warningId, int version, string reason);
}

// The warning lease (one issuer per node), 4207-4214.
internal static partial class Log
{
    [LoggerMessage(4207, LogLevel.Warning, "This instance ({Holder}) took the warning lease for {Seconds} s: it fuses and issues the node's missile warnings now")]
    public static partial void WarningLeaseTaken(ILogger logger, string holder, double seconds);

    [LoggerMessage(4208, LogLevel.Error, "This instance ({Holder}) lost the warning lease: another instance holds it, or the store could not be reached in time; sensor reports accepted here are stored for the issuer")]
    public static partial void WarningLeaseLost(ILogger logger, string holder);

    [LoggerMessage(4209, LogLevel.Warning, "The warning lease could not be renewed or taken by {Holder}: {Reason}")]
    public static partial void WarningLeaseUnreachable(ILogger logger, string holder, string reason);

    [LoggerMessage(4210, LogLevel.Information, "Taking over as the warning issuer: fusion restored from the store ({Launches} warnings), {Unannounced} stored versions announced that their issuer had not")]
    public static partial void WarningIssuerTookOver(ILogger logger, int launches, int unannounced);

    [LoggerMessage(4211, LogLevel.Error, "A sensor report from {Sender} could not be stored for the warning issuer ({Reason}); the sender should send it again")]
    public static partial void ReportNotForwarded(ILogger logger, string sender, string reason);

    [LoggerMessage(4212, LogLevel.Error, "The warning issuer could not work through the reports stored for it ({Reason}); it tries again at the next renewal")]
    public static partial void ForwardedReportsFailed(ILogger logger, string reason);
}
