using System.Text;
using System.Xml;

namespace Kizuna.Cot.Tests;

public sealed class CotXmlDecodeTests
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
        Assert.Equal(new DateTime(2026, 11, 22, 9, 0, 0, 123, DateTimeKind.Utc), evt.Start);
        Assert.Equal(new DateTime(2026, 11, 22, 9, 5, 0, DateTimeKind.Utc), evt.Stale);
        Assert.Equal(DateTimeKind.Utc, evt.Time.Kind);
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
        Assert.Equal("서울 → 東京 → الرياض", evt.Detail.Element("remarks")!.Text);
        Assert.Equal("text", evt.Detail.Element("custom")!.Child("nested")!.Text);
    }

    [Fact]
    public void Optional_fields_that_are_absent_stay_null()
    {
        var evt = CotXml.Decode(Sample.Minimal());
        Assert.Null(evt.How);
        Assert.Null(evt.Access);
        Assert.Null(evt.Qos);
        Assert.Null(evt.Opex);
        Assert.Null(evt.Caveat);
        Assert.Null(evt.ReleasableTo);
        Assert.Empty(evt.ExtraAttributes);
        Assert.True(evt.Detail.IsEmpty);
        Assert.Null(evt.Detail.ContactCallsign);
    }

    [Theory]
    [InlineData("2026-11-22T09:00:00Z", 0)]
    [InlineData("2026-11-22T09:00:00.5Z", 5_000_000)]
    [InlineData("2026-11-22T09:00:00.123Z", 1_230_000)]
    [InlineData("2026-11-22T09:00:00.1234567Z", 1_234_567)]
    [InlineData("2026-11-22T18:00:00+09:00", 0)]
    [InlineData("2026-11-22T18:30:00.25+09:30", 2_500_000)]
    [InlineData("2026-11-22T04:00:00-05:00", 0)]
    [InlineData("2026-11-22T09:00:00-00:00", 0)]
    public void Event_times_are_read_with_or_without_fractions_and_with_z_or_an_offset(string text, long ticksAfterNine)
    {
        var evt = CotXml.Decode(Sample.Minimal().Replace("time=\"2026-01-01T00:00:00Z\"", $"time=\"{text}\"", StringComparison.Ordinal));
        Assert.Equal(new DateTime(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc).AddTicks(ticksAfterNine), evt.Time);
        Assert.Equal(DateTimeKind.Utc, evt.Time.Kind);
    }

    [Fact]
    public void The_protobuf_spelling_releaseableTo_is_accepted()
    {
        var evt = CotXml.Decode(Sample.Minimal(attributes: " releaseableTo=\"USA,KOR\""));
        Assert.Equal("USA,KOR", evt.ReleasableTo);
        Assert.Empty(evt.ExtraAttributes);
        Assert.Contains(" releasableTo=\"USA,KOR\"", Sample.Text(CotXml.Encode(evt)), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_event_attributes_are_kept_in_document_order_and_written_back()
    {
        var evt = CotXml.Decode(Sample.Minimal(attributes: " zeta=\"1\" alpha=\"二\" x-amp=\"a&amp;b\""));
        Assert.Equal([new("zeta", "1"), new("alpha", "二"), new KeyValuePair<string, string>("x-amp", "a&b")], evt.ExtraAttributes);
        Assert.Equal(evt.ExtraAttributes, CotXml.Decode(CotXml.Encode(evt)).ExtraAttributes);
    }

    [Fact]
    public void Point_values_are_read_as_written_and_missing_ones_are_unknown()
    {
        var evt = CotXml.Decode(Sample.Minimal(inside: "<point lat=\"-89.999999\" lon=\"-180\" hae=\"-12.25\" ce=\"1e1\" le=\"0\"/>"));
        Assert.Equal(new CotPoint(-89.999999, -180, -12.25, 10, 0), evt.Point);

        var bare = CotXml.Decode(Sample.Minimal(inside: "<point lat=\"90\" lon=\"180\"/>"));
        Assert.Equal(new CotPoint(90, 180, CotPoint.UnknownValue, CotPoint.UnknownValue, CotPoint.UnknownValue), bare.Point);
    }

    [Fact]
    public void Encoding_then_decoding_keeps_every_field_and_the_detail_to_the_letter()
    {
        var first = CotXml.Decode(Sample.Position);
        var again = CotXml.Decode(CotXml.Encode(first));
        Assert.Equal(Sample.Canonical(first), Sample.Canonical(again));
        Assert.Equal(first.Detail.InnerXml, again.Detail.InnerXml);
        Assert.Equal(Sample.Text(CotXml.Encode(first)), Sample.Text(CotXml.Encode(again)));
    }

    [Fact]
    public void Unknown_detail_elements_and_attributes_survive_encode_then_decode()
    {
        const string inner = "<ext-1 z=\"9\" a=\"&quot;q&quot;\"><deep><deeper k=\"v\">t&amp;t</deeper></deep>tail</ext-1><_x.y_ p=\"1\"/><empty></empty>";
        var evt = CotXml.Decode(Sample.WithDetail(inner));
        var back = CotXml.Decode(CotXml.Encode(evt));
        Assert.Equal(evt.Detail.InnerXml, back.Detail.InnerXml);
        var ext = back.Detail.Element("ext-1")!;
        Assert.Equal([new("z", "9"), new KeyValuePair<string, string>("a", "\"q\"")], ext.Attributes);
        Assert.Equal("t&t", ext.Child("deep")!.Child("deeper")!.Text);
        Assert.Equal("tail", ext.Text);
        Assert.Equal("1", back.Detail.Element("_x.y_")!.Attribute("p"));
        Assert.NotNull(back.Detail.Element("empty"));
    }

    [Fact]
    public void Comments_inside_the_detail_are_dropped_and_cdata_becomes_escaped_text()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<remarks><!-- note --><![CDATA[a < b & c]]></remarks>"));
        Assert.Equal("a < b & c", evt.Detail.Element("remarks")!.Text);
        Assert.Equal("<remarks>a &lt; b &amp; c</remarks>", evt.Detail.InnerXml);
    }

    [Fact]
    public void The_contact_callsign_and_endpoint_are_found_without_building_the_tree()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<contact callsign=\"DELTA\" endpoint=\"10.0.0.2:4242:tcp\"/><contact callsign=\"SECOND\"/>"));
        Assert.Equal("DELTA", evt.Detail.ContactCallsign);
        Assert.Equal("10.0.0.2:4242:tcp", evt.Detail.ContactEndpoint);
    }

    [Fact]
    public void A_contact_nested_below_the_top_level_is_not_the_events_contact()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<link><contact callsign=\"NOT-ME\"/></link>"));
        Assert.Null(evt.Detail.ContactCallsign);
    }

    [Fact]
    public void Marti_destinations_are_found_by_callsign_by_uid_or_both()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<marti><dest callsign=\"HOTEL\"/><dest uid=\"ANDROID-9\"/><dest callsign=\"정\" uid=\"U-3\"/><dest/></marti>"));
        Assert.Equal([new CotDestination("HOTEL", null), new CotDestination(null, "ANDROID-9"), new CotDestination("정", "U-3")], evt.Detail.MartiDestinations);
    }

    [Fact]
    public void Node_cot_unescaped_ampersand_and_less_than_in_attribute_values_are_accepted_and_written_back_escaped()
    {
        var evt = CotXml.Decode(Sample.Position.Replace("callsign=\"さくら-1\"", "callsign=\"A&B <東京>\"", StringComparison.Ordinal));
        Assert.Equal("A&B <東京>", evt.Detail.ContactCallsign);
        Assert.Equal("A&B <東京>", evt.Detail.Element("contact")!.Attribute("callsign"));
        Assert.Contains("callsign=\"A&amp;B &lt;東京&gt;\"", evt.Detail.InnerXml, StringComparison.Ordinal);

        var encoded = CotXml.Encode(evt);
        AssertWellFormed(encoded);
        Assert.Equal("A&B <東京>", CotXml.Decode(encoded).Detail.ContactCallsign);
    }

    [Fact]
    public void Node_cot_unescaped_ampersand_in_an_event_attribute_and_in_text_is_accepted_and_written_back_escaped()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<remarks>fish & chips</remarks>", uid: "R&D<1>"));
        Assert.Equal("R&D<1>", evt.Uid);
        Assert.Equal("fish & chips", evt.Detail.Element("remarks")!.Text);
        var encoded = CotXml.Encode(evt);
        AssertWellFormed(encoded);
        Assert.Contains("uid=\"R&amp;D&lt;1&gt;\"", Sample.Text(encoded), StringComparison.Ordinal);
        Assert.Contains("<remarks>fish &amp; chips</remarks>", Sample.Text(encoded), StringComparison.Ordinal);
    }

    [Fact]
    public void The_flow_tags_element_node_cot_adds_is_kept()
    {
        const string flowTags = "<_flow-tags_><NodeCoT-14.23.2>2026-01-01T00:00:00Z</NodeCoT-14.23.2></_flow-tags_>";
        var evt = CotXml.Decode(Sample.Position.Replace("</detail>", flowTags + "</detail>", StringComparison.Ordinal));
        Assert.Equal("2026-01-01T00:00:00Z", evt.Detail.Element("_flow-tags_")!.Child("NodeCoT-14.23.2")!.Text);
        Assert.EndsWith(flowTags, evt.Detail.InnerXml, StringComparison.Ordinal);
        Assert.Contains(flowTags, Sample.Text(CotXml.Encode(evt)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_xml_declaration_and_surrounding_whitespace_are_allowed_around_one_event()
        => Assert.Equal("u-1", CotXml.Decode("\n<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n" + Sample.Minimal() + "\n\n").Uid);

    [Fact]
    public void What_the_encoder_writes_is_well_formed_xml_that_a_standard_parser_reads_back()
    {
        var evt = CotXml.Decode(Sample.Position);
        var encoded = CotXml.Encode(evt);
        var doc = AssertWellFormed(encoded);
        var root = doc.DocumentElement!;
        Assert.Equal("ANDROID-1", root.GetAttribute("uid"));
        Assert.Equal("2026-11-22T09:00:00.123Z", root.GetAttribute("time"));
        Assert.Equal("7", root.GetAttribute("x-unit"));
        Assert.Equal("さくら-1", root.SelectSingleNode("detail/contact/@callsign")!.Value);
    }

    [Fact]
    public void Write_into_a_buffer_writer_gives_the_same_bytes_as_encode()
    {
        var evt = CotXml.Decode(Sample.Position);
        var writer = new System.Buffers.ArrayBufferWriter<byte>(1);
        CotXml.Write(evt, writer);
        Assert.Equal(CotXml.Encode(evt), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void An_event_without_a_detail_is_written_with_an_empty_detail()
    {
        var encoded = Sample.Text(CotXml.Encode(CotXml.Decode(Sample.Minimal())));
        Assert.EndsWith("<detail/></event>", encoded, StringComparison.Ordinal);
        Assert.Equal("u-1", CotXml.Decode(encoded).Uid);
    }

    private static XmlDocument AssertWellFormed(byte[] utf8)
    {
        var doc = new XmlDocument { XmlResolver = null };
        using var reader = XmlReader.Create(new MemoryStream(utf8), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        doc.Load(reader);
        return doc;
    }
}
