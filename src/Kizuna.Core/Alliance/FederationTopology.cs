namespace Kizuna.Core.Alliance;

/// <summary>What may travel on a federation link (the profile's <c>flows</c>).</summary>
public enum FederationFlow
{
    /// <summary>The operational picture: positions, tracks, markers.</summary>
    Picture,

    /// <summary>Missile warning data: sensor reports, warnings, receipts.</summary>
    Warning,

    /// <summary>Coordination between counterpart headquarters.</summary>
    Coordination,
}

/// <summary>
/// One link the profile allows between the nodes hosted by two organizations: what flows on it
/// and the highest classification it carries. Links are undirected.
/// </summary>
public sealed record FederationLink(string A, string B, IReadOnlyList<FederationFlow> Flows, string MaxClassification, string? Note)
{
    public bool Joins(string organization, string other)
        => (string.Equals(A, organization, StringComparison.Ordinal) && string.Equals(B, other, StringComparison.Ordinal))
           || (string.Equals(A, other, StringComparison.Ordinal) && string.Equals(B, organization, StringComparison.Ordinal));

    public bool Carries(FederationFlow flow) => Flows.Contains(flow);

    /// <summary>The organization at the other end from <paramref name="organization"/>.</summary>
    public string Other(string organization) => string.Equals(A, organization, StringComparison.Ordinal) ? B : A;
}

/// <summary>
/// The profile's <c>federation</c> section: which organizations' nodes may link. A link not
/// listed is refused; a profile without the section allows none.
/// </summary>
public sealed class FederationTopology(IReadOnlyList<FederationLink> links)
{
    public static FederationTopology None { get; } = new([]);

    public IReadOnlyList<FederationLink> Links { get; } = links;

    /// <summary>The link between the nodes of two organizations, or null when the profile allows none.</summary>
    public FederationLink? Find(string organization, string other)
        => Links.FirstOrDefault(l => l.Joins(organization, other));

    /// <summary>Organizations whose nodes the node of <paramref name="organization"/> may link with.</summary>
    public IEnumerable<string> PartnersOf(string organization)
        => Links.Where(l => string.Equals(l.A, organization, StringComparison.Ordinal) || string.Equals(l.B, organization, StringComparison.Ordinal))
            .Select(l => l.Other(organization));

    public static string FlowName(FederationFlow flow) => flow switch
    {
        FederationFlow.Picture => "picture",
        FederationFlow.Warning => "warning",
        _ => "coordination",
    };

    public static bool TryParseFlow(string name, out FederationFlow flow)
    {
        switch (name)
        {
            case "picture": flow = FederationFlow.Picture; return true;
            case "warning": flow = FederationFlow.Warning; return true;
            case "coordination": flow = FederationFlow.Coordination; return true;
            default: flow = default; return false;
        }
    }
}
