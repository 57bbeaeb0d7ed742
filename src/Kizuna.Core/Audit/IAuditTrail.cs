namespace Kizuna.Core.Audit;

/// <summary>
/// One act for the audit trail: who did it (the identity's name and organization), what act,
/// to what (an id, never the content: the trail goes to auditors, not to the picture), and
/// the label of the object it touched (banner form), which decides which auditors see it.
/// </summary>
public sealed record AuditEntry(string Act, string Actor, string ActorOrganization, string Object, string Label)
{
    /// <summary>The actor of what the node does by itself (an escalation on a timer).</summary>
    public const string NodeActor = "node";
}

/// <summary>
/// Where the node's desks tell security- and command-relevant acts. <see cref="Record"/> never
/// blocks and never writes on the caller's thread (the warning issuer calls it): the entry is
/// stamped with the time and queued; a writer of its own chains and appends it.
/// </summary>
public interface IAuditTrail
{
    void Record(AuditEntry entry);
}

/// <summary>The trail turned off (<c>--audit false</c>): every act is forgotten.</summary>
public sealed class NoAuditTrail : IAuditTrail
{
    public static readonly NoAuditTrail Instance = new();

    private NoAuditTrail()
    {
    }

    public void Record(AuditEntry entry)
    {
    }
}
