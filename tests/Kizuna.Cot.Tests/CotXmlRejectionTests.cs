using System.Diagnostics;

namespace Kizuna.Cot.Tests;

/// <summary>One named test per reason an event is refused, each asserting the reason.</summary>
public sealed class CotXmlRejectionTests
{
    private static CotRejectReason Refusal(string xml, CotLimits? limits = null)
        => Assert.Throws<CotFormatException>(() => CotXml.Decode(xml, limits)).Reason;

    private static CotRejectReason Refusal(byte[] utf8)
        => Assert.Throws<CotFormatException>(() => CotXml.Decode(utf8)).Reason;

    [Fact]
    public void An_event_cut_short_anywhere_is_refused_as_truncated()
    {
        var xml = "<?xml version=\"1.0\"?><!-- c -->" + Sample.Position.Replace("<point lat=\"35.6812\" lon=\"139.7671\" hae=\"40.5\" ce=\"9.9\" le=\"9999999\"/>", "<point lat='35.6812' lon=\"139.7671\" hae=\"40.5\" ce=\"9.9\" le=\"9999999\" ></point ><!-- p -->", StringComparison.Ordinal)
            .Replace("<remarks>", "<remarks><!-- r --><![CDATA[<x>]]>&amp;&#x41;", StringComparison.Ordinal);
        Assert.Equal("ANDROID-1", CotXml.Decode(xml).Uid);
        for (var length = 1; length < xml.Length; length++)
        {
            var cut = xml[..length];
            if (cut.EndsWith("?>", StringComparison.Ordinal) || cut.EndsWith("-->", StringComparison.Ordinal))
            {
                continue; // a prolog alone: nothing is cut, there is no event at all
            }

            var error = Assert.Throws<CotFormatException>(() => CotXml.Decode(cut));
            Assert.True(error.Reason == CotRejectReason.Truncated, $"cut after {length} characters (…{cut[^Math.Min(20, cut.Length)..]}): {error.Reason} {error.Message}");
        }
    }

    [Fact]
    public void A_doctype_is_refused_as_dtd_forbidden()
        => Assert.Equal(CotRejectReason.DtdForbidden, Refusal("<!DOCTYPE event [<!ENTITY a \"b\">]>" + Sample.Minimal()));

