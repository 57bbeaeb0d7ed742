using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Hosting;

/// <summary>The host's log messages with stable event ids (4000-4999).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(4001, LogLevel.Information, "Listening {Listener} on {Address}")]
    public static partial void Listening(ILogger logger, string listener, string address);

    [LoggerMessage(4002, LogLevel.Information, "Node ready: data in {DataDir}, warnings in {WarningDir}")]
    public static partial void NodeReady(ILogger logger, string dataDir, string warningDir);

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

    [LoggerMessage(4012, LogLevel.Warning, "Refused a console sign-in from {RemoteEndpoint}: {Reason}")]
    public static partial void ConsoleSignInRefused(ILogger logger, string remoteEndpoint, string reason);

    [LoggerMessage(4013, LogLevel.Information, "Console signed in as {Identity} ({Organization}) from {RemoteEndpoint}")]
    public static partial void ConsoleSignedIn(ILogger logger, string identity, string organization, string remoteEndpoint);

    [LoggerMessage(4014, LogLevel.Information, "Console signed out from {RemoteEndpoint}")]
    public static partial void ConsoleSignedOut(ILogger logger, string remoteEndpoint);

    [LoggerMessage(4015, LogLevel.Warning, "Ended the console session of {Identity}: its certificate was revoked")]
    public static partial void ConsoleSessionRevoked(ILogger logger, string identity);

    [LoggerMessage(4016, LogLevel.Information, "Console live feed {ConnectionId} opened from {RemoteEndpoint} as {Identity} ({Nation}/{Organization}, cleared {Clearance})")]
    public static partial void ConsoleLiveOpened(ILogger logger, long connectionId, string remoteEndpoint, string identity, string nation, string organization, string clearance);

    [LoggerMessage(4017, LogLevel.Information, "Console live feed {ConnectionId} from {RemoteEndpoint} closed: {Reason}")]
    public static partial void ConsoleLiveClosed(ILogger logger, long connectionId, string remoteEndpoint, string reason);

    [LoggerMessage(4018, LogLevel.Warning, "Closing console live feed {ConnectionId} from {RemoteEndpoint} (1008 policy violation): {Reason}")]
    public static partial void ConsoleLivePolicyViolation(ILogger logger, long connectionId, string remoteEndpoint, string reason);

    [LoggerMessage(4019, LogLevel.Error, "Console live feed {ConnectionId} from {RemoteEndpoint} failed")]
    public static partial void ConsoleLiveFailed(ILogger logger, Exception exception, long connectionId, string remoteEndpoint);

    [LoggerMessage(4020, LogLevel.Debug, "Console live feed {ConnectionId} dropped {Count} picture updates: the browser is behind")]
    public static partial void ConsoleLivePictureDropped(ILogger logger, long connectionId, long count);

    [LoggerMessage(4021, LogLevel.Warning, "Refused a warning intake connection from {RemoteEndpoint}: {Max} are open already")]
    public static partial void IntakeFull(ILogger logger, string remoteEndpoint, int max);

    [LoggerMessage(4030, LogLevel.Warning, "Refused a connection on {Listener} from {RemoteEndpoint}: that address has {Max} connections open already (max-connections-per-address)")]
    public static partial void AddressLimitReached(ILogger logger, string listener, string remoteEndpoint, int max);

    [LoggerMessage(4031, LogLevel.Warning, "Closed a connection on {Listener} from {RemoteEndpoint}: its TLS handshake did not finish within {Seconds} s (handshake-timeout)")]
    public static partial void HandshakeTimedOut(ILogger logger, string listener, string remoteEndpoint, double seconds);

    [LoggerMessage(4032, LogLevel.Warning, "Closed a warning intake connection from {RemoteEndpoint} still handshaking after {Seconds} s: all {Slots} handshake slots were taken and a new connection came (intake-handshake-slots)")]
    public static partial void HandshakeDisplaced(ILogger logger, string remoteEndpoint, double seconds, int slots);
}
