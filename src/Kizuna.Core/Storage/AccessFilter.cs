using Kizuna.Core.Labels;

namespace Kizuna.Core.Storage;

/// <summary>
/// A stored event's label as columns a backend can query: the labelling scheme it was stamped
/// under (<see cref="LabelPolicy.Scheme"/>: the policy with the profile's classifications and
/// nations in order, which give the level and the bits their meaning), the classification level,
/// the releasable nations as a bit per nation, and whether it has categories the access decision
/// checks (permissive or restrictive, beyond "releasable to").
/// </summary>
public readonly record struct StoredLabel(int Scheme, int Level, long Nations, bool CheckedCategories)
{
    /// <summary>No columns: an event whose label a backend cannot filter on (read and decided in memory).</summary>
    public static readonly StoredLabel Unknown = default;

    public static StoredLabel Of(ConfidentialityLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var checkedCategories = false;
        foreach (var category in label.Categories)
        {
            checkedCategories |= category.Type != CategoryType.Informative;
        }

        return new StoredLabel(label.Scheme, label.Level, unchecked((long)label.ReleasableMask), checkedCategories);
    }
}

/// <summary>
/// A caller's access decision as a value a store can turn into its query (a WHERE clause), so a
/// history query never reads what the caller may not see: rows of <see cref="Scheme"/> pass only
/// when their level is at most <see cref="MaxLevel"/>, they are releasable to
/// <see cref="NationBit"/>, and they have no checked categories unless the caller holds some
/// (<see cref="HoldsCategories"/>). Rows of another scheme (history from before labels were kept
/// as columns, or under another profile) cannot be judged by their columns and pass to the
/// in-memory decision. That decision (<see cref="AccessControl.Decide"/>) is still made on every
/// row that comes back: the columns narrow the scan, they never widen what is shown.
/// </summary>
public sealed record AccessFilter(int Scheme, int MaxLevel, long NationBit, bool HoldsCategories)
{
    /// <summary>Whether a row's columns pass the filter (what a backend's WHERE clause says).</summary>
    public bool Admits(StoredLabel label)
        => label.Scheme != Scheme
           || (label.Level <= MaxLevel && (label.Nations & NationBit) != 0 && (!label.CheckedCategories || HoldsCategories));
}