    [Fact]
    public void A_billion_laughs_document_is_refused_at_its_dtd_before_anything_expands()
    {
        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
            + string.Concat(Enumerable.Range(2, 8).Select(n => $"<!ENTITY lol{n} \"{string.Concat(Enumerable.Repeat($"&lol{(n == 2 ? string.Empty : (n - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))}\">"))
            + "]>" + Sample.WithDetail("<remarks>&lol9;</remarks>");
        var clock = Stopwatch.StartNew();
        Assert.Equal(CotRejectReason.DtdForbidden, Refusal(laughs));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_doctype_inside_the_detail_is_refused_as_dtd_forbidden()
        => Assert.Equal(CotRejectReason.DtdForbidden, Refusal(Sample.WithDetail("<!DOCTYPE x><remarks/>")));

    [Theory]
    [InlineData("<remarks>&lol;</remarks>")]
    [InlineData("<remarks>&xxe;</remarks>")]
    [InlineData("<remarks a=\"&lol;\"/>")]
    public void A_bare_entity_reference_without_a_dtd_is_refused_as_entity_forbidden(string inner)
        => Assert.Equal(CotRejectReason.EntityForbidden, Refusal(Sample.WithDetail(inner)));

    [Fact]
    public void A_bare_entity_reference_in_an_event_attribute_is_refused_as_entity_forbidden()
        => Assert.Equal(CotRejectReason.EntityForbidden, Refusal(Sample.Minimal(uid: "a&lol;")));

    [Fact]
    public void The_five_predefined_entities_and_character_references_are_read()
        => Assert.Equal("<>&\"'東A\t", CotXml.Decode(Sample.WithDetail("<r>&lt;&gt;&amp;&quot;&apos;&#x6771;&#65;&#9;</r>")).Detail.Element("r")!.Text);

    [Theory]
    [InlineData("&#0;")]
    [InlineData("&#xD800;")]
    [InlineData("&#x110000;")]
    [InlineData("&#xZZ;")]
    public void A_character_reference_to_something_that_is_not_a_character_is_refused_as_malformed(string reference)
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.WithDetail($"<r>{reference}</r>")));

    [Fact]
    public void An_event_larger_than_the_limit_is_refused_as_oversize()
    {
        Assert.Equal(CotRejectReason.Oversize, Refusal(Sample.Position, new CotLimits { MaxEventBytes = 100 }));
        var huge = Sample.WithDetail("<remarks>" + new string('x', CotLimits.Default.MaxEventBytes) + "</remarks>");
        Assert.Equal(CotRejectReason.Oversize, Refusal(huge));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_as_too_deep()
    {
        // <event> is depth 1 and <detail> depth 2, so 30 nested elements reach the limit of 32 and 31 pass it.
        static string Nest(int n) => string.Concat(Enumerable.Repeat("<a>", n)) + string.Concat(Enumerable.Repeat("</a>", n));
        Assert.NotNull(CotXml.Decode(Sample.WithDetail(Nest(30))).Detail.Element("a"));
        Assert.Equal(CotRejectReason.TooDeep, Refusal(Sample.WithDetail(Nest(31))));
        Assert.Equal(CotRejectReason.TooDeep, Refusal(Sample.WithDetail(Nest(5_000))));
    }

    [Theory]
    [InlineData("detail")]
    [InlineData("event")]
    [InlineData("point")]
    public void More_attributes_than_the_limit_are_refused_as_too_many_attributes(string where)
    {
        var many = string.Concat(Enumerable.Range(0, 70).Select(i => $" a{i}=\"{i}\""));
        var xml = where switch
        {
            "detail" => Sample.WithDetail("<custom" + many + "/>"),
            "event" => Sample.Minimal(attributes: many),
            _ => Sample.Minimal(inside: "<point lat=\"1\" lon=\"2\"" + many + "/>"),
        };
        Assert.Equal(CotRejectReason.TooManyAttributes, Refusal(xml));
    }

    [Fact]
    public void Exactly_the_limit_of_attributes_is_accepted()
        => Assert.Equal(64, CotXml.Decode(Sample.WithDetail("<custom" + string.Concat(Enumerable.Range(0, 64).Select(i => $" a{i}=\"{i}\"")) + "/>")).Detail.Element("custom")!.Attributes.Count);

    [Theory]
    [InlineData("lat", "NaN")]
    [InlineData("lon", "Infinity")]
    [InlineData("hae", "abc")]
    [InlineData("ce", "1,5")]
    [InlineData("le", "")]
    [InlineData("lat", "0x10")]
    [InlineData("hae", "1e999")]
    public void A_point_value_that_is_not_a_finite_number_is_refused_as_bad_number(string field, string value)
    {
        var point = new Dictionary<string, string> { ["lat"] = "1", ["lon"] = "2", ["hae"] = "3", ["ce"] = "4", ["le"] = "5" };
        point[field] = value;
        var xml = Sample.Minimal(inside: "<point " + string.Join(' ', point.Select(p => $"{p.Key}=\"{p.Value}\"")) + "/>");
        Assert.Equal(CotRejectReason.BadNumber, Refusal(xml));
    }

    [Theory]
    [InlineData("90.0001", "0")]
    [InlineData("-90.5", "0")]
    [InlineData("0", "180.000001")]
    [InlineData("0", "-181")]
    [InlineData("0", "1e3")]
    public void Coordinates_out_of_range_are_refused_as_bad_coordinate(string lat, string lon)
        => Assert.Equal(CotRejectReason.BadCoordinate, Refusal(Sample.Minimal(inside: $"<point lat=\"{lat}\" lon=\"{lon}\" hae=\"0\" ce=\"0\" le=\"0\"/>")));

    [Theory]
    [InlineData("time", "noon")]
    [InlineData("time", "2026-02-30T00:00:00Z")]
    [InlineData("start", "2026-01-01T24:00:00Z")]
    [InlineData("stale", "2026-01-01T00:00:60Z")]
    [InlineData("stale", "2026-01-01T00:00:00+15:00")]
    [InlineData("time", "2026-01-01T00:00:00.Z")]
    [InlineData("time", "2026-01-01T00:00:00ZZ")]
    [InlineData("time", "1767225600")]
    [InlineData("start", "")]
    public void A_time_that_is_not_an_iso_8601_time_is_refused_as_bad_time(string field, string value)
    {
        var xml = Sample.Minimal().Replace($"{field}=\"2026-01-01T00:0{(field == "stale" ? "1" : "0")}:00Z\"", $"{field}=\"{value}\"", StringComparison.Ordinal);
        Assert.Equal(CotRejectReason.BadTime, Refusal(xml));
    }

    [Theory]
    [InlineData("time")]
    [InlineData("start")]
    public void A_time_more_than_a_day_in_the_future_is_refused_as_bad_time(string field)
    {
        var future = CotTime.Format(DateTime.UtcNow.AddDays(2));
        var xml = Sample.Minimal().Replace($"{field}=\"2026-01-01T00:00:00Z\"", $"{field}=\"{future}\"", StringComparison.Ordinal);
        Assert.Equal(CotRejectReason.BadTime, Refusal(xml));
    }

    [Fact]
    public void A_stale_time_far_in_the_future_is_accepted()
        => Assert.Equal(2099, CotXml.Decode(Sample.Minimal().Replace("stale=\"2026-01-01T00:01:00Z\"", "stale=\"2099-01-01T00:00:00Z\"", StringComparison.Ordinal)).Stale.Year);

    [Theory]
    [InlineData("uid=\"u-1\" ", "")]
    [InlineData("uid=\"u-1\"", "uid=\"\"")]
    [InlineData("type=\"a-f-G\" ", "")]
    [InlineData("time=\"2026-01-01T00:00:00Z\" ", "")]
    [InlineData("stale=\"2026-01-01T00:01:00Z\"", "")]
    [InlineData("lat=\"1\" ", "")]
    [InlineData("lon=\"2\" ", "")]
    public void An_event_without_a_required_field_is_refused_as_missing_field(string remove, string replacement)
        => Assert.Equal(CotRejectReason.MissingField, Refusal(Sample.Minimal().Replace(remove, replacement, StringComparison.Ordinal)));

    [Fact]
    public void Control_bytes_inside_an_event_are_refused_as_binary_garbage()
        => Assert.Equal(CotRejectReason.BinaryGarbage, Refusal(Sample.WithDetail("<remarks>te\u0001xt</remarks>")));

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE6, 0x9D })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    public void Invalid_utf8_inside_an_event_is_refused_as_binary_garbage(byte[] bad)
    {
        var parts = Sample.WithDetail("<remarks>HERE</remarks>").Split("HERE");
        byte[] bytes = [.. Sample.Bytes(parts[0]), .. bad, .. Sample.Bytes(parts[1])];
        Assert.Equal(CotRejectReason.BinaryGarbage, Refusal(bytes));
    }

    [Theory]
    [InlineData("<detail><a></b></detail>")]
    [InlineData("<detail><a x=\"1\" x=\"2\"/></detail>")]
    [InlineData("<detail><a x=1/></detail>")]
    [InlineData("<detail><a x=\"1\"y=\"2\"/></detail>")]
    [InlineData("<detail><a>x<y</a></detail>")]
    [InlineData("<detail/><detail/>")]
    [InlineData("text<detail/>")]
    [InlineData("<other/>")]
    public void Markup_that_is_not_well_formed_is_refused_as_malformed_xml(string inside)
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.Minimal(inside: "<point lat=\"1\" lon=\"2\"/>" + inside)));

    [Theory]
    [InlineData("<a x=\"1\" x=\"2\"/>")]
    [InlineData("<a x=\"1\" y=\"2\" z=\"3\" y=\"4\"/>")]
    [InlineData("<a><b x='1' x='1'>t</b></a>")]
    [InlineData("<contact callsign=\"A\" callsign=\"B\"/>")]
    [InlineData("<marti><dest uid=\"1\" uid=\"2\"/></marti>")]
    public void A_repeated_detail_attribute_is_refused_as_malformed_xml_even_when_the_tree_is_not_built(string inner)
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.WithDetail(inner)));

    [Theory]
    [InlineData("lat=\"1\" lat=\"3\" lon=\"2\"")]
    [InlineData("lat=\"1\" lon=\"2\" le=\"3\" le=\"4\"")]
    public void A_repeated_point_attribute_is_refused_as_malformed_xml(string attributes)
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.Minimal(inside: $"<point {attributes}/>")));

    [Fact]
    public void A_repeated_event_attribute_is_refused_as_malformed_xml()
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.Minimal(attributes: " uid=\"again\"")));

    [Fact]
    public void Content_after_the_event_is_refused_as_malformed_xml()
        => Assert.Equal(CotRejectReason.MalformedXml, Refusal(Sample.Minimal() + Sample.Minimal()));

    [Fact]
    public void The_message_of_a_refusal_does_not_echo_the_clients_bytes()
    {
        var error = Assert.Throws<CotFormatException>(() => CotXml.Decode(Sample.Minimal(inside: "<point lat=\"SECRET-PAYLOAD\" lon=\"2\"/>")));
        Assert.DoesNotContain("SECRET-PAYLOAD", error.Message, StringComparison.Ordinal);
    }
}
