namespace Kizuna.Core.Alliance;

/// <summary>
/// An alliance as Kizuna knows it: its nations, the organizations of each national chain, the
/// authority on each edge between them, and the counterpart pairs across nations. Loaded from a
/// versioned file in <c>profiles/</c> (see <see cref="ProfileLoader"/>); immutable once loaded.
/// </summary>
public sealed class AllianceProfile
{
    private readonly Dictionary<string, Nation> _nations;
    private readonly Dictionary<string, Organization> _organizations;

    public AllianceProfile(
        string id,
        string name,
        string version,
        string policyId,
        IReadOnlyList<string> classifications,
        IReadOnlyList<Nation> nations,
        IReadOnlyList<Organization> organizations,
        IReadOnlyList<CommandRelationship> relationships,
        IReadOnlyList<CounterpartPair> counterparts,
        string source,
        FederationTopology? federation = null)
    {
        Id = id;
        Name = name;
        Version = version;
        PolicyId = policyId;
        Classifications = classifications;
        Nations = nations;
        Organizations = organizations;
        Relationships = relationships;
        Counterparts = counterparts;
        Source = source;
        Federation = federation ?? FederationTopology.None;
        _nations = nations.ToDictionary(n => n.Code, StringComparer.Ordinal);
        _organizations = organizations.ToDictionary(o => o.Id, StringComparer.Ordinal);
    }

    /// <summary>Which organizations' nodes may federate, and what flows on each link (none when the profile has no <c>federation</c> section).</summary>
    public FederationTopology Federation { get; }

    /// <summary>How often each organization reports its readiness (profile <c>readiness.reportEvery</c>, default 24 h): an older report is stale.</summary>
    public TimeSpan ReadinessInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Stable identifier of the alliance, e.g. <c>us-jpn-kor</c>.</summary>
    public string Id { get; }

    public string Name { get; }

    /// <summary>The profile's own version (its authors bump it on every change).</summary>
    public string Version { get; }

    /// <summary>The security policy identifier every label of this alliance carries (ADatP-4774 policy).</summary>
    public string PolicyId { get; }

    /// <summary>Classification levels, lowest first (UNCLASSIFIED &lt; CONFIDENTIAL &lt; SECRET).</summary>
    public IReadOnlyList<string> Classifications { get; }

    public IReadOnlyList<Nation> Nations { get; }

    public IReadOnlyList<Organization> Organizations { get; }

    public IReadOnlyList<CommandRelationship> Relationships { get; }

    public IReadOnlyList<CounterpartPair> Counterparts { get; }

    /// <summary>Where the profile came from (a file path, or "embedded:NAME").</summary>
    public string Source { get; }

    public Nation? FindNation(string code) => _nations.GetValueOrDefault(code);

    public Organization? FindOrganization(string id) => _organizations.GetValueOrDefault(id);

