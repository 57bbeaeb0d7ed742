using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>
/// Whether a warning's label lets it reach the public. CAP is an exit like any other: the
/// public is a recipient with no clearance, no categories, and the nation of the country it is
/// warned in (Japan), so only what such a recipient may read leaves through CAP.
/// </summary>
public static class PublicRelease
{
    /// <summary>The nation whose public the CAP alerts warn.</summary>
    public const string PublicNation = "JPN";

    /// <summary>
    /// True only when the label belongs to the profile's policy, is at the profile's lowest
    /// classification (level 0, e.g. UNCLASSIFIED), is releasable to JPN, and has no restrictive
    /// or permissive category beyond releasability (the public holds none of their values);
    /// informative categories and the caveat are not checked, as everywhere else.
    /// </summary>
    public static bool IsPublic(ConfidentialityLabel label, AllianceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(profile);
        if (!string.Equals(label.Policy, profile.PolicyId, StringComparison.Ordinal) || profile.Classifications.Count == 0)
        {
            return false;
        }

        if (label.Level != 0 || !string.Equals(label.Classification, profile.Classifications[0], StringComparison.Ordinal))
        {
            return false;
        }

        if (!label.ReleasableTo.Contains(PublicNation, StringComparer.Ordinal))
        {
            return false;
        }

        foreach (var category in label.Categories)
        {
            if (category.Type != CategoryType.Informative)
            {
                return false;
            }
        }

        return true;
    }
}
