using System.Text;

namespace Kizuna.Core.Labels;

/// <summary>How a category of a label is checked (NATO ADatP-4774).</summary>
public enum CategoryType
{
    /// <summary>The recipient must hold at least one of the values (releasable to USA or JPN).</summary>
    Permissive,

    /// <summary>The recipient must hold every value (a compartment, a handling caveat).</summary>
    Restrictive,

    /// <summary>Shown, never checked.</summary>
    Informative,
}

/// <summary>One typed category of a label: its name, how it is checked, and its values.</summary>
public sealed class LabelCategory : IEquatable<LabelCategory>
{
    public LabelCategory(string name, CategoryType type, IReadOnlyList<string> values)
    {
        Name = name;
        Type = type;
        Values = values;
    }

    public string Name { get; }
    public CategoryType Type { get; }
    public IReadOnlyList<string> Values { get; }

    public bool Equals(LabelCategory? other)
        => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal) && Type == other.Type && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as LabelCategory);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Values.Count);

    public static string TypeName(CategoryType type) => type switch
    {
        CategoryType.Permissive => "permissive",
        CategoryType.Restrictive => "restrictive",
        _ => "informative",
    };
}

/// <summary>
/// The confidentiality label every event carries, modelled on NATO ADatP-4774: a policy, a
/// classification, and typed categories. "Releasable to" is the permissive category of nation
/// trigraphs and has its own fields because every exit checks it; other categories ride in
/// <see cref="Categories"/>. Labels are built by <see cref="LabelPolicy"/>, which knows the
/// alliance's classifications and nations; two equal labels compare equal.
/// </summary>
public sealed class ConfidentialityLabel : IEquatable<ConfidentialityLabel>
{
    internal ConfidentialityLabel(
        string policy,
        string classification,
        int level,
        IReadOnlyList<string> releasableTo,
        ulong releasableMask,
        IReadOnlyList<LabelCategory> categories,
        string? caveat,
        int scheme = 0)
    {
        Scheme = scheme;
        Policy = policy;
        Classification = classification;
        Level = level;
        ReleasableTo = releasableTo;
        ReleasableMask = releasableMask;
        Categories = categories;
        Caveat = caveat;
        Banner = BuildBanner();
    }

    /// <summary>The security policy the label belongs to (the alliance profile's policy identifier).</summary>
    public string Policy { get; }

    /// <summary>The labelling scheme of the policy that built it (<see cref="LabelPolicy.Scheme"/>), for a store's label columns.</summary>
    internal int Scheme { get; }

    public string Classification { get; }

    /// <summary>The classification's level in the policy, 0 lowest.</summary>
    public int Level { get; }

    /// <summary>Nation trigraphs the event is releasable to, in the profile's order.</summary>
    public IReadOnlyList<string> ReleasableTo { get; }

    /// <summary><see cref="ReleasableTo"/> as a bit per nation of the profile, for the per-recipient check.</summary>
    internal ulong ReleasableMask { get; }

    /// <summary>Categories other than "releasable to" (restrictive, other permissive, informative).</summary>
    public IReadOnlyList<LabelCategory> Categories { get; }

    /// <summary>The CoT <c>caveat</c> attribute: a handling marking shown in the banner, not checked.</summary>
    public string? Caveat { get; }

    /// <summary>The banner line, e.g. <c>SECRET//REL TO USA, JPN</c>.</summary>
    public string Banner { get; }

    /// <summary>The label element, built once per label and shared (never modified) by every event that carries it.</summary>
    internal Kizuna.Cot.CotElement? Element { get; set; }

    /// <summary>The label element's XML, kept with it.</summary>
    internal string? ElementXml { get; set; }

    /// <summary>The <c>releasableTo</c> attribute value: trigraphs separated by commas.</summary>
    public string ReleasableToAttribute => string.Join(',', ReleasableTo);

    public bool Equals(ConfidentialityLabel? other)
        => other is not null
           && string.Equals(Policy, other.Policy, StringComparison.Ordinal)
           && Level == other.Level
           && ReleasableMask == other.ReleasableMask
           && string.Equals(Caveat, other.Caveat, StringComparison.Ordinal)
           && Categories.SequenceEqual(other.Categories);

    public override bool Equals(object? obj) => Equals(obj as ConfidentialityLabel);

    public override int GetHashCode() => HashCode.Combine(Policy, Level, ReleasableMask, Caveat, Categories.Count);

    public override string ToString() => Banner;

    private string BuildBanner()
    {
        var sb = new StringBuilder(Classification);
        foreach (var category in Categories)
        {
            if (category.Type == CategoryType.Restrictive)
            {
                sb.Append("//").AppendJoin('/', category.Values);
            }
        }

        if (Caveat is not null)
        {
            sb.Append("//").Append(Caveat);
        }

        foreach (var category in Categories)
        {
            if (category.Type == CategoryType.Permissive)
            {
                sb.Append("//").Append(category.Name.ToUpperInvariant()).Append(' ').AppendJoin(", ", category.Values);
            }
        }

        sb.Append("//REL TO ").AppendJoin(", ", ReleasableTo);
        return sb.ToString();
    }
}
