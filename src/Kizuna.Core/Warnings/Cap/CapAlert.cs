using System.Globalization;
using System.Text;
using System.Xml;
using Kizuna.Core.Alliance;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>
/// Writes one warning version as a CAP 1.2 alert for the public: three info blocks (ja-JP,
/// en-US, ko-KR) with the J-Alert texts of its stage, the warned prefectures as JIS X 0401
/// geocodes, and the predicted impact area as a closed polygon. Only a version whose label is
/// public (<see cref="PublicRelease.IsPublic"/>) is written. See docs/warnings-cap.md.
/// </summary>
public static class CapAlert
{
    /// <summary>The CAP 1.2 namespace.</summary>
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";

    /// <summary>The geocode <c>valueName</c> of a prefecture code.</summary>
    public const string PrefectureCodeName = "JIS X 0401";

    /// <summary>The <c>parameter</c> that carries the Kizuna warning stage.</summary>
    public const string StageParameterName = "urn:kizuna:warning-stage";

    private static readonly CapLanguage[] Languages = [CapLanguage.Japanese, CapLanguage.English, CapLanguage.Korean];

    /// <summary>
    /// The alert's identifier, stable per warning version:
    /// <c>urn:kizuna:{node}:warning:{WarningId}:{Version}</c>; characters of the warning id other
    /// than letters, digits, '-', '.', '_' are percent-encoded, so it has no spaces or commas.
    /// </summary>
    public static string Identifier(WarningVersion version, CapOptions options)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(options);
        return $"urn:kizuna:{Escape(options.Node)}:warning:{Escape(version.WarningId)}:{version.Version.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>How later alerts refer to the alert written for this version.</summary>
    public static CapReference ReferenceTo(WarningVersion version, CapOptions options)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(options);
        return new CapReference(options.Sender, Identifier(version, options), TruncateToSecond(CapTime.AsUtc(version.IssuedAt)));
    }

    /// <summary>
    /// The CAP 1.2 XML of one warning version, or null when it may not reach the public: its
    /// label is not public under <paramref name="profile"/>, or it is a correction of a warning
    /// the public was never told of (<paramref name="earlier"/> empty).
    /// </summary>
    /// <param name="earlier">
    /// The alerts written for earlier versions of the same warning, oldest first. The first
    /// alert of a warning is an <c>Alert</c>; later ones are <c>Update</c>s (a correction a
    /// <c>Cancel</c>) that reference all of them.
    /// </param>
    public static string? Write(WarningVersion version, CapOptions options, AllianceProfile profile, IReadOnlyList<CapReference> earlier)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(earlier);
        if (!PublicRelease.IsPublic(version.Label, profile))
        {
            return null;
        }

        if (version.Stage == WarningStage.Cancelled && earlier.Count == 0)
        {
            return null;
        }

        var prefectures = new List<Prefecture>();
        foreach (var code in version.AffectedPrefectures)
        {
            prefectures.Add(Prefectures.Find(code) ?? throw new ArgumentException($"'{code}' is not a JIS X 0401 prefecture code.", nameof(version)));
        }

        prefectures.Sort((a, b) => string.CompareOrdinal(a.Code, b.Code));

        var sent = TruncateToSecond(CapTime.AsUtc(version.IssuedAt));
        var msgType = version.Stage == WarningStage.Cancelled ? "Cancel" : earlier.Count == 0 ? "Alert" : "Update";
        var polygon = version.PredictedImpact is { } ellipse ? Polygon(ellipse, options.PolygonPoints) : null;
        var expires = Expires(version, options, sent);
        var (urgency, severity, certainty, response) = Assessment(version.Stage);

        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = "  ", NewLineChars = "\n" };
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("alert", Namespace);
            Element(w, "identifier", Identifier(version, options));
            Element(w, "sender", options.Sender);
            Element(w, "sent", CapTime.Format(sent));
            Element(w, "status", version.Exercise ? "Exercise" : "Actual");
            Element(w, "msgType", msgType);
            Element(w, "scope", "Public");
            if (version.Exercise)
            {
                Element(w, "note", "訓練 / Exercise / 훈련");
            }

            if (earlier.Count > 0)
            {
                Element(w, "references", string.Join(' ', earlier.Select(r => r.ToString())));
            }

            Element(w, "incidents", $"urn:kizuna:{Escape(options.Node)}:warning:{Escape(version.WarningId)}");

            foreach (var language in Languages)
            {
                var tag = JAlertTexts.Tag(language);
                var area = JAlertTexts.AreaNames(prefectures, language);
                var text = JAlertTexts.For(version.Stage, language, area, version.LaunchTime, version.EstimatedImpactTime, version.Exercise);

                w.WriteStartElement("info", Namespace);
                Element(w, "language", tag);
                Element(w, "category", "Safety");
                Element(w, "event", JAlertTexts.Event(language));
                Element(w, "responseType", response);
                Element(w, "urgency", urgency);
                Element(w, "severity", severity);
                Element(w, "certainty", certainty);
                if (version.Stage == WarningStage.TakeShelter && version.EstimatedImpactTime is { } impact)
                {
                    Element(w, "onset", CapTime.Format(TruncateToSecond(CapTime.AsUtc(impact))));
                }

                Element(w, "expires", CapTime.Format(expires));
                Element(w, "senderName", language switch
                {
                    CapLanguage.Japanese => options.SenderNameJa,
                    CapLanguage.Korean => options.SenderNameKo,
                    _ => options.SenderNameEn,
                });
                Element(w, "headline", text.Headline);
                Element(w, "description", text.Description);
                Element(w, "instruction", text.Instruction);
                if (options.Web is { } web)
                {
                    Element(w, "web", web.AbsoluteUri);
                }

                w.WriteStartElement("parameter", Namespace);
                Element(w, "valueName", StageParameterName);
                Element(w, "value", version.Stage.ToString());
                w.WriteEndElement();

                // The warned area: the prefectures by name and code, or all of Japan by name.
                w.WriteStartElement("area", Namespace);
                Element(w, "areaDesc", area);
                foreach (var prefecture in prefectures)
                {
                    w.WriteStartElement("geocode", Namespace);
                    Element(w, "valueName", PrefectureCodeName);
                    Element(w, "value", prefecture.Code);
                    w.WriteEndElement();
                }

                w.WriteEndElement();

                // The predicted impact area, when there is an estimate.
                if (polygon is not null)
                {
                    w.WriteStartElement("area", Namespace);
                    Element(w, "areaDesc", JAlertTexts.PredictedImpactArea(language));
                    Element(w, "polygon", polygon);
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    /// <summary>
    /// The ellipse as a CAP polygon: <paramref name="points"/> outline points then the first
    /// again, "lat,lon" pairs separated by spaces, four decimals (about 10 m).
    /// </summary>
    public static string Polygon(ImpactEllipse ellipse, int points)
    {
        var outline = Prefectures.Outline(ellipse, points);
        var sb = new StringBuilder();
        for (var i = 0; i <= outline.Count; i++)
        {
            var p = outline[i % outline.Count];
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(p.Lat.ToString("0.0###", CultureInfo.InvariantCulture)).Append(',').Append(p.Lon.ToString("0.0###", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static (string Urgency, string Severity, string Certainty, string Response) Assessment(WarningStage stage) => stage switch
    {
        WarningStage.Launch => ("Immediate", "Extreme", "Possible", "Shelter"),
        WarningStage.TakeShelter => ("Immediate", "Extreme", "Likely", "Shelter"),
        WarningStage.LandedInJapan => ("Immediate", "Severe", "Likely", "Shelter"),
        WarningStage.Overflight => ("Past", "Minor", "Observed", "Monitor"),
        WarningStage.LandedOutsideJapan => ("Past", "Minor", "Observed", "AllClear"),
        _ => ("Past", "Minor", "Unlikely", "AllClear"),
    };

    private static DateTime Expires(WarningVersion version, CapOptions options, DateTime sent)
    {
        if (version.Stage is WarningStage.Launch or WarningStage.TakeShelter or WarningStage.LandedInJapan)
        {
            var from = version.EstimatedImpactTime is { } impact && TruncateToSecond(CapTime.AsUtc(impact)) > sent ? TruncateToSecond(CapTime.AsUtc(impact)) : sent;
            return from + options.ShelterExpiry;
        }

        return sent + options.ClosingExpiry;
    }

    private static DateTime TruncateToSecond(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static void Element(XmlWriter w, string name, string value) => w.WriteElementString(name, Namespace, value);

    /// <summary>Percent-encodes every character that is not a letter, digit, '-', '.' or '_' (UTF-8).</summary>
    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '-' or '.' or '_'))
            {
                sb.Append((char)rune.Value);
                continue;
            }

            var n = rune.EncodeToUtf8(bytes);
            for (var i = 0; i < n; i++)
            {
                sb.Append('%').Append(bytes[i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
