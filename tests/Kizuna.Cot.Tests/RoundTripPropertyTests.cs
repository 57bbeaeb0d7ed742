using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Kizuna.Cot.Tests;

/// <summary>
/// Generated events (seeded, so a failure reproduces) with Japanese, Korean and Arabic text, random
/// unknown detail elements and attributes, and typed elements in exact and inexact forms.
/// </summary>
public sealed class RoundTripPropertyTests(ITestOutputHelper output)
{
    private const int Iterations = 500;

    private static readonly string[] Words =
    [
        "さくら", "東京", "統合作戦司令部", "서울", "합동참모본부", "부산", "الرياض", "مرحبا", "قيادة", "Alpha-1", "JJOC", "USFJ",
        "A&B", "<tag>", "\"quoted\"", "it's", "tab\there", "line\nbreak", "a > b", "&amp;", "🇯🇵", "   ",
    ];

    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    private const string NameStart = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    private const string NameRest = NameStart + "0123456789-.";

    [Fact]
    public void Xml_to_model_to_protobuf_to_model_to_xml_keeps_every_field()
    {
        var random = new Random(20261122);
        for (var n = 0; n < Iterations; n++)
        {
            var xml = GenerateEvent(random, canonical: random.Next(2) == 0, extraAttributes: false);
            var model = CotXml.Decode(xml);
            var viaProto = TakProto.DecodeMessage(TakProto.EncodeMessage(model)).Event!;
            var back = CotXml.Decode(CotXml.Encode(viaProto));
            var expected = Sample.Canonical(model, milliseconds: true, unsignedZero: true);
            Assert.True(expected == Sample.Canonical(back), $"event {n}:\n{xml}\nexpected:\n{expected}\nactual:\n{Sample.Canonical(back)}");
            Assert.Equal(model.Detail.ContactCallsign, back.Detail.ContactCallsign);
            Assert.Equal(model.Detail.ContactEndpoint, back.Detail.ContactEndpoint);
            Assert.Equal(model.Detail.MartiDestinations, back.Detail.MartiDestinations);
        }

        output.WriteLine($"{Iterations} generated events kept every field through XML → model → protobuf → model → XML");
    }

    [Fact]
    public void Xml_to_model_to_xml_is_identical()
    {
        var random = new Random(7);
        for (var n = 0; n < Iterations; n++)
        {
            var xml = GenerateEvent(random, canonical: true, extraAttributes: true);
            var again = Sample.Text(CotXml.Encode(CotXml.Decode(xml)));
            Assert.True(xml == again, $"event {n}:\n{xml}\n{again}");
        }

        output.WriteLine($"{Iterations} generated events in canonical form re-encoded byte for byte");
    }

    [Fact]
    public void Xml_in_any_accepted_form_re_encodes_to_a_fixed_point()
    {
        var random = new Random(11);
        for (var n = 0; n < Iterations; n++)
        {
            var model = CotXml.Decode(GenerateEvent(random, canonical: false, extraAttributes: true));
            var once = CotXml.Encode(model);
            var again = CotXml.Decode(once);
            // CoT XML is written with milliseconds, as TAK clients write it.
            Assert.Equal(Sample.Canonical(model, milliseconds: true), Sample.Canonical(again));
            Assert.Equal(Sample.Text(once), Sample.Text(CotXml.Encode(again)));
        }

        output.WriteLine($"{Iterations} generated events in loose form reached a fixed point after one encode");
    }

    [Fact]
    public void Generated_events_back_to_back_split_at_random_points_decode_identically_as_xml_and_as_protobuf_frames()
    {
        var random = new Random(3);
        var models = Enumerable.Range(0, 100).Select(_ => CotXml.Decode(GenerateEvent(random, canonical: false, extraAttributes: false))).ToList();
        var expected = models.Select(m => Sample.Canonical(m, milliseconds: true)).ToList();

        var xml = models.SelectMany(m => CotXml.Encode(m).Append((byte)'\n')).ToArray();
        var frames = models.SelectMany(TakProto.EncodeStreamFrame).ToArray();
        foreach (var (reader, stream) in new (ICotStreamReader, byte[])[] { (new CotXmlStreamReader(), xml), (new TakStreamReader(), frames) })
        {
            var results = Sample.Feed(reader, RandomPieces(random, stream));
            Assert.All(results, r => Assert.Equal(ReadStatus.Event, r.Status));
            Assert.Equal(expected, results.Select(r => Sample.Canonical(r.Event!, milliseconds: true)));
        }

        output.WriteLine($"{models.Count} generated events read back from XML ({xml.Length} bytes) and protobuf ({frames.Length} bytes) streams cut at random");
    }

