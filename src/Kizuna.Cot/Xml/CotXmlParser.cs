using System.Globalization;
using System.Text;

namespace Kizuna.Cot.Xml;

/// <summary>Decodes one whole CoT event from UTF-8 bytes, validating as it goes.</summary>
internal static class CotXmlParser
{
    /// <summary>
    /// Parses the event that starts at <paramref name="i"/> (at its <c>&lt;event</c>) and leaves
    /// <paramref name="i"/> after <c>&lt;/event&gt;</c>. Throws <see cref="CotFormatException"/>.
    /// </summary>
    public static CotEvent ParseEvent(ReadOnlySpan<byte> s, ref int i, CotLimits limits, DateTime utcNow)
    {
        if (!XmlScanner.At(s, i, "<event"u8))
        {
            XmlScanner.Throw(XmlScanner.EndsWithin(s, i, "<event"u8) ? CotRejectReason.Truncated : CotRejectReason.MalformedXml, "expected <event>");
        }

        i += 6;
        string? version = null, uid = null, type = null, how = null, access = null, qos = null, opex = null, caveat = null, releasableTo = null;
        DateTime? time = null, start = null, stale = null;
        List<KeyValuePair<string, string>>? extra = null;
        var quirk = false;
        var attributes = 0;
        while (XmlScanner.TryReadAttribute(s, ref i, out var name, out var raw))
        {
            if (++attributes > limits.MaxAttributesPerElement)
            {
                XmlScanner.Throw(CotRejectReason.TooManyAttributes, $"<event> has more than {limits.MaxAttributesPerElement} attributes");
            }

            switch (name.Length)
            {
                case 3 when name.SequenceEqual("uid"u8): uid = Once(uid, raw, ref quirk); continue;
                case 3 when name.SequenceEqual("how"u8): how = Once(how, raw, ref quirk); continue;
                case 3 when name.SequenceEqual("qos"u8): qos = Once(qos, raw, ref quirk); continue;
                case 4 when name.SequenceEqual("type"u8): type = Once(type, raw, ref quirk); continue;
                case 4 when name.SequenceEqual("time"u8): time = OnceTime(time, raw, "time"); continue;
                case 4 when name.SequenceEqual("opex"u8): opex = Once(opex, raw, ref quirk); continue;
                case 5 when name.SequenceEqual("start"u8): start = OnceTime(start, raw, "start"); continue;
                case 5 when name.SequenceEqual("stale"u8): stale = OnceTime(stale, raw, "stale"); continue;
                case 6 when name.SequenceEqual("access"u8): access = Once(access, raw, ref quirk); continue;
                case 6 when name.SequenceEqual("caveat"u8): caveat = Once(caveat, raw, ref quirk); continue;
                case 7 when name.SequenceEqual("version"u8): version = Once(version, raw, ref quirk); continue;
                case 12 when name.SequenceEqual("releasableTo"u8): releasableTo = Once(releasableTo, raw, ref quirk); continue;
                case 13 when name.SequenceEqual("releaseableTo"u8): releasableTo = Once(releasableTo, raw, ref quirk); continue;
            }

            var key = Names.Intern(name);
            extra ??= [];
            // A loop, not a lambda: a closure over key was allocated for every attribute of every event.
            foreach (var e in extra)
            {
                if (string.Equals(e.Key, key, StringComparison.Ordinal))
                {
                    XmlScanner.Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
                }
            }

            extra.Add(new(key, XmlScanner.Decode(raw, ref quirk, isAttribute: true)));
        }

        if (string.IsNullOrEmpty(uid))
        {
            XmlScanner.Throw(CotRejectReason.MissingField, "the event has no uid");
        }

        if (string.IsNullOrEmpty(type))
        {
            XmlScanner.Throw(CotRejectReason.MissingField, "the event has no type");
        }

        if (time is null || start is null || stale is null)
        {
            XmlScanner.Throw(CotRejectReason.MissingField, "the event needs time, start and stale");
        }

        var latest = utcNow + limits.MaxClockSkew;
        if (time > latest || start > latest)
        {
            XmlScanner.Throw(CotRejectReason.BadTime, $"time or start is more than {limits.MaxClockSkew.TotalHours:0.#} h in the future");
        }

        var evt = new CotEvent
        {
            Version = version ?? "2.0",
            Uid = uid,
            Type = type,
            How = how,
            Time = time.Value,
            Start = start.Value,
            Stale = stale.Value,
            Access = access,
            Qos = qos,
            Opex = opex,
            Caveat = caveat,
            ReleasableTo = releasableTo,
            ExtraAttributes = extra is null ? [] : extra,
        };

        if (XmlScanner.EndOfStartTag(s, ref i))
        {
            return evt;
        }

        var sawPoint = false;
        var sawDetail = false;
        while (true)
        {
            XmlScanner.SkipWhitespace(s, ref i);
            if (i >= s.Length)
            {
                XmlScanner.Throw(CotRejectReason.Truncated, "<event> is not closed");
            }

            if (s[i] != '<')
            {
                XmlScanner.Throw(CotRejectReason.MalformedXml, "text directly inside <event>");
            }

            if (XmlScanner.At(s, i, "</"u8))
            {
                i += 2;
                if (!XmlScanner.ReadName(s, ref i).SequenceEqual("event"u8))
                {
                    XmlScanner.Throw(CotRejectReason.MalformedXml, "an end tag does not match <event>");
                }

                XmlScanner.SkipWhitespace(s, ref i);
                if (i >= s.Length || s[i] != '>')
                {
                    XmlScanner.Throw(CotRejectReason.Truncated, "</event> is not closed");
                }

                i++;
                return evt;
            }

            if (XmlScanner.At(s, i, "<!--"u8))
            {
                XmlScanner.SkipPast(s, ref i, "-->"u8, "a comment is not closed");
                continue;
            }

            if (XmlScanner.EndsWithin(s, i, "<!--"u8))
            {
                XmlScanner.Throw(CotRejectReason.Truncated, "the input ends inside markup");
            }

            if (XmlScanner.At(s, i, "<!"u8))
            {
                XmlScanner.Throw(CotRejectReason.DtdForbidden, "declarations inside an event are refused");
            }

            i++;
            var child = XmlScanner.ReadName(s, ref i);
            if (child.SequenceEqual("point"u8) && !sawPoint)
            {
                sawPoint = true;
                evt.Point = ParsePoint(s, ref i, limits);
            }
            else if (child.SequenceEqual("detail"u8) && !sawDetail)
            {
                sawDetail = true;
                while (XmlScanner.TryReadAttribute(s, ref i, out _, out _))
                {
                    // Attributes on <detail> itself carry nothing in CoT; they are not kept.
                }

                if (!XmlScanner.EndOfStartTag(s, ref i))
                {
                    evt.Detail = CotDetail.FromUtf8(s, i, limits, depth: 2, out i);
                }
            }
            else
            {
                XmlScanner.Throw(CotRejectReason.MalformedXml, "<event> may hold one <point> and one <detail> only");
            }
        }
    }

