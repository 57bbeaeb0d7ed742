namespace Kizuna.Core.Audit;

/// <summary>
/// The names of the acts the audit trail records. Stable: scripts and auditors filter by them,
/// and a record once written keeps its name for ever.
/// </summary>
public static class AuditActs
{
    public const string WarningIssued = "warning.issued";
    public const string WarningDelivered = "warning.delivered";
    public const string WarningAcknowledged = "warning.acknowledged";
    public const string WarningEscalated = "warning.escalated";
    public const string CertificateIssued = "certificate.issued";
    public const string CertificateRevoked = "certificate.revoked";
    public const string LabelRefused = "label.refused";
    public const string FederationLinkUp = "federation.link-up";
    public const string FederationLinkDown = "federation.link-down";
    public const string FederationPartnerTrusted = "federation.partner-trusted";
    public const string ConsoleSignedIn = "console.signed-in";

    /// <summary>A coordination request entered a state: <c>coordination.</c> and the state's name (<c>coordination.accepted</c>).</summary>
    public const string CoordinationPrefix = "coordination.";
    public const string CoordinationEscalated = "coordination.escalated";

    /// <summary>A partner node's version of a request was refused: it spoke for an organization not of its nation, or the state table does not allow it.</summary>
    public const string CoordinationRefused = "coordination.refused";
    /// <summary>A transition lost the merge of concurrent answers on two nodes (docs/dev/coordination-federation.md): recorded, never applied.</summary>
    public const string CoordinationSuperseded = "coordination.superseded";
    public const string ReadinessReported = "readiness.reported";
}