    private static IEnumerable<byte[]> RandomPieces(Random random, byte[] stream)
    {
        for (var offset = 0; offset < stream.Length;)
        {
            var size = Math.Min(stream.Length - offset, random.Next(1, 700));
            yield return stream[offset..(offset + size)];
            offset += size;
        }
    }

    /// <summary>
    /// An event as CoT XML. Canonical: exactly the bytes the encoder writes. Otherwise: attribute
    /// order, time fractions and offsets, numbers and whitespace as other writers produce them.
    /// </summary>
    internal static string GenerateEvent(Random random, bool canonical, bool extraAttributes)
    {
        var time = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, 6L * 365 * TimeSpan.TicksPerDay));
        if (canonical)
        {
            time = new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        }

        var attributes = new List<(string Key, string Value)>
        {
            ("version", "2.0"),
            ("uid", Words[random.Next(Words.Length)] + "-" + random.Next()),
            ("type", random.Next(4) switch { 0 => "a-f-G-U-C", 1 => "b-t-f", 2 => "a-h-A-M-F-Q", _ => "t-x-c-t" }),
            ("time", Time(random, time, canonical)),
            ("start", Time(random, time, canonical)),
            ("stale", Time(random, time.AddSeconds(random.Next(1, 3600)), canonical)),
        };
        var optional = new List<(string, string)>();
        foreach (var name in new[] { "how", "access", "qos", "opex", "caveat", "releasableTo" })
        {
            if (random.Next(3) > 0)
            {
                optional.Add((!canonical && name == "releasableTo" && random.Next(2) == 0 ? "releaseableTo" : name, Text(random)));
            }
        }

        attributes.AddRange(optional);
        if (extraAttributes)
        {
            foreach (var name in Enumerable.Range(0, random.Next(0, 3)).Select(k => $"x-{k}{Name(random)}"))
            {
                attributes.Add((name, Text(random)));
            }
        }

        if (!canonical)
        {
            attributes = [.. attributes.OrderBy(_ => random.Next())];
        }

        var sb = new StringBuilder("<event");
        foreach (var (key, value) in attributes)
        {
            Attr(sb, key, value);
        }

        sb.Append("><point");
        Attr(sb, "lat", Number(Math.Round(random.NextDouble() * 180 - 90, random.Next(0, 8))));
        Attr(sb, "lon", Number(Math.Round(random.NextDouble() * 360 - 180, random.Next(0, 8))));
        Attr(sb, "hae", Number(random.Next(4) == 0 ? CotPoint.UnknownValue : Math.Round(random.NextDouble() * 9000 - 100, 2)));
        Attr(sb, "ce", Number(random.Next(4) == 0 ? CotPoint.UnknownValue : random.Next(1, 100) + 0.5));
        Attr(sb, "le", Number(random.Next(4) == 0 ? CotPoint.UnknownValue : random.Next(0, 100)));
        sb.Append("/>");

        var elements = new List<string>();
        foreach (var name in TypedNames.Where(_ => random.Next(3) > 0))
        {
            elements.Add(Typed(random, name));
        }

        for (var k = random.Next(0, 5); k > 0; k--)
        {
            elements.Add(Unknown(random, depth: 0));
        }

        if (random.Next(4) == 0)
        {
            elements.Add("<marti><dest callsign=\"" + XmlText.EscapeAttribute(Text(random)) + "\"/></marti>");
        }

        if (random.Next(2) == 0)
        {
            var remarks = new StringBuilder("<remarks>");
            XmlText.EscapeText(Text(random) + " " + Text(random), remarks);
            elements.Add(remarks.Append("</remarks>").ToString());
        }

        elements = [.. elements.OrderBy(_ => random.Next())];
        if (elements.Count == 0)
        {
            sb.Append("<detail/>");
        }
        else
        {
            sb.Append("<detail>").AppendJoin(canonical || random.Next(2) == 0 ? string.Empty : "\n  ", elements).Append("</detail>");
        }

        return sb.Append("</event>").ToString();
    }

    private static string Time(Random random, DateTime utc, bool canonical)
    {
        if (canonical)
        {
            return CotTime.Format(utc);
        }

        var offset = TimeSpan.FromMinutes(random.Next(-12 * 4, 14 * 4 + 1) * 15);
        var local = utc + offset;
        var digits = random.Next(0, 8);
        var text = local.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        if (digits > 0)
        {
            text += "." + local.ToString("%" + new string('f', digits), CultureInfo.InvariantCulture);
        }

        return random.Next(3) switch
        {
            0 => text + "Z",
            1 when offset == TimeSpan.Zero => text,
            _ => text + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A typed element, usually in the exact form its protobuf message carries, sometimes not.</summary>
    private static string Typed(Random random, string name)
    {
        var exact = random.Next(3) > 0;
        var attributes = name switch
        {
            "contact" => [("endpoint", "*:-1:stcp"), ("callsign", Text(random))],
            "__group" => [("name", "Cyan"), ("role", Text(random))],
            "precisionlocation" => [("geopointsrc", "GPS"), ("altsrc", random.Next(2) == 0 ? "DTED0" : "???")],
            "status" => [("battery", (exact ? random.Next(1, 101) : random.Next(0, 101)).ToString(CultureInfo.InvariantCulture))],
            "takv" => [("device", Text(random)), ("platform", "ATAK-CIV"), ("os", "34"), ("version", "5.3.0")],
            _ => new List<(string, string)>
            {
                ("speed", exact ? Number(Math.Round(random.NextDouble() * 30, random.Next(1, 16)) + 0.01) : random.Next(3).ToString("0.0", CultureInfo.InvariantCulture)),
                ("course", Number(random.NextDouble() * 360 + 0.001)),
            },
        };
        if (!exact)
        {
            switch (random.Next(3))
            {
                case 0: attributes.Add(("x" + Name(random), Text(random))); break;
                case 1: attributes.Reverse(); break;
                default: return Element(name, attributes, "<inner/>");
            }
        }

        return Element(name, attributes, null);
    }

    private static string Unknown(Random random, int depth)
    {
        var name = Name(random);
        var attributes = new List<(string, string)>();
        foreach (var key in Enumerable.Range(0, random.Next(0, 4)).Select(_ => Name(random)).Distinct(StringComparer.Ordinal))
        {
            attributes.Add((key, Text(random)));
        }

        var content = new StringBuilder();
        for (var k = depth < 3 ? random.Next(0, 3) : 0; k > 0; k--)
        {
            if (random.Next(2) == 0)
            {
                content.Append(Unknown(random, depth + 1));
            }
            else
            {
                XmlText.EscapeText(Text(random), content);
            }
        }

        return Element(name, attributes, content.Length == 0 ? null : content.ToString());
    }

    private static string Element(string name, List<(string Key, string Value)> attributes, string? content)
    {
        var sb = new StringBuilder("<").Append(name);
        foreach (var (key, value) in attributes)
        {
            Attr(sb, key, value);
        }

        return content is null ? sb.Append("/>").ToString() : sb.Append('>').Append(content).Append("</").Append(name).Append('>').ToString();
    }

    private static string Name(Random random)
    {
        var sb = new StringBuilder().Append(NameStart[random.Next(NameStart.Length)]);
        for (var k = random.Next(0, 10); k > 0; k--)
        {
            sb.Append(NameRest[random.Next(NameRest.Length)]);
        }

        return sb.ToString();
    }

    private static void Attr(StringBuilder sb, string name, string value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        XmlText.EscapeAttribute(value, sb);
        sb.Append('"');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Text(Random random)
        => random.Next(4) == 0 ? Words[random.Next(Words.Length)] + " " + Words[random.Next(Words.Length)] : Words[random.Next(Words.Length)];
}
