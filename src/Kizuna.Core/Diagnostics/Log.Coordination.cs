using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

/// <summary>Log messages of the audit trail, coordination and readiness (event ids 1300-1399).</summary>
internal static partial class Log
{
    [LoggerMessage(1301, LogLevel.Error, "Could not append {Count} records to the audit trail in {Directory}; they are lost, and `kizuna audit verify` will not see them")]
    public static partial void AuditWriteFailed(ILogger logger, Exception exception, string directory, int count);

    // Coordination messages name the request's id, the organizations and the people, never its subject or text.
    [LoggerMessage(1310, LogLevel.Information, "Coordination request {Id} ({From} to {To}) is {State}, by {By} ({Organization})")]
    public static partial void CoordinationTransition(ILogger logger, string id, string from, string to, string state, string by, string organization);

    [LoggerMessage(1311, LogLevel.Warning, "Refused a coordination request or transition from {Identity} ({Organization}) on {Id}: {Refusal}: {Reason}")]
    public static partial void CoordinationRefused(ILogger logger, string identity, string organization, string id, Kizuna.Core.Coordination.CoordinationRefusal refusal, string reason);

    [LoggerMessage(1312, LogLevel.Warning, "Coordination request {Id} not acknowledged by its reply-by time: escalated up the chain of {Side} to {Superior} ({Clients} clients told)")]
    public static partial void CoordinationEscalated(ILogger logger, string id, string side, string superior, int clients);

    [LoggerMessage(1322, LogLevel.Information, "Coordination request {Id} ({From} to {To}) is {State}, by {By} ({Organization}), as partner node {Node} sent it")]
    public static partial void CoordinationTransitionFederated(ILogger logger, string id, string from, string to, string state, string by, string organization, string node);

    [LoggerMessage(1323, LogLevel.Warning, "Refused a coordination version from partner node {Node} ({Organization}) on {Id}: {Reason}")]
    public static partial void CoordinationFederatedRefused(ILogger logger, string node, string organization, string id, string reason);

    [LoggerMessage(1324, LogLevel.Warning, "Refused a coordination answer over CoT from {Identity} ({Organization}): {Reason}")]
    public static partial void CoordinationAnswerRefused(ILogger logger, string identity, string organization, string reason);

    // The merge of concurrent coordination answers across federation.
    [LoggerMessage(1325, LogLevel.Warning, "Coordination request {Id}: {State} by {By} ({Organization}) is superseded: {Winner} by {WinnerOrganization}, made after the same step {Step}, comes first by the merge rule (seen from {Node})")]
    public static partial void CoordinationSuperseded(ILogger logger, string id, string state, string by, string organization, int step, string winner, string winnerOrganization, string node);

    [LoggerMessage(1320, LogLevel.Information, "Readiness of {Organization} reported, version {Version}, by {By}")]
    public static partial void ReadinessReported(ILogger logger, string organization, int version, string by);

    [LoggerMessage(1321, LogLevel.Warning, "Refused a readiness report from {Identity} ({Organization}): {Reason}")]
    public static partial void ReadinessRefused(ILogger logger, string identity, string organization, string reason);
}
