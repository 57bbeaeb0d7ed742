using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>Federation log messages. Stable event ids 4500-4599 (within the server's 4000-4999).</summary>
internal static partial class FederationLog
{
    [LoggerMessage(4501, LogLevel.Information, "Federation link up with node {NodeId} ({Organization}, {Nation}), {Direction}, federate {Fingerprint}, carrying {Flows} up to {MaxClassification}")]
    public static partial void LinkUp(ILogger logger, string nodeId, string organization, string nation, string direction, string fingerprint, string flows, string maxClassification);

    [LoggerMessage(4502, LogLevel.Information, "Federation link down with node {NodeId} ({Organization}), {Direction}: {Reason}")]
    public static partial void LinkDown(ILogger logger, string nodeId, string organization, string direction, string reason);

    [LoggerMessage(4503, LogLevel.Warning, "Refused a federation peer {Identity} at the handshake: {Reason}")]
    public static partial void PeerRefused(ILogger logger, string identity, string reason);

    [LoggerMessage(4504, LogLevel.Information, "Federation dial to {Target} failed (attempt {Attempt}): {Reason}; next try in {Delay}")]
    public static partial void DialFailed(ILogger logger, string target, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(4505, LogLevel.Warning, "Dropped an unreadable federated event from node {NodeId}: {Reason}")]
    public static partial void EventUnreadable(ILogger logger, string nodeId, string reason);

    [LoggerMessage(4506, LogLevel.Information, "Federation: node {NodeId} hosted by {Organization}, {Partners} partner bundles imported, dialling {Targets}")]
    public static partial void Ready(ILogger logger, string nodeId, string organization, int partners, string targets);

    [LoggerMessage(4507, LogLevel.Warning, "Refused a federation call from {RemoteEndpoint}: {Reason}")]
    public static partial void CallRefused(ILogger logger, string remoteEndpoint, string reason);

    [LoggerMessage(4510, LogLevel.Warning, "Refused a federated event from node {NodeId} (origin {Origin} #{Sequence}): {Reason}")]
    public static partial void EventRefused(ILogger logger, string nodeId, string origin, ulong sequence, string reason);

    [LoggerMessage(4511, LogLevel.Debug, "Dropped a duplicate federated event from node {NodeId} (origin {Origin} #{Sequence})")]
    public static partial void EventDuplicate(ILogger logger, string nodeId, string origin, ulong sequence);

    [LoggerMessage(4512, LogLevel.Information, "Federation outbox for node {NodeId} ({Organization}) resumes after position {Position} ({PeerOrigins} origins held by the peer)")]
    public static partial void OutboxResumed(ILogger logger, string nodeId, string organization, long position, int peerOrigins);

    [LoggerMessage(4513, LogLevel.Warning, "Federation outbox for node {NodeId} stopped: {Reason}")]
    public static partial void OutboxFailed(ILogger logger, string nodeId, string reason, Exception exception);

    [LoggerMessage(4514, LogLevel.Warning, "Could not keep the federation cursor of node {NodeId}: {Reason}")]
    public static partial void CursorSaveFailed(ILogger logger, string nodeId, string reason);

    [LoggerMessage(4515, LogLevel.Information, "Federation holdings restored: {Origins} origins, {Events} federated events in the history")]
    public static partial void HoldingsRestored(ILogger logger, int origins, int events);
}
