namespace Kizuna.Core.Coordination;

/// <summary>The states of a coordination request (their names are the API's and the CoT element's).</summary>
public static class CoordinationStates
{
    public const string Sent = "sent";
    public const string Received = "received";
    public const string Acknowledged = "acknowledged";
    public const string Accepted = "accepted";
    public const string Declined = "declined";
    public const string Countered = "countered";
    public const string Completed = "completed";
    public const string Withdrawn = "withdrawn";

    public static IReadOnlyList<string> All { get; } = [Sent, Received, Acknowledged, Accepted, Declined, Countered, Completed, Withdrawn];

    /// <summary>Nothing follows these.</summary>
    public static bool IsFinal(string state) => state is Declined or Completed or Withdrawn;

    /// <summary>Not yet acknowledged by the addressee: what escalates at the reply-by time.</summary>
    public static bool AwaitsAcknowledgement(string state) => state is Sent or Received;
}

/// <summary>How urgent a request is (the API's names; FLASH above all).</summary>
public static class CoordinationPriorities
{
    public const string Routine = "routine";
    public const string Priority = "priority";
    public const string Immediate = "immediate";
    public const string Flash = "flash";

    public static IReadOnlyList<string> All { get; } = [Routine, Priority, Immediate, Flash];
}

/// <summary>What an identity asks to do to a request: the last segment of <c>POST /api/coordination/{id}/{action}</c>.</summary>
public enum CoordinationAction
{
    Ack,
    Accept,
    Decline,
    Counter,
    Complete,
    Withdraw,
}

/// <summary>One step in a request's history: the state it entered, who made it so, when, and a reason or proposal.</summary>
public sealed record CoordinationTransition(string State, string By, string ByOrganization, DateTime At, string? Note)
{
    /// <summary>
    /// A step's time to the whole millisecond, as CoT carries it: a node and its partners then
    /// hold the same history, and the merge rule orders concurrent steps by the same times.
    /// </summary>
    public static DateTime Instant(DateTime at) => new(at.Ticks - (at.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    /// <summary>
    /// The merge rule's total order of two different steps made on the same version of a request
    /// (docs/dev/coordination-federation.md): the earlier one first; at the same millisecond the
    /// organization, then the identity, then the state, then the note, in ordinal order.
    /// </summary>
    public static bool Precedes(CoordinationTransition a, CoordinationTransition b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var order = Instant(a.At).CompareTo(Instant(b.At));
        if (order == 0)
        {
            order = string.CompareOrdinal(a.ByOrganization, b.ByOrganization);
        }

        if (order == 0)
        {
            order = string.CompareOrdinal(a.By, b.By);
        }

        if (order == 0)
        {
            order = string.CompareOrdinal(a.State, b.State);
        }

        if (order == 0)
        {
            order = string.CompareOrdinal(a.Note, b.Note);
        }

        return order < 0;
    }
}

/// <summary>An escalation of an unacknowledged request to the next superior in one national chain.</summary>
public sealed record CoordinationEscalation(string Side, string Superior, DateTime At);

/// <summary>
/// A coordination request between two headquarters the profile relates (counterparts,
/// coordinating authority, direct liaison authorized, support): its subject, text, priority,
/// reply-by time, attachments by reference and label, its state and every transition. Immutable:
/// a transition makes a new one (<see cref="With"/>).
/// </summary>
public sealed record CoordinationRequest(
    string Id,
    string From,
    string To,
    string Relationship,
    string Subject,
    string Text,
    string Priority,
    DateTime ReplyBy,
    IReadOnlyList<string> Attachments,
    string Label,
    string State,
    string? Proposal,
    string? Reason,
    int Version,
    IReadOnlyList<CoordinationTransition> History,
    IReadOnlyList<CoordinationEscalation> Escalations)
{
    public DateTime CreatedAt => History[0].At;

    public DateTime UpdatedAt => History[^1].At;

    /// <summary>This request in <paramref name="state"/>, with the transition recorded and the version bumped.</summary>
    public CoordinationRequest With(string state, string by, string byOrganization, DateTime at, string? note) => this with
    {
        State = state,
        Version = Version + 1,
        Proposal = state == CoordinationStates.Countered ? note : Proposal,
        Reason = state == CoordinationStates.Declined ? note : Reason,
        History = [.. History, new CoordinationTransition(state, by, byOrganization, CoordinationTransition.Instant(at), note)],
    };

    /// <summary>
    /// This request as it was after its first <paramref name="steps"/> steps (its version counter
    /// kept: what the node sends next still gets a new uid): where a merge takes a partner's branch.
    /// </summary>
    public CoordinationRequest Rewound(int steps)
    {
        var kept = History.Take(steps).ToList();
        return this with
        {
            State = kept[^1].State,
            Proposal = kept.LastOrDefault(h => h.State == CoordinationStates.Countered)?.Note,
            Reason = kept.LastOrDefault(h => h.State == CoordinationStates.Declined)?.Note,
            History = kept,
        };
    }
}
