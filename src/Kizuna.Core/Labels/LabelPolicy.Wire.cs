using System.Diagnostics.CodeAnalysis;
using Kizuna.Core.Alliance;
using Kizuna.Cot;

namespace Kizuna.Core.Labels;

/// <summary>Reading a label from CoT: the attributes and the <c>__label</c> element, as the wire states them before defaults.</summary>
public sealed partial class LabelPolicy
{
    /// <summary>The label as the event states it on the wire, before defaults.</summary>
    private struct WireLabel
    {
        public int? Level;
        public ulong? ReleasableMask;
        public string? Caveat;
        public IReadOnlyList<LabelCategory>? Categories;
        public ConfidentialityLabel? Element;

        public readonly bool IsEmpty => Level is null && ReleasableMask is null && Caveat is null && Categories is null;
    }

    private bool TryReadWire(CotEvent evt, out WireLabel wire, out LabelRefusal refusal, [NotNullWhen(false)] out string? error)
    {
        wire = default;
        refusal = LabelRefusal.MalformedLabel;

        var access = evt.Access?.Trim();
        if (access is not null && !UnsetAccess.Contains(access, StringComparer.Ordinal))
        {
            var level = LevelOf(access);
            if (level < 0)
            {
                error = $"the access attribute is not a classification of this alliance (expected one of {string.Join(", ", Profile.Classifications)})";
                return false;
            }

            wire.Level = level;
        }

        if (!string.IsNullOrWhiteSpace(evt.ReleasableTo))
        {
            if (!TryParseNations(evt.ReleasableTo, out var mask, out error))
            {
                error = "the releasableTo attribute " + error;
                return false;
            }

            wire.ReleasableMask = mask;
        }

        if (!string.IsNullOrWhiteSpace(evt.Caveat))
        {
            wire.Caveat = evt.Caveat.Trim();
            if (wire.Caveat.Length > MaxCaveatLength)
            {
                error = $"the caveat is longer than {MaxCaveatLength} characters";
                return false;
            }
        }

        if (evt.Detail.Label is { } element && !TryReadElement(element, ref wire, out refusal, out error))
        {
            return false;
        }

        error = null;
        return true;
    }

    private bool TryReadElement(CotElement element, ref WireLabel wire, out LabelRefusal refusal, [NotNullWhen(false)] out string? error)
    {
        refusal = LabelRefusal.MalformedLabel;
        var policy = element.Attribute("policy");
        if (string.IsNullOrWhiteSpace(policy))
        {
            error = "the label element has no policy attribute";
            return false;
        }

        if (!string.Equals(policy, PolicyId, StringComparison.Ordinal))
        {
            refusal = LabelRefusal.ForeignPolicy;
            error = $"the label element names another security policy (this alliance's is {PolicyId})";
            return false;
        }

        var classification = element.Attribute("classification");
        var level = classification is null ? -1 : LevelOf(classification.Trim());
        if (level < 0)
        {
            error = $"the label element's classification is missing or not one of {string.Join(", ", Profile.Classifications)}";
            return false;
        }

        if (wire.Level is { } fromAccess && fromAccess != level)
        {
            error = "the access attribute and the label element give different classifications";
            return false;
        }

        wire.Level = level;

        if (element.Attribute("releasableTo") is { } releasableTo && !string.IsNullOrWhiteSpace(releasableTo))
        {
            if (!TryParseNations(releasableTo, out var mask, out error))
            {
                error = "the label element's releasableTo " + error;
                return false;
            }

            if (wire.ReleasableMask is { } fromAttribute && fromAttribute != mask)
            {
                error = "the releasableTo attribute and the label element name different nations";
                return false;
            }

            wire.ReleasableMask = mask;
        }

        var caveat = element.Attribute("caveat")?.Trim();
        if (!string.IsNullOrEmpty(caveat))
        {
            if (wire.Caveat is not null && !string.Equals(wire.Caveat, caveat, StringComparison.Ordinal))
            {
                error = "the caveat attribute and the label element give different caveats";
                return false;
            }

            wire.Caveat = caveat;
        }

        List<LabelCategory>? categories = null;
        foreach (var child in element.Children)
        {
            if (!string.Equals(child.Name, "category", StringComparison.Ordinal))
            {
                error = "the label element may contain only category elements";
                return false;
            }

            if (!TryReadCategory(child, out var category, out error))
            {
                return false;
            }

            categories ??= [];
            if (categories.Count == MaxCategories)
            {
                error = $"the label element has more than {MaxCategories} categories";
                return false;
            }

            categories.Add(category);
        }

        wire.Categories = categories;
        wire.Element = Label(level, wire.ReleasableMask ?? 0, categories ?? [], wire.Caveat);
        error = null;
        return true;
    }

    private static bool TryReadCategory(CotElement child, [NotNullWhen(true)] out LabelCategory? category, [NotNullWhen(false)] out string? error)
    {
        category = null;
        var name = child.Attribute("name")?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            error = "a label category has no name";
            return false;
        }

        CategoryType type;
        switch (child.Attribute("type"))
        {
            case "permissive": type = CategoryType.Permissive; break;
            case "restrictive": type = CategoryType.Restrictive; break;
            case "informative": type = CategoryType.Informative; break;
            default:
                error = "a label category's type is not permissive, restrictive or informative";
                return false;
        }

        var values = (child.Attribute("values") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (values.Length == 0)
        {
            error = "a label category has no values";
            return false;
        }

        category = new LabelCategory(name, type, values);
        error = null;
        return true;
    }

    private int LevelOf(string classification)
    {
        for (var i = 0; i < Profile.Classifications.Count; i++)
        {
            if (string.Equals(Profile.Classifications[i], classification, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Trigraphs separated by commas and/or spaces ("USA,JPN", "USA, JPN", "USA JPN").</summary>
    private bool TryParseNations(string text, out ulong mask, [NotNullWhen(false)] out string? error)
    {
        mask = 0;
        foreach (var token in text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var bit = NationBit(token);
            if (bit == 0)
            {
                error = $"names a nation this alliance does not have (expected trigraphs from {string.Join(", ", Profile.Nations.Select(n => n.Code))})";
                return false;
            }

            mask |= bit;
        }

        error = null;
        return true;
    }
}
