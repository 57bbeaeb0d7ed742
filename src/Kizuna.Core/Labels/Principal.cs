namespace Kizuna.Core.Labels;

/// <summary>What a client certificate says about its holder, before it is checked against the profile.</summary>
public sealed record IdentityClaims(
    string Name,
    string Nation,
    string Organization,
    string Role,
    string Clearance,
    IReadOnlyList<string> Authorizations);

/// <summary>How a principal came to be known.</summary>
public enum PrincipalKind
{
    /// <summary>A client certificate issued by the node's CA.</summary>
    Certificate,

    /// <summary>A client of the plain-TCP listener: no identity, so the hosting organization's default and national only.</summary>
    Anonymous,

    /// <summary>The node itself (its own events, such as fused warnings).</summary>
    Node,

    /// <summary>
    /// A partner node on a federation link (or the origin node of a relayed event): of its
    /// hosting organization's nation, cleared to the link's highest classification. It vouches
    /// for its own sensor feeds (<see cref="Warnings.SensorAuthority"/>) and for nothing else.
    /// </summary>
    PartnerNode,
}

/// <summary>
/// Someone the access decision is made for: a nation, an organization of the alliance profile, a
/// role, a clearance, and any category values held beyond nationality. Built only by
/// <see cref="LabelPolicy"/>, so every principal is consistent with the profile.
/// </summary>
public sealed class Principal
{
    internal Principal(
        PrincipalKind kind,
        string name,
        string nation,
        string organization,
        string role,
        string clearance,
        int clearanceLevel,
        string policy,
        IReadOnlyList<string> authorizations,
        ulong nationBit,
        ulong mayReleaseToMask)
    {
        Kind = kind;
        Name = name;
        Nation = nation;
        Organization = organization;
        Role = role;
        Clearance = clearance;
        ClearanceLevel = clearanceLevel;
        Policy = policy;
        Authorizations = authorizations;
        NationBit = nationBit;
        MayReleaseToMask = mayReleaseToMask;
    }

    public PrincipalKind Kind { get; }

    /// <summary>The certificate's common name (for the plain-TCP listener, "tcp:" and the endpoint).</summary>
    public string Name { get; }

    /// <summary>ISO 3166 trigraph.</summary>
    public string Nation { get; }

    /// <summary>Organization id in the alliance profile.</summary>
    public string Organization { get; }

    public string Role { get; }

    public string Clearance { get; }

    public int ClearanceLevel { get; }

    /// <summary>The security policy the principal is cleared under.</summary>
    public string Policy { get; }

    /// <summary>Category values held beyond nationality, each as <c>CATEGORY:VALUE</c>.</summary>
    public IReadOnlyList<string> Authorizations { get; }

    internal ulong NationBit { get; }

    /// <summary>The nations this principal may release to (its organization's limit).</summary>
    internal ulong MayReleaseToMask { get; }

    /// <summary>The label of what this principal sends without one (set once, by <see cref="LabelPolicy"/>).</summary>
    internal ConfidentialityLabel DefaultLabel { get; set; } = null!;

    /// <summary>The serial number (hex) of the certificate this principal was read from; null for anonymous and node principals.</summary>
    public string? CertificateSerial { get; internal set; }

    public bool Holds(string category, string value)
    {
        foreach (var held in Authorizations)
        {
            if (held.Length == category.Length + 1 + value.Length
                && held.StartsWith(category, StringComparison.Ordinal)
                && held[category.Length] == ':'
                && held.EndsWith(value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => $"{Name} ({Nation}/{Organization}/{Role}, cleared {Clearance})";
}