    /// <summary>The level of a classification (0 is lowest), or -1 if the profile has no such classification.</summary>
    public int ClassificationLevel(string classification)
    {
        for (var i = 0; i < Classifications.Count; i++)
        {
            if (string.Equals(Classifications[i], classification, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Relationships in force on <paramref name="date"/>.</summary>
    public IEnumerable<CommandRelationship> ActiveOn(DateOnly date) => Relationships.Where(r => r.HoldsOn(date));

    /// <summary>The organization that holds <paramref name="kind"/> over <paramref name="organizationId"/> on a date, if any.</summary>
    public Organization? Superior(string organizationId, RelationshipKind kind, DateOnly date)
    {
        foreach (var r in Relationships)
        {
            if (r.Kind == kind && r.HoldsOn(date) && string.Equals(r.Subordinate, organizationId, StringComparison.Ordinal))
            {
                return FindOrganization(r.Superior);
            }
        }

        return null;
    }

    /// <summary>
    /// The national chain above an organization on a date: its commander by the strongest command
    /// relationship (COCOM, then OPCON, TACON, ADCON), that commander's, and so on to the top.
    /// </summary>
    public IReadOnlyList<Organization> ChainAbove(string organizationId, DateOnly date)
    {
        var chain = new List<Organization>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { organizationId };
        var current = organizationId;
        while (true)
        {
            Organization? next = null;
            foreach (var kind in RelationshipKinds.Command)
            {
                next = Superior(current, kind, date);
                if (next is not null)
                {
                    break;
                }
            }

            if (next is null || !seen.Add(next.Id))
            {
                return chain;
            }

            chain.Add(next);
            current = next.Id;
        }
    }

    /// <summary>The counterparts of an organization in other nations (JJOC ↔ USFJ).</summary>
    public IEnumerable<Organization> CounterpartsOf(string organizationId)
    {
        foreach (var pair in Counterparts)
        {
            var other = string.Equals(pair.A, organizationId, StringComparison.Ordinal) ? pair.B
                : string.Equals(pair.B, organizationId, StringComparison.Ordinal) ? pair.A
                : null;
            if (other is not null && FindOrganization(other) is { } found)
            {
                yield return found;
            }
        }
    }
}

/// <summary>A nation of the alliance, by its ISO 3166-1 alpha-3 code (USA, JPN, KOR).</summary>
public sealed record Nation(string Code, string Name);

/// <summary>
/// A headquarters, command or unit. A national organization has one nation; a combined command
/// (the ROK–US Combined Forces Command) lists every nation that staffs it.
/// </summary>
public sealed record Organization(
    string Id,
    string Name,
    IReadOnlyList<string> Nations,
    string Kind,
    string DefaultClassification,
    IReadOnlyList<string> MayReleaseTo,
    IReadOnlyDictionary<string, string> LocalNames)
{
    public bool IsCombined => Nations.Count > 1;

    /// <summary>The nation that owns the organization's data by default (the first listed).</summary>
    public string Nation => Nations[0];
}

/// <summary>The authority on an edge between two organizations (Joint Publication 1 terms).</summary>
public enum RelationshipKind
{
    /// <summary>Combatant command (command authority).</summary>
    Cocom,

    /// <summary>Operational control.</summary>
    Opcon,

    /// <summary>Tactical control.</summary>
    Tacon,

    /// <summary>Administrative control.</summary>
    Adcon,

    /// <summary>Support: the superior is the supported organization, the subordinate supports it.</summary>
    Support,

    /// <summary>Coordinating authority: consultation required, no authority to compel.</summary>
    CoordinatingAuthority,

    /// <summary>Direct liaison authorized (DIRLAUTH).</summary>
    DirectLiaisonAuthorized,
}

public static class RelationshipKinds
{
    /// <summary>The kinds that make a chain of command, strongest first. Orders travel only along these.</summary>
    public static readonly RelationshipKind[] Command = [RelationshipKind.Cocom, RelationshipKind.Opcon, RelationshipKind.Tacon, RelationshipKind.Adcon];

    public static bool IsCommand(this RelationshipKind kind) => kind <= RelationshipKind.Adcon;

    /// <summary>The profile file's spelling: COCOM, OPCON, TACON, ADCON, SUPPORT, COORDINATING-AUTHORITY, DIRLAUTH.</summary>
    public static string ToProfileName(this RelationshipKind kind) => kind switch
    {
        RelationshipKind.Cocom => "COCOM",
        RelationshipKind.Opcon => "OPCON",
        RelationshipKind.Tacon => "TACON",
        RelationshipKind.Adcon => "ADCON",
        RelationshipKind.Support => "SUPPORT",
        RelationshipKind.CoordinatingAuthority => "COORDINATING-AUTHORITY",
        RelationshipKind.DirectLiaisonAuthorized => "DIRLAUTH",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string name, out RelationshipKind kind)
    {
        foreach (var candidate in Enum.GetValues<RelationshipKind>())
        {
            if (string.Equals(candidate.ToProfileName(), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>
/// An edge of authority: <see cref="Superior"/> holds <see cref="Kind"/> over <see cref="Subordinate"/>
/// from <see cref="From"/> (inclusive) until <see cref="Until"/> (exclusive); either may be open.
/// </summary>
public sealed record CommandRelationship(string Superior, string Subordinate, RelationshipKind Kind, DateOnly? From, DateOnly? Until, string? Note)
{
    public bool HoldsOn(DateOnly date) => (From is null || From.Value <= date) && (Until is null || date < Until.Value);
}

/// <summary>Two headquarters of different nations that coordinate as counterparts (JJOC ↔ USFJ).</summary>
public sealed record CounterpartPair(string A, string B, string? Note);
