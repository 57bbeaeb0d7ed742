using Kizuna.Core.Alliance;

namespace Kizuna.Core.Coordination;

/// <summary>
/// Which headquarters may coordinate, and where a request escalates, as the alliance profile
/// says. Coordination runs between organizations the profile relates without command
/// (counterpart pairs, COORDINATING-AUTHORITY, DIRLAUTH, SUPPORT, in either direction); orders
/// are not coordination and stay on the national chains.
/// </summary>
public static class CoordinationRelations
{
    public const string Counterparts = "counterparts";

    /// <summary>The relationship between two organizations on a date (<c>counterparts</c>, <c>coordinating-authority</c>, <c>dirlauth</c>, <c>support</c>), or null.</summary>
    public static string? Between(AllianceProfile profile, string a, string b, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return null;
        }

        if (profile.CounterpartsOf(a).Any(o => string.Equals(o.Id, b, StringComparison.Ordinal)))
        {
            return Counterparts;
        }

        foreach (var r in profile.ActiveOn(date))
        {
            if (!r.Kind.IsCommand()
                && ((string.Equals(r.Superior, a, StringComparison.Ordinal) && string.Equals(r.Subordinate, b, StringComparison.Ordinal))
                    || (string.Equals(r.Superior, b, StringComparison.Ordinal) && string.Equals(r.Subordinate, a, StringComparison.Ordinal))))
            {
                return r.Kind.ToProfileName().ToLowerInvariant();
            }
        }

        return null;
    }

    /// <summary>
    /// The next superior of <paramref name="organization"/> in its own national chain, or null at
    /// the top. A commander that shares no nation with it is not its chain (the profile's
    /// validation already refuses such an edge; this keeps escalation on the chain regardless).
    /// </summary>
    public static Organization? NextSuperior(AllianceProfile profile, string organization, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var own = profile.FindOrganization(organization);
        var next = profile.ChainAbove(organization, date).FirstOrDefault();
        return own is null || next is null || !next.Nations.Intersect(own.Nations, StringComparer.Ordinal).Any() ? null : next;
    }

    /// <summary>The organizations whose requests <paramref name="organization"/> may follow: itself and everything below it on its chains.</summary>
    public static IReadOnlyCollection<string> Followed(AllianceProfile profile, string organization, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var followed = new HashSet<string>(StringComparer.Ordinal) { organization };
        foreach (var candidate in profile.Organizations)
        {
            if (profile.ChainAbove(candidate.Id, date).Any(o => string.Equals(o.Id, organization, StringComparison.Ordinal)))
            {
                followed.Add(candidate.Id);
            }
        }

        return followed;
    }
}
