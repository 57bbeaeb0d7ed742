namespace Kizuna.Server.Hosting;

/// <summary>The host's messages for the audit trail, coordination and readiness (event ids 4700-4799).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(4701, LogLevel.Error, "A coordination escalation pass failed; the next one will try again")]
    public static partial void CoordinationSweepFailed(ILogger logger, Exception exception);
}
