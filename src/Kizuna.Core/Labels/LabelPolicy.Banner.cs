using System.Diagnostics.CodeAnalysis;

namespace Kizuna.Core.Labels;

/// <summary>
/// Reading a label from its banner, the form the JSON API uses (<c>"CONFIDENTIAL//REL TO USA, JPN"</c>):
/// a classification, an optional caveat, and the nations it is releasable to. A banner with
/// further categories is not read here (the API's items carry none).
/// </summary>
public sealed partial class LabelPolicy
{
    private const string RelTo = "REL TO ";

    /// <summary>Reads a banner; false with a reason naming what is wrong (never echoing more than the banner's parts).</summary>
    public bool TryParseBanner(string? banner, [NotNullWhen(true)] out ConfidentialityLabel? label, [NotNullWhen(false)] out string? error)
    {
        label = null;
        if (string.IsNullOrWhiteSpace(banner) || banner.Length > 512)
        {
            error = "a label is a banner such as \"CONFIDENTIAL//REL TO USA, JPN\"";
            return false;
        }

        var parts = banner.Split("//", StringSplitOptions.TrimEntries);
        var level = LevelOf(parts[0]);
        if (level < 0)
        {
            error = $"the banner's classification is not one of {string.Join(", ", Profile.Classifications)}";
            return false;
        }

        string? caveat = null;
        ulong mask = 0;
        var rel = false;
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.StartsWith(RelTo, StringComparison.Ordinal) && i == parts.Length - 1)
            {
                if (!TryParseNations(part[RelTo.Length..], out mask, out error))
                {
                    error = "the banner's REL TO " + error;
                    return false;
                }

                rel = true;
            }
            else if (caveat is null && i == 1 && part.Length is > 0 and <= MaxCaveatLength)
            {
                caveat = part;
            }
            else
            {
                error = "a banner here is CLASSIFICATION[//CAVEAT]//REL TO NATIONS; categories are not read from a banner";
                return false;
            }
        }

        if (!rel || mask == 0)
        {
            error = "the banner names no nation it is releasable to (…//REL TO USA, JPN)";
            return false;
        }

        label = Label(level, mask, [], caveat);
        error = null;
        return true;
    }

    /// <summary>
    /// A banner a sender applies to what it creates through the API, with the same rules as an
    /// event's label at the CoT door (<see cref="Accept"/>): the sender's own nation is added, the
    /// classification must be within its clearance, the nations within what its organization may
    /// release to. No banner: the sender's default.
    /// </summary>
    public LabelVerdict AcceptBanner(string? banner, Principal sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (string.IsNullOrWhiteSpace(banner))
        {
            return new LabelVerdict(sender.DefaultLabel, default, null);
        }

        if (!TryParseBanner(banner, out var parsed, out var error))
        {
            return new LabelVerdict(null, LabelRefusal.MalformedLabel, error);
        }

        var label = Label(parsed.Level, parsed.ReleasableMask | sender.NationBit, [], parsed.Caveat);
        if (label.Level > sender.ClearanceLevel)
        {
            return new LabelVerdict(null, LabelRefusal.AboveClearance, $"the classification {label.Classification} is above the sender's clearance {sender.Clearance}");
        }

        var beyond = label.ReleasableMask & ~sender.MayReleaseToMask;
        return beyond != 0
            ? new LabelVerdict(null, LabelRefusal.ReleaseTooWide, $"releasable to {string.Join(", ", NationsOf(beyond))}, which organization {sender.Organization} may not release to")
            : new LabelVerdict(label, default, null);
    }
}
