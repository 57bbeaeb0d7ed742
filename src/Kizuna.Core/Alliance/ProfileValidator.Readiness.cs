using System.Globalization;

namespace Kizuna.Core.Alliance;

/// <summary>The optional <c>readiness</c> section: how often each organization reports its readiness.</summary>
internal sealed partial class ProfileValidator
{
    private static readonly string[] ReadinessProperties = ["reportEvery"];

    /// <summary>How often an organization reports when the profile does not say: a report older than this is stale.</summary>
    public static readonly TimeSpan DefaultReadinessInterval = TimeSpan.FromHours(24);

    private TimeSpan ReadReadinessInterval(ProfileJsonNode root)
    {
        if (root.Property("readiness") is not { } section || !IsObject(section.Value, "\"readiness\""))
        {
            return DefaultReadinessInterval;
        }

        CheckProperties(section.Value, "\"readiness\"", ReadinessProperties);
        if (RequiredString(section.Value, "reportEvery", "\"readiness\"") is not { } text)
        {
            return DefaultReadinessInterval;
        }

        if (TryParseInterval(text, out var interval))
        {
            return interval;
        }

        Problem(section.Value.Property("reportEvery")!.Value.Line, $"\"reportEvery\" of \"readiness\" is '{text}', which is not a duration such as 12h, 1d or 90m");
        return DefaultReadinessInterval;
    }

    internal static bool TryParseInterval(string text, out TimeSpan interval)
    {
        interval = default;
        if (text.Length < 2 || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        interval = text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => default,
        };
        return interval > TimeSpan.Zero;
    }
}
