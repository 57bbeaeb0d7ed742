using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>
/// The CAP 1.2 rules the OASIS schema cannot check (CAP 1.2 §3.2 and §3.3.2), and Kizuna's
/// own: each problem is one sentence naming the element. An empty list means the alert passes.
/// </summary>
public static partial class CapRules
{
    private static readonly XNamespace Cap = CapAlert.Namespace;

    /// <summary>Problems of one CAP alert; empty when it passes. Never throws for bad input.</summary>
    public static IReadOnlyList<string> Check(string capXml)
    {
        ArgumentNullException.ThrowIfNull(capXml);
        var problems = new List<string>();
        XDocument doc;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(capXml), settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            problems.Add($"The alert is not well-formed XML: {e.Message}");
            return problems;
        }

        var alert = doc.Root;
        if (alert is null || alert.Name != Cap + "alert")
        {
            problems.Add($"The root element must be alert in {CapAlert.Namespace}.");
            return problems;
        }

        Token(problems, alert, "identifier");
        Token(problems, alert, "sender");

        foreach (var time in alert.Descendants().Where(e => e.Name == Cap + "sent" || e.Name == Cap + "effective" || e.Name == Cap + "onset" || e.Name == Cap + "expires"))
        {
            CheckTime(problems, time.Name.LocalName, time.Value);
        }

        var scope = Text(alert, "scope");
        var restriction = alert.Element(Cap + "restriction");
        var addresses = alert.Element(Cap + "addresses");
        if (restriction is not null && !string.Equals(scope, "Restricted", StringComparison.Ordinal))
        {
            problems.Add($"restriction is used only when scope is Restricted (scope is {scope}).");
        }

        if (string.Equals(scope, "Restricted", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(restriction?.Value))
        {
            problems.Add("scope Restricted needs a restriction saying who may see the alert.");
        }

        if (addresses is not null && !string.Equals(scope, "Private", StringComparison.Ordinal) && !string.Equals(scope, "Restricted", StringComparison.Ordinal))
        {
            problems.Add($"addresses is used only when scope is Private (or Restricted) (scope is {scope}).");
        }

        if (string.Equals(scope, "Private", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(addresses?.Value))
        {
            problems.Add("scope Private needs addresses.");
        }

        var msgType = Text(alert, "msgType");
        var references = alert.Element(Cap + "references");
        if (msgType is "Update" or "Cancel" or "Ack" or "Error" && string.IsNullOrWhiteSpace(references?.Value))
        {
            problems.Add($"msgType {msgType} needs references to the earlier alerts.");
        }

        if (references is not null)
        {
            foreach (var reference in references.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = reference.Split(',');
                if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    problems.Add($"references entry '{reference}' is not sender,identifier,sent.");
                    continue;
                }

                CheckTime(problems, "references sent", parts[2]);
            }
        }

        var infos = alert.Elements(Cap + "info").ToList();
        var index = 0;
        foreach (var info in infos)
        {
            index++;
            var language = Text(info, "language");
            var where = $"info {index}" + (string.IsNullOrWhiteSpace(language) ? "" : $" ({language})");
            if (string.IsNullOrWhiteSpace(language))
            {
                problems.Add($"{where} has no language.");
            }

            var areas = info.Elements(Cap + "area").ToList();
            if (areas.Count == 0)
            {
                problems.Add($"{where} has no area.");
            }

            foreach (var area in areas)
            {
                if (string.IsNullOrWhiteSpace(Text(area, "areaDesc")))
                {
                    problems.Add($"{where}: an area has no areaDesc.");
                }

                foreach (var polygon in area.Elements(Cap + "polygon"))
                {
                    CheckPolygon(problems, where, polygon.Value);
                }

                foreach (var circle in area.Elements(Cap + "circle"))
                {
                    CheckCircle(problems, where, circle.Value);
                }

                foreach (var geocode in area.Elements(Cap + "geocode"))
                {
                    if (string.IsNullOrWhiteSpace(Text(geocode, "valueName")) || string.IsNullOrWhiteSpace(Text(geocode, "value")))
                    {
                        problems.Add($"{where}: a geocode lacks its valueName or value.");
                    }
                }

                var altitude = area.Element(Cap + "altitude");
                var ceiling = area.Element(Cap + "ceiling");
                if (ceiling is not null && altitude is null)
                {
                    problems.Add($"{where}: ceiling is used only with altitude.");
                }
            }
        }

        return problems;
    }

    private static string? Text(XElement parent, string name) => parent.Element(Cap + name)?.Value;

    private static void Token(List<string> problems, XElement alert, string name)
    {
        var value = Text(alert, name);
        if (string.IsNullOrEmpty(value))
        {
            problems.Add($"{name} is empty.");
            return;
        }

        if (value.Any(c => char.IsWhiteSpace(c) || c is ',' or '<' or '&'))
        {
            problems.Add($"{name} may not contain spaces, commas, '<' or '&'.");
        }
    }

    private static void CheckTime(List<string> problems, string name, string value)
    {
        var v = value.Trim();
        if (v.EndsWith('Z') || v.EndsWith('z'))
        {
            problems.Add($"{name} '{v}' uses 'Z'; CAP writes UTC as -00:00.");
            return;
        }

        if (!TimeWithOffset().IsMatch(v)
            || !DateTimeOffset.TryParseExact(v, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            problems.Add($"{name} '{v}' is not a time with an offset (YYYY-MM-DDThh:mm:ss±hh:mm).");
        }
    }

    private static void CheckPolygon(List<string> problems, string where, string value)
    {
        var pairs = value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (pairs.Length < 4)
        {
            problems.Add($"{where}: a polygon needs at least 4 coordinate pairs (it has {pairs.Length}).");
        }

        var points = new List<(double Lat, double Lon)>();
        foreach (var pair in pairs)
        {
            if (!TryPoint(pair, out var point))
            {
                problems.Add($"{where}: polygon point '{pair}' is not a valid lat,lon.");
                return;
            }

            points.Add(point);
        }

        if (points.Count > 0 && points[0] != points[^1])
        {
            problems.Add($"{where}: the polygon is not closed (its first and last points differ).");
        }
    }

    private static void CheckCircle(List<string> problems, string where, string value)
    {
        var parts = value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !TryPoint(parts[0], out _)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var radius) || radius < 0 || !double.IsFinite(radius))
        {
            problems.Add($"{where}: circle '{value.Trim()}' is not 'lat,lon radius' with a radius in km of 0 or more.");
        }
    }

    private static bool TryPoint(string pair, out (double Lat, double Lon) point)
    {
        point = default;
        var parts = pair.Split(',');
        if (parts.Length != 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
            || !(lat is >= -90 and <= 90) || !(lon is >= -180 and <= 180))
        {
            return false;
        }

        point = (lat, lon);
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeWithOffset();
}
