using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Hosting;

/// <summary>The host's log messages with stable event ids (4000-4999).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(4001, LogLevel.Information, "Listening {Listener} on {Address}")]
    public static partial void Listening(ILogger logger, string listener, string address);

    [LoggerMessage(4002, LogLevel.Information, "Node ready: data in {DataDir}")]
    public static partial void NodeReady(ILogger logger, string dataDir);

    [LoggerMessage(4003, LogLevel.Information, "Created the node's development CA and server certificate in {Directory}")]
    public static partial void CertificatesCreated(ILogger logger, string directory);

    [LoggerMessage(4004, LogLevel.Warning, "Refused a TLS client certificate for {Identity}: {Reason}")]
    public static partial void ClientCertificateRefused(ILogger logger, string identity, string reason);

    [LoggerMessage(4005, LogLevel.Information, "Node stopping: flushing queues and storage")]
    public static partial void NodeStopping(ILogger logger);

    [LoggerMessage(4006, LogLevel.Information, "Node stopped")]
    public static partial void NodeStopped(ILogger logger);

    [LoggerMessage(4007, LogLevel.Information, "Restored the latest state of {Count} uids from storage")]
    public static partial void LatestRestored(ILogger logger, int count);


    [LoggerMessage(4008, LogLevel.Information, "Hosted by {Organization} ({Nation}) under alliance profile {Profile} version {Version} from {Source}")]
    public static partial void NodeHosted(ILogger logger, string organization, string nation, string profile, string version, string source);

    [LoggerMessage(4009, LogLevel.Warning, "Refused a connection from {RemoteEndpoint}: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string remoteEndpoint, string reason);

    [LoggerMessage(4010, LogLevel.Warning, "Closing connection {ConnectionId} of {Identity}: its certificate was revoked ({Reason})")]
    public static partial void SessionRevoked(ILogger logger, long connectionId, string identity, string reason);

    [LoggerMessage(4011, LogLevel.Error, "A warning resend and escalation pass failed; the next one will try again")]
    public static partial void WarningSweepFailed(ILogger logger, Exception exception);
}
