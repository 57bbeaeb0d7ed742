using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Kizuna.Cot.Tests;

/// <summary>Generated events (seeded, so a failure reproduces) in Japanese, Korean and Arabic among others.</summary>
public sealed class RoundTripPropertyTests(ITestOutputHelper output)
{
    private const int Iterations = 500;

    private static readonly string[] Words =
    [
        "さくら", "東京", "統合作戦司令部", "서울", "합동참모본부", "الرياض", "مرحبا", "Alpha-1", "JJOC", "USFJ", "A&B", "<tag>", "\"quoted\"", "tab\there", "it's",
    ];

    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    [Fact]
    public void Xml_to_model_to_protobuf_to_model_to_xml_keeps_every_field()
    {
        var random = new Random(20261122);
        for (var n = 0; n < Iterations; n++)
        {
            var xml = GenerateEvent(random, withExtraAttributes: false);
            var model = CotXml.Decode(xml);
            var viaProto = TakProto.DecodeMessage(TakProto.EncodeMessage(model)).Event!;
            var back = CotXml.Decode(CotXml.Encode(viaProto));
            TakProtoTests.AssertSame(model, back);
        }

        output.WriteLine($"{Iterations} generated events kept every field through XML → protobuf → XML");
    }

    [Fact]
    public void Xml_to_model_to_xml_is_identical()
    {
        var random = new Random(7);
        for (var n = 0; n < Iterations; n++)
        {
            var model = CotXml.Decode(GenerateEvent(random, withExtraAttributes: true));
            var once = CotXml.Encode(model);
            var twice = CotXml.Encode(CotXml.Decode(once));
            Assert.Equal(Encoding.UTF8.GetString(once), Encoding.UTF8.GetString(twice));
            Assert.Equal(model.ExtraAttributes, CotXml.Decode(once).ExtraAttributes);
        }

        output.WriteLine($"{Iterations} generated events re-encoded identically");
    }

    private static string GenerateEvent(Random random, bool withExtraAttributes)
    {
        var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(random.NextInt64(0, 300L * 24 * 3600 * 1000));
        var sb = new StringBuilder("<event version=\"2.0\"");
        Attr(sb, "uid", Text(random) + "-" + random.Next());
        Attr(sb, "type", "a-f-G-U-C");
        Attr(sb, "how", "m-g");
        Attr(sb, "time", CotTime.Format(time));
        Attr(sb, "start", CotTime.Format(time));
        Attr(sb, "stale", CotTime.Format(time.AddMinutes(random.Next(1, 600))));
        if (random.Next(2) == 0)
        {
            Attr(sb, "access", "SECRET");
            Attr(sb, "caveat", Text(random));
            Attr(sb, "releasableTo", "USA,JPN,KOR");
        }

        if (withExtraAttributes && random.Next(2) == 0)
        {
            Attr(sb, "x-" + random.Next(100), Text(random));
        }

        sb.Append('>');
        sb.Append(CultureInfo.InvariantCulture, $"<point lat=\"{Math.Round(random.NextDouble() * 180 - 90, 6)}\" lon=\"{Math.Round(random.NextDouble() * 360 - 180, 6)}\" hae=\"{random.Next(-100, 9000)}\" ce=\"{random.Next(1, 100)}.5\" le=\"9999999\"/>");
        sb.Append("<detail>");
        foreach (var name in TypedNames.Where(_ => random.Next(3) > 0))
        {
            sb.Append(Typed(random, name));
        }

        for (var k = random.Next(0, 4); k > 0; k--)
        {
            var name = "x" + random.Next(5) + (random.Next(2) == 0 ? "_ext" : "-ext");
            sb.Append('<').Append(name);
            Attr(sb, "v", Text(random));
            sb.Append('>');
            XmlText.EscapeText(Text(random), sb);
            sb.Append("<inner a=\"1\"/></").Append(name).Append('>');
        }

        sb.Append("<remarks>");
        XmlText.EscapeText(Text(random) + " " + Text(random), sb);
        sb.Append("</remarks></detail></event>");
        return sb.ToString();
    }

    private static string Typed(Random random, string name) => name switch
    {
        "contact" => Element(name, ("endpoint", "*:-1:stcp"), ("callsign", Text(random))),
        "__group" => Element(name, ("name", "Cyan"), ("role", "Team Member")),
        "precisionlocation" => Element(name, ("geopointsrc", "GPS"), ("altsrc", random.Next(2) == 0 ? "DTED0" : "???")),
        "status" => Element(name, ("battery", random.Next(0, 101).ToString(CultureInfo.InvariantCulture))),
        "takv" => Element(name, ("device", Text(random)), ("platform", "ATAK-CIV"), ("os", "34"), ("version", "5.3.0")),
        _ => Element(name, ("speed", random.Next(3) == 0 ? "0.0" : (random.NextDouble() * 30).ToString("R", CultureInfo.InvariantCulture)), ("course", (random.NextDouble() * 360).ToString("R", CultureInfo.InvariantCulture))),
    };

    private static string Element(string name, params (string Key, string Value)[] attributes)
    {
        var sb = new StringBuilder("<").Append(name);
        foreach (var (key, value) in attributes)
        {
            Attr(sb, key, value);
        }

        return sb.Append("/>").ToString();
    }

    private static void Attr(StringBuilder sb, string name, string value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        XmlText.EscapeAttribute(value, sb);
        sb.Append('"');
    }

    private static string Text(Random random) => Words[random.Next(Words.Length)];
}
