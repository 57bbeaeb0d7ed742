using System.Text;

namespace Kizuna.Cot.Tests;

public sealed class CotXmlTests
{
    [Fact]
    public void Every_field_of_an_event_is_decoded()
    {
        var evt = CotXml.Decode(Sample.Position);
        Assert.Equal("2.0", evt.Version);
        Assert.Equal("ANDROID-1", evt.Uid);
        Assert.Equal("a-f-G-U-C", evt.Type);
        Assert.Equal("m-g", evt.How);
        Assert.Equal(new DateTime(2026, 11, 22, 9, 0, 0, 123, DateTimeKind.Utc), evt.Time);
        Assert.Equal(new DateTime(2026, 11, 22, 9, 5, 0, DateTimeKind.Utc), evt.Stale);
        Assert.Equal("SECRET", evt.Access);
        Assert.Equal("NOFORN", evt.Caveat);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.Equal("1-r-c", evt.Qos);
        Assert.Equal("e-EXERCISE", evt.Opex);
        Assert.Equal([new KeyValuePair<string, string>("x-unit", "7")], evt.ExtraAttributes);
        Assert.Equal(new CotPoint(35.6812, 139.7671, 40.5, 9.9, 9999999), evt.Point);
        Assert.Equal("さくら-1", evt.Detail.ContactCallsign);
        Assert.Equal("*:-1:stcp", evt.Detail.ContactEndpoint);
        Assert.Empty(evt.Detail.MartiDestinations);
        Assert.Equal("text", evt.Detail.Element("custom")!.Child("nested")!.Text);
    }

    [Fact]
    public void Encoding_then_decoding_keeps_every_field_and_the_detail_to_the_letter()
    {
        var first = CotXml.Decode(Sample.Position);
        var again = CotXml.Decode(CotXml.Encode(first));
        Assert.Equal(Encoding.UTF8.GetString(CotXml.Encode(first)), Encoding.UTF8.GetString(CotXml.Encode(again)));
        Assert.Equal(first.Detail.InnerXml, again.Detail.InnerXml);
        Assert.Equal(first.ExtraAttributes, again.ExtraAttributes);
    }

    [Theory]
    [InlineData("2026-11-22T09:00:00Z", 0)]
    [InlineData("2026-11-22T09:00:00.5Z", 5_000_000)]
    [InlineData("2026-11-22T09:00:00.1234567Z", 1_234_567)]
    [InlineData("2026-11-22T18:00:00+09:00", 0)]
    [InlineData("2026-11-22T09:00:00", 0)]
    public void Times_are_read_with_or_without_fractions_and_offsets(string text, long ticksAfterNine)
    {
        Assert.True(CotTime.TryParse(text, out var utc));
        Assert.Equal(new DateTime(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc).AddTicks(ticksAfterNine), utc);
    }

    [Fact]
    public void The_protobuf_spelling_releaseableTo_is_accepted()
        => Assert.Equal("USA", CotXml.Decode(Sample.Position.Replace("releasableTo=", "releaseableTo=", StringComparison.Ordinal).Replace("USA,JPN", "USA", StringComparison.Ordinal)).ReleasableTo);

    [Fact]
    public void Node_cot_unescaped_ampersand_and_less_than_in_attributes_are_accepted_and_written_back_escaped()
    {
        var evt = CotXml.Decode(Sample.Position.Replace("callsign=\"さくら-1\"", "callsign=\"A&B <東京>\"", StringComparison.Ordinal));
        Assert.Equal("A&B <東京>", evt.Detail.ContactCallsign);
        Assert.Contains("callsign=\"A&amp;B &lt;東京&gt;\"", evt.Detail.InnerXml, StringComparison.Ordinal);
        Assert.Equal("A&B <東京>", CotXml.Decode(CotXml.Encode(evt)).Detail.ContactCallsign);
    }

    [Fact]
    public void The_flow_tags_element_node_cot_adds_is_kept()
    {
        var evt = CotXml.Decode(Sample.Position.Replace("</detail>", "<_flow-tags_><NodeCoT-14.23.2>2026-01-01T00:00:00Z</NodeCoT-14.23.2></_flow-tags_></detail>", StringComparison.Ordinal));
        Assert.Equal("2026-01-01T00:00:00Z", evt.Detail.Element("_flow-tags_")!.Child("NodeCoT-14.23.2")!.Text);
    }

