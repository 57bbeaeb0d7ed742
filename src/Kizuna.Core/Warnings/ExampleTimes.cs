using System.Globalization;
using System.Text.RegularExpressions;
using Kizuna.Cot;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Example CoT files (docs/examples/warning/) write times relative to the moment they are sent:
/// <c>NOW</c>, <c>NOW+90s</c>, <c>NOW-30s</c>, <c>NOW+10m</c>, <c>NOW-1h</c>. <see cref="Resolve"/>
/// turns them into UTC times so the file can be sent as it is (<c>./kizuna send FILE</c> does).
/// Only the attributes <c>time</c>, <c>start</c>, <c>stale</c> and any attribute whose name ends
/// in <c>Time</c> (<c>detectionTime</c>, <c>launchTime</c>) are rewritten; any other text is left as it is.
/// </summary>
public static partial class ExampleTimes
{
    /// <summary>The XML with every relative time placeholder replaced by <paramref name="now"/> plus its offset, written as CoT writes times.</summary>
    public static string Resolve(string xml, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(xml);
        now = now.Kind == DateTimeKind.Local ? now.ToUniversalTime() : DateTime.SpecifyKind(now, DateTimeKind.Utc);
        return Placeholder().Replace(xml, match =>
        {
            var at = now;
            if (match.Groups["sign"].Success)
            {
                var amount = long.Parse(match.Groups["amount"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
                var unit = match.Groups["unit"].ValueSpan[0] switch
                {
                    's' => TimeSpan.FromSeconds(amount),
                    'm' => TimeSpan.FromMinutes(amount),
                    _ => TimeSpan.FromHours(amount),
                };
                at = match.Groups["sign"].ValueSpan[0] == '+' ? now + unit : now - unit;
            }

            var quote = match.Groups["quote"].Value;
            return string.Concat(match.Groups["name"].Value, "=", quote, CotTime.Format(at), quote);
        });
    }

    [GeneratedRegex("""(?<name>(?<![\w:.-])(?:time|start|stale|[A-Za-z_][\w.-]*Time))\s*=\s*(?<quote>["'])NOW(?:(?<sign>[+-])(?<amount>\d{1,6})(?<unit>[smh]))?\k<quote>""", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
