using Kizuna.Core.Labels;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

/// <summary>
/// Every log message of the core, with its stable event id (1000-1999). Messages name the remote
/// endpoint and the reason; they never carry the client's raw bytes, nor any field of an event
/// (uid, type, callsign, position, detail): logs go where labels are not enforced.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Connection {ConnectionId} opened on {Listener} from {RemoteEndpoint} as {Identity} ({Nation}/{Organization}, cleared {Clearance})")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, string listener, string remoteEndpoint, string identity, string nation, string organization, string clearance);

    [LoggerMessage(1002, LogLevel.Information, "Connection {ConnectionId} from {RemoteEndpoint} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string remoteEndpoint, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Rejected input on connection {ConnectionId} from {RemoteEndpoint}: {RejectReason}: {Detail}")]
    public static partial void InputRejected(ILogger logger, long connectionId, string remoteEndpoint, CotRejectReason rejectReason, string detail);

    [LoggerMessage(1004, LogLevel.Warning, "Closing connection {ConnectionId} from {RemoteEndpoint}: {Reason}")]
    public static partial void ClosingForMisbehaviour(ILogger logger, long connectionId, string remoteEndpoint, string reason);

    [LoggerMessage(1005, LogLevel.Information, "Connection {ConnectionId} from {RemoteEndpoint} switched to TAK protocol v1")]
    public static partial void SwitchedToProtobuf(ILogger logger, long connectionId, string remoteEndpoint);

    [LoggerMessage(1006, LogLevel.Debug, "Connection {ConnectionId} dropped {Count} picture updates: client is behind")]
    public static partial void PictureDropped(ILogger logger, long connectionId, long count);

    [LoggerMessage(1007, LogLevel.Error, "Connection {ConnectionId} from {RemoteEndpoint} failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, long connectionId, string remoteEndpoint);

    [LoggerMessage(1008, LogLevel.Information, "Replayed {Count} latest events to connection {ConnectionId}")]
    public static partial void LatestReplayed(ILogger logger, int count, long connectionId);

    [LoggerMessage(1009, LogLevel.Warning, "Refused an event on connection {ConnectionId} from {RemoteEndpoint} for its label: {LabelRefusal}: {Detail}")]
    public static partial void LabelRefused(ILogger logger, long connectionId, string remoteEndpoint, LabelRefusal labelRefusal, string detail);

    [LoggerMessage(1010, LogLevel.Warning, "Refused a sensor report on connection {ConnectionId} from {RemoteEndpoint}: {ReportRefusal}: {Detail}")]
    public static partial void ReportRefused(ILogger logger, long connectionId, string remoteEndpoint, Kizuna.Core.Warnings.ReportRefusal reportRefusal, string detail);

    // Warning messages name the label and the people, never the warning's id, stage or content:
    // those are fields of a labelled event; the label-enforcing API shows them.
    [LoggerMessage(1011, LogLevel.Warning, "Issued a warning version ({Banner}): stored in {StoreMs} ms, then queued to {Recipients} clients {IssueMs} ms after its report was accepted")]
    public static partial void WarningIssued(ILogger logger, string banner, double storeMs, int recipients, double issueMs);

    [LoggerMessage(1012, LogLevel.Information, "Recorded a warning acknowledgement from {Recipient} ({Organization})")]
    public static partial void WarningAcknowledged(ILogger logger, string recipient, string organization);

    [LoggerMessage(1013, LogLevel.Error, "Could not record a warning delivery to {Recipient}")]
    public static partial void WarningReceiptLost(ILogger logger, Exception exception, string recipient);

    [LoggerMessage(1014, LogLevel.Warning, "Refused an acknowledgement on connection {ConnectionId} from {RemoteEndpoint}: {Detail}")]
    public static partial void AcknowledgementRefused(ILogger logger, long connectionId, string remoteEndpoint, string detail);

    [LoggerMessage(1034, LogLevel.Warning, "Sensor catalog {Catalog} does not fit the alliance profile: {Problem}; only an identity holding its sensor:ID authorization may feed that sensor")]
    public static partial void SensorCatalogMismatch(ILogger logger, string catalog, string problem);

    [LoggerMessage(1033, LogLevel.Warning, "Refused an acknowledgement from {Recipient} ({Organization}): {AcknowledgementRefusal}")]
    public static partial void AcknowledgementNotCounted(ILogger logger, string recipient, string organization, Kizuna.Core.Warnings.AcknowledgementRefusal acknowledgementRefusal);

    [LoggerMessage(1015, LogLevel.Warning, "Escalated a warning version {Organization} has not acknowledged to {Superior} ({Sessions} clients)")]
    public static partial void WarningEscalated(ILogger logger, string organization, string superior, int sessions);

    [LoggerMessage(1016, LogLevel.Information, "Fusion taken up again: {Warnings} warnings with reports from the last {Hours} hours, {Reports} reports")]
    public static partial void FusionRestored(ILogger logger, int warnings, double hours, int reports);

    [LoggerMessage(1017, LogLevel.Information, "Warning issuer runs at real-time priority")]
    public static partial void IssuerAtRealTimePriority(ILogger logger);

    [LoggerMessage(1019, LogLevel.Warning, "Refused an event on the warning intake, connection {ConnectionId} from {RemoteEndpoint}: it is neither a sensor report nor an acknowledgement")]
    public static partial void NotWarningInput(ILogger logger, long connectionId, string remoteEndpoint);

    [LoggerMessage(1018, LogLevel.Warning, "Warning issuer runs at normal priority: {Reason}; under a saturating load a warning then waits its turn for the CPU")]
    public static partial void IssuerAtNormalPriority(ILogger logger, string reason);

    [LoggerMessage(1030, LogLevel.Warning, "Refused an event on connection {ConnectionId} from {RemoteEndpoint}: its uid belongs to another organization ({Sender} may not update or re-label what {Owner} sent)")]
    public static partial void UidOwnedElsewhere(ILogger logger, long connectionId, string remoteEndpoint, string sender, string owner);

    [LoggerMessage(1035, LogLevel.Warning, "Refused an event on connection {ConnectionId} from {RemoteEndpoint} for its sender ({Kind}): {SendRefusal}: {Detail}")]
    public static partial void SenderRefused(ILogger logger, long connectionId, string remoteEndpoint, PrincipalKind kind, SendRefusal sendRefusal, string detail);

    [LoggerMessage(1036, LogLevel.Debug, "Did not tell connection {ConnectionId} from {RemoteEndpoint} why its input was rejected: one notice a second at most")]
    public static partial void RejectNoticeSuppressed(ILogger logger, long connectionId, string remoteEndpoint);
}