    private static CotPoint ParsePoint(ReadOnlySpan<byte> s, ref int i, CotLimits limits)
    {
        double lat = 0, lon = 0, hae = CotPoint.UnknownValue, ce = CotPoint.UnknownValue, le = CotPoint.UnknownValue;
        var seen = 0;
        var attributes = 0;
        while (XmlScanner.TryReadAttribute(s, ref i, out var name, out var raw))
        {
            if (++attributes > limits.MaxAttributesPerElement)
            {
                XmlScanner.Throw(CotRejectReason.TooManyAttributes, "<point> has too many attributes");
            }

            var bit = seen;
            if (name.SequenceEqual("lat"u8)) { lat = Number(raw, "lat"); seen |= 1; }
            else if (name.SequenceEqual("lon"u8)) { lon = Number(raw, "lon"); seen |= 2; }
            else if (name.SequenceEqual("hae"u8)) { hae = Number(raw, "hae"); seen |= 4; }
            else if (name.SequenceEqual("ce"u8)) { ce = Number(raw, "ce"); seen |= 8; }
            else if (name.SequenceEqual("le"u8)) { le = Number(raw, "le"); seen |= 16; }
            else { continue; }

            if (bit == seen)
            {
                XmlScanner.Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
            }
        }

        if ((seen & 3) != 3)
        {
            XmlScanner.Throw(CotRejectReason.MissingField, "<point> needs lat and lon");
        }

        if (lat is < -90 or > 90)
        {
            XmlScanner.Throw(CotRejectReason.BadCoordinate, "lat is outside -90..90");
        }

        if (lon is < -180 or > 180)
        {
            XmlScanner.Throw(CotRejectReason.BadCoordinate, "lon is outside -180..180");
        }

        if (!XmlScanner.EndOfStartTag(s, ref i))
        {
            XmlScanner.SkipWhitespace(s, ref i);
            if (!XmlScanner.At(s, i, "</point"u8))
            {
                XmlScanner.Throw(XmlScanner.EndsWithin(s, i, "</point"u8) ? CotRejectReason.Truncated : CotRejectReason.MalformedXml, "<point> must be empty");
            }

            i += 7;
            XmlScanner.SkipWhitespace(s, ref i);
            if (i >= s.Length || s[i] != '>')
            {
                XmlScanner.Throw(i >= s.Length ? CotRejectReason.Truncated : CotRejectReason.MalformedXml, "</point> is not closed");
            }

            i++;
        }

        return new CotPoint(lat, lon, hae, ce, le);
    }

    private static double Number(ReadOnlySpan<byte> raw, string field)
    {
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            XmlScanner.Throw(CotRejectReason.BadNumber, $"{field} is not a finite number");
        }

        return value;
    }

    private static string Once(string? existing, ReadOnlySpan<byte> raw, ref bool quirk)
    {
        if (existing is not null)
        {
            XmlScanner.Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
        }

        return XmlScanner.Decode(raw, ref quirk, isAttribute: true);
    }

    private static DateTime OnceTime(DateTime? existing, ReadOnlySpan<byte> raw, string field)
    {
        if (existing is not null)
        {
            XmlScanner.Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
        }

        if (!CotTime.TryParse(raw, out var value))
        {
            XmlScanner.Throw(CotRejectReason.BadTime, $"{field} is not an ISO 8601 time");
        }

        return value;
    }

    /// <summary>Skips what may precede an event: whitespace, XML declarations, comments.</summary>
    public static void SkipProlog(ReadOnlySpan<byte> s, ref int i)
    {
        while (true)
        {
            XmlScanner.SkipWhitespace(s, ref i);
            if (XmlScanner.At(s, i, "<?"u8))
            {
                XmlScanner.SkipPast(s, ref i, "?>"u8, "an XML declaration is not closed");
            }
            else if (XmlScanner.At(s, i, "<!--"u8))
            {
                XmlScanner.SkipPast(s, ref i, "-->"u8, "a comment is not closed");
            }
            else if (XmlScanner.EndsWithin(s, i, "<!--"u8))
            {
                XmlScanner.Throw(CotRejectReason.Truncated, "the input ends inside a comment");
            }
            else if (XmlScanner.At(s, i, "<!"u8))
            {
                XmlScanner.Throw(CotRejectReason.DtdForbidden, "document type declarations are refused");
            }
            else
            {
                return;
            }
        }
    }

}