    [Fact]
    public void Marti_destinations_are_found_by_callsign_and_uid()
    {
        var evt = CotXml.Decode(Sample.Position.Replace("<detail>", "<detail><marti><dest callsign=\"HOTEL\"/><dest uid=\"ANDROID-9\"/></marti>", StringComparison.Ordinal));
        Assert.Equal([new CotDestination("HOTEL", null), new CotDestination(null, "ANDROID-9")], evt.Detail.MartiDestinations);
    }

    [Theory]
    [InlineData("<event version=\"2.0\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.MissingField)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"noon\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.BadTime)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-02-30T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.BadTime)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2099-01-01T00:00:00Z\" start=\"2099-01-01T00:00:00Z\" stale=\"2099-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.BadTime)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"NaN\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.BadNumber)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1e3\" hae=\"0\" ce=\"0\" le=\"0\"/></event>", CotRejectReason.BadCoordinate)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/><detail><a></b></detail></event>", CotRejectReason.MalformedXml)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/><detail><r>&xxe;</r></detail></event>", CotRejectReason.EntityForbidden)]
    [InlineData("<!DOCTYPE event [<!ENTITY a \"b\">]><event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"/>", CotRejectReason.DtdForbidden)]
    [InlineData("<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"1\"", CotRejectReason.Truncated)]
    public void A_bad_event_is_refused_with_its_reason(string xml, CotRejectReason reason)
        => Assert.Equal(reason, Assert.Throws<CotFormatException>(() => CotXml.Decode(xml)).Reason);

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 40)) + string.Concat(Enumerable.Repeat("</a>", 40));
        var error = Assert.Throws<CotFormatException>(() => CotXml.Decode(Sample.Position.Replace("<detail>", "<detail>" + deep, StringComparison.Ordinal)));
        Assert.Equal(CotRejectReason.TooDeep, error.Reason);
    }

    [Fact]
    public void More_attributes_than_the_limit_are_refused()
    {
        var many = string.Concat(Enumerable.Range(0, 70).Select(i => $" a{i}=\"{i}\""));
        var error = Assert.Throws<CotFormatException>(() => CotXml.Decode(Sample.Position.Replace("<custom a=\"1\"", "<custom" + many, StringComparison.Ordinal)));
        Assert.Equal(CotRejectReason.TooManyAttributes, error.Reason);
    }

    [Fact]
    public void An_event_larger_than_the_limit_is_refused()
    {
        var error = Assert.Throws<CotFormatException>(() => CotXml.Decode(Sample.Position, new CotLimits { MaxEventBytes = 100 }));
        Assert.Equal(CotRejectReason.Oversize, error.Reason);
    }

    [Fact]
    public void Control_bytes_and_invalid_utf8_are_refused_as_binary()
    {
        Assert.Equal(CotRejectReason.BinaryGarbage, Assert.Throws<CotFormatException>(() => CotXml.Decode(Sample.Position.Replace("text", "te\u0001xt", StringComparison.Ordinal))).Reason);
        var bytes = Sample.Bytes(Sample.Position);
        bytes[Array.IndexOf(bytes, (byte)'t', 300)] = 0xFF;
        Assert.Equal(CotRejectReason.BinaryGarbage, Assert.Throws<CotFormatException>(() => CotXml.Decode(bytes)).Reason);
    }

    [Fact]
    public void Control_events_carry_negotiation_and_pings()
    {
        var now = DateTime.UtcNow;
        var offer = CotXml.Decode(CotXml.Encode(TakControlEvents.CreateProtocolOffer(now)));
        Assert.Equal("1", offer.Detail.Element("TakControl")!.Child("TakProtocolSupport")!.Attribute("version"));
        Assert.NotNull(offer.Detail.Element("TakControl")!.Child("TakServerVersionInfo")!.Attribute("serverVersion"));

        var request = CotXml.Decode("<event version=\"2.0\" uid=\"q\" type=\"t-x-takp-q\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"0\" le=\"0\"/><detail><TakControl><TakRequest version=\"1\"/></TakControl></detail></event>");
        Assert.True(TakControlEvents.TryGetProtocolRequest(request, out var version));
        Assert.Equal(1u, version);
        Assert.False(TakControlEvents.TryGetProtocolRequest(offer, out _));

        Assert.Contains("status=\"false\"", TakControlEvents.CreateProtocolResponse(false, now).Detail.InnerXml, StringComparison.Ordinal);
        Assert.Equal("t-x-c-t-r", TakControlEvents.CreatePong(request, now).Type);
    }
}
