using static Kizuna.Cot.Tests.ProtoBytes;

namespace Kizuna.Cot.Tests;

public sealed class TakProtoTests
{
    [Fact]
    public void A_stream_frame_is_the_magic_byte_a_varint_length_and_the_message()
    {
        var evt = CotXml.Decode(Sample.Position);
        var frame = TakProto.EncodeStreamFrame(evt);
        var payload = TakProto.EncodeMessage(evt);
        Assert.True(payload.Length > 127, "the sample needs a two-byte length");
        Assert.Equal(Frame(payload), frame);
    }

    [Fact]
    public void A_mesh_datagram_is_the_magic_header_and_the_message()
    {
        var evt = CotXml.Decode(Sample.Position);
        Assert.Equal([0xBF, 0x01, 0xBF, .. TakProto.EncodeMessage(evt)], TakProto.EncodeMeshDatagram(evt));
    }

    [Fact]
    public void A_message_decodes_to_every_field_it_was_encoded_from()
    {
        var evt = CotXml.Decode(Sample.Position);
        var back = TakProto.DecodeMessage(TakProto.EncodeMessage(evt)).Event!;
        Assert.Equal(Sample.Canonical(evt, extraAttributes: false), Sample.Canonical(back));
        Assert.Equal("さくら-1", back.Detail.ContactCallsign);
        Assert.Equal("*:-1:stcp", back.Detail.ContactEndpoint);
    }

    [Fact]
    public void A_mesh_datagram_decodes_to_every_field_it_was_encoded_from()
    {
        var evt = CotXml.Decode(Sample.Position);
        Assert.Equal(Sample.Canonical(evt, extraAttributes: false), Sample.Canonical(TakProto.DecodeMeshDatagram(TakProto.EncodeMeshDatagram(evt))));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xBF, 0x01 })]
    [InlineData(new byte[] { 0xBF, 0x00, 0xBF, 0x12, 0x00 })]
    [InlineData(new byte[] { 0x3C, 0x65, 0x76, 0x65 })]
    public void A_datagram_without_the_mesh_header_is_refused_as_bad_protobuf(byte[] datagram)
        => Assert.Equal(CotRejectReason.BadProtobuf, Assert.Throws<CotFormatException>(() => TakProto.DecodeMeshDatagram(datagram)).Reason);

    [Fact]
    public void A_mesh_datagram_with_only_tak_control_is_refused_as_missing_field()
    {
        byte[] datagram = [0xBF, 0x01, 0xBF, .. TakProto.EncodeMessage(null, new TakControl(1, 1, null))];
        Assert.Equal(CotRejectReason.MissingField, Assert.Throws<CotFormatException>(() => TakProto.DecodeMeshDatagram(datagram)).Reason);
    }

    [Fact]
    public void Extra_event_attributes_do_not_travel_in_protobuf_as_documented()
        => Assert.Empty(TakProto.DecodeMessage(TakProto.EncodeMessage(CotXml.Decode(Sample.Position))).Event!.ExtraAttributes);

    [Fact]
    public void The_encoder_writes_the_bytes_computed_by_hand_from_the_published_proto()
    {
        var evt = new CotEvent
        {
            Uid = "u",
            Type = "a-f",
            How = "m-g",
            Access = "S",
            Caveat = "C",
            ReleasableTo = "R",
            Time = DateTime.UnixEpoch.AddSeconds(1),
            Start = DateTime.UnixEpoch.AddSeconds(1),
            Stale = DateTime.UnixEpoch.AddSeconds(61),
            Point = new CotPoint(1.0, -2.0, 0, 0.5, 0.25),
            Detail = CotDetail.FromXml("<contact callsign=\"A\"/><remarks>r</remarks>"),
        };
        byte[] cotEvent =
        [
            0x0A, 0x03, (byte)'a', (byte)'-', (byte)'f', // 1 type
            0x12, 0x01, (byte)'S', // 2 access
            0x2A, 0x01, (byte)'u', // 5 uid
            0x30, 0xE8, 0x07, // 6 sendTime 1000
            0x38, 0xE8, 0x07, // 7 startTime 1000
            0x40, 0xC8, 0xDC, 0x03, // 8 staleTime 61000
            0x4A, 0x03, (byte)'m', (byte)'-', (byte)'g', // 9 how
            0x51, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, // 10 lat 1.0
            0x59, 0, 0, 0, 0, 0, 0, 0x00, 0xC0, // 11 lon -2.0
            // 12 hae 0.0 is the default and not written
            0x69, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F, // 13 ce 0.5
            0x71, 0, 0, 0, 0, 0, 0, 0xD0, 0x3F, // 14 le 0.25
            0x7A, 0x1B, // 15 detail, 27 bytes
            0x0A, 0x14, .. "<remarks>r</remarks>"u8, // detail.1 xmlDetail
            0x12, 0x03, 0x12, 0x01, (byte)'A', // detail.2 contact { 2 callsign "A" }
            0x82, 0x01, 0x01, (byte)'C', // 16 caveat: tag 130 is two varint bytes
            0x8A, 0x01, 0x01, (byte)'R', // 17 releaseableTo: tag 138
        ];
        byte[] takMessage = [0x12, 0x63, .. cotEvent]; // 2 cotEvent, 99 bytes
        Assert.Equal(99, cotEvent.Length);
        Assert.Equal(takMessage, TakProto.EncodeMessage(evt));
        Assert.Equal([0xBF, 0x65, .. takMessage], TakProto.EncodeStreamFrame(evt));
        Assert.Equal([0xBF, 0x01, 0xBF, .. takMessage], TakProto.EncodeMeshDatagram(evt));

        var back = TakProto.DecodeMessage(takMessage).Event!;
        Assert.Equal(Sample.Canonical(evt), Sample.Canonical(back));
    }

    [Fact]
    public void A_control_message_is_written_as_computed_by_hand()
    {
        // TakMessage.takControl (1) { minProtoVersion (1) 1, maxProtoVersion (2) 1, contactUid (3) "x" }
        byte[] expected = [0x0A, 0x07, 0x08, 0x01, 0x10, 0x01, 0x1A, 0x01, (byte)'x'];
        Assert.Equal(expected, TakProto.EncodeMessage(null, new TakControl(1, 1, "x")));
        Assert.Equal((null, new TakControl(1, 1, "x")), TakProto.DecodeMessage(expected));
    }

    [Fact]
    public void A_message_built_by_hand_from_the_proto_decodes_to_every_field()
    {
        var detail = Concat(
            Str(1, "<remarks>hi</remarks>"),
            Bytes(2, Concat(Str(1, "10.0.0.1:4242:tcp"), Str(2, "ALPHA"))),
            Bytes(3, Concat(Str(1, "Cyan"), Str(2, "HQ"))),
            Bytes(4, Concat(Str(1, "GPS"), Str(2, "DTED0"))),
            Bytes(5, UInt(1, 77)),
            Bytes(6, Concat(Str(1, "Pixel"), Str(2, "ATAK-CIV"), Str(3, "34"), Str(4, "5.3"))),
            Bytes(7, Concat(Double(1, 2.5), Double(2, 90.125))));
        var cot = Concat(
            Str(1, "a-f-G"), Str(2, "SECRET"), Str(3, "1-r-c"), Str(4, "e-EX"), Str(5, "U-1"),
            UInt(6, 1_795_338_000_123), UInt(7, 1_795_338_000_123), UInt(8, 1_795_338_300_000), Str(9, "h-e"),
            Double(10, 35.5), Double(11, 139.25), Double(12, 40), Double(13, 9.5), Double(14, 999999),
            Bytes(15, detail), Str(16, "NOFORN"), Str(17, "USA,JPN"),
            UInt(99, 5)); // an unknown field is skipped
        var evt = TakProto.DecodeMessage(Concat(Bytes(2, cot), UInt(3, 1), UInt(4, 2))).Event!;

        Assert.Equal("U-1", evt.Uid);
        Assert.Equal("a-f-G", evt.Type);
        Assert.Equal("h-e", evt.How);
        Assert.Equal("SECRET", evt.Access);
        Assert.Equal("1-r-c", evt.Qos);
        Assert.Equal("e-EX", evt.Opex);
        Assert.Equal("NOFORN", evt.Caveat);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.Equal(new DateTime(2026, 11, 22, 9, 0, 0, 123, DateTimeKind.Utc), evt.Time);
        Assert.Equal(evt.Time, evt.Start);
        Assert.Equal(new DateTime(2026, 11, 22, 9, 5, 0, DateTimeKind.Utc), evt.Stale);
        Assert.Equal(new CotPoint(35.5, 139.25, 40, 9.5, 999999), evt.Point);
        Assert.Equal(
            "<contact endpoint=\"10.0.0.1:4242:tcp\" callsign=\"ALPHA\"/><__group name=\"Cyan\" role=\"HQ\"/>"
            + "<precisionlocation geopointsrc=\"GPS\" altsrc=\"DTED0\"/><status battery=\"77\"/>"
            + "<takv device=\"Pixel\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.3\"/><track speed=\"2.5\" course=\"90.125\"/>"
            + "<remarks>hi</remarks>",
            evt.Detail.InnerXml);
        Assert.Equal("ALPHA", evt.Detail.ContactCallsign);
        Assert.Equal("10.0.0.1:4242:tcp", evt.Detail.ContactEndpoint);
    }

    [Theory]
    [InlineData("<contact endpoint=\"*:-1:stcp\" callsign=\"さくら\"/>", 2)]
    [InlineData("<contact callsign=\"A&amp;B\"/>", 2)]
    [InlineData("<contact endpoint=\"*:-1:stcp\"/>", 2)]
    [InlineData("<contact callsign=\"A\" endpoint=\"*:-1:stcp\"/>", 0)]
    [InlineData("<contact callsign=\"A\" phone=\"123\"/>", 0)]
    [InlineData("<contact callsign=\"\"/>", 0)]
    [InlineData("<contact/>", 2)]
    [InlineData("<contact callsign=\"A\"><x/></contact>", 0)]
    [InlineData("<__group name=\"Cyan\" role=\"Team Member\"/>", 3)]
    [InlineData("<__group name=\"Cyan\"/>", 3)]
    [InlineData("<__group name=\"Cyan\" role=\"Team Member\" exrole=\"x\"/>", 0)]
    [InlineData("<precisionlocation geopointsrc=\"GPS\" altsrc=\"DTED0\"/>", 4)]
    [InlineData("<precisionlocation altsrc=\"???\"/>", 4)]
    [InlineData("<precisionlocation geopointsrc=\"GPS\" altsrc=\"DTED0\" PRECISE_IMAGE_FILE=\"x\"/>", 0)]
    [InlineData("<status battery=\"88\"/>", 5)]
    [InlineData("<status battery=\"100\"/>", 5)]
    [InlineData("<status battery=\"088\"/>", 0)]
    [InlineData("<status battery=\"0\"/>", 0)]
    [InlineData("<status battery=\"-1\"/>", 0)]
    [InlineData("<status battery=\"88.5\"/>", 0)]
    [InlineData("<status battery=\"88\" readiness=\"true\"/>", 0)]
    [InlineData("<status readiness=\"true\"/>", 0)]
    [InlineData("<takv device=\"Pixel 8\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.3.0.1\"/>", 6)]
    [InlineData("<takv platform=\"WinTAK\" version=\"5.0\"/>", 6)]
    [InlineData("<takv version=\"5.0\" platform=\"WinTAK\"/>", 0)]
    [InlineData("<takv device=\"x\" platform=\"y\" os=\"z\" version=\"v\" appid=\"a\"/>", 0)]
    [InlineData("<track speed=\"1.5\" course=\"270.25\"/>", 7)]
    [InlineData("<track speed=\"12\" course=\"0.1\"/>", 7)]
    [InlineData("<track speed=\"1.50\" course=\"270.25\"/>", 0)]
    [InlineData("<track speed=\"0.0\" course=\"270.25\"/>", 0)]
    [InlineData("<track speed=\"1\" course=\"0\"/>", 0)]
    [InlineData("<track course=\"270.25\" speed=\"1.5\"/>", 0)]
    [InlineData("<track speed=\"1.5\"/>", 0)]
    [InlineData("<track speed=\"fast\" course=\"1\"/>", 0)]
    [InlineData("<track speed=\"1.5\" course=\"270.25\" slope=\"0\"/>", 0)]
    public void A_typed_field_is_used_only_when_the_element_holds_exactly_its_attributes_else_xml_detail_keeps_it_whole(string element, int typedField)
    {
        var evt = CotXml.Decode(Sample.WithDetail("<remarks>r</remarks>" + element));
        var payload = TakProto.EncodeMessage(evt);
        var detailFields = Fields(DetailOf(payload)).Select(f => f.Field).ToList();
        var xmlDetail = XmlDetailOf(payload);
        var canonical = evt.Detail.Elements.Last().ToXml();
        if (typedField == 0)
        {
            Assert.Equal([1], detailFields);
            Assert.Equal("<remarks>r</remarks>" + canonical, xmlDetail);
        }
        else
        {
            Assert.Equal([1, typedField], detailFields);
            Assert.Equal("<remarks>r</remarks>", xmlDetail);
        }

        var back = TakProto.DecodeMessage(payload).Event!;
        Assert.Equal(Sample.Canonical(evt), Sample.Canonical(back));
    }

    [Fact]
    public void A_detail_of_only_untyped_elements_travels_whole_in_xml_detail_whitespace_included()
    {
        const string inner = "<remarks>a</remarks>\n  <link uid=\"x\"/>";
        var payload = TakProto.EncodeMessage(CotXml.Decode(Sample.WithDetail(inner)));
        Assert.Equal([1], Fields(DetailOf(payload)).Select(f => f.Field));
        Assert.Equal(inner, XmlDetailOf(payload));
    }

    [Fact]
    public void An_event_without_a_detail_writes_no_detail_field()
    {
        var payload = TakProto.EncodeMessage(CotXml.Decode(Sample.Minimal()));
        Assert.Null(Field(Field(payload, 2)!, 15));
        Assert.True(TakProto.DecodeMessage(payload).Event!.Detail.IsEmpty);
    }

    [Fact]
    public void When_an_element_is_both_typed_and_in_xml_detail_the_xml_detail_copy_wins()
    {
        var detail = Concat(
            Str(1, "<contact callsign=\"FROM-XML\"/><remarks/>"),
            Bytes(2, Str(2, "FROM-TYPED")),
            Bytes(5, UInt(1, 50)));
        var cot = Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, detail));
        var evt = TakProto.DecodeMessage(Bytes(2, cot)).Event!;
        Assert.Equal("FROM-XML", evt.Detail.ContactCallsign);
        Assert.Single(evt.Detail.Elements, e => e.Name == "contact");
        Assert.Equal("50", evt.Detail.Element("status")!.Attribute("battery"));
    }

    [Fact]
    public void Two_elements_with_the_same_typed_name_both_survive_protobuf()
    {
        var evt = CotXml.Decode(Sample.WithDetail("<contact callsign=\"A\"/><contact callsign=\"B\" phone=\"1\"/><status battery=\"5\"/><status battery=\"6\"/>"));
        var back = TakProto.DecodeMessage(TakProto.EncodeMessage(evt)).Event!;
        Assert.Equal(Sample.Canonical(evt), Sample.Canonical(back));
        Assert.Equal("A", back.Detail.ContactCallsign);
    }

    [Fact]
    public void Text_directly_inside_the_detail_survives_protobuf()
    {
        var evt = CotXml.Decode(Sample.WithDetail("note &amp; more<contact callsign=\"A\"/><remarks/>"));
        var back = TakProto.DecodeMessage(TakProto.EncodeMessage(evt)).Event!;
        Assert.Contains("note & more", back.Detail.Content.OfType<string>());
    }

    [Fact]
    public void A_message_with_only_tak_control_decodes_to_control_and_no_event()
    {
        var (evt, control) = TakProto.DecodeMessage(TakProto.EncodeMessage(null, new TakControl(1, 2, "ANDROID-1")));
        Assert.Null(evt);
        Assert.Equal(new TakControl(1, 2, "ANDROID-1"), control);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x18, 0x05 })]
    [InlineData(new byte[] { 0x12, 0x05, 0x00 })]
    [InlineData(new byte[] { 0x12 })]
    [InlineData(new byte[] { 0x00, 0x00 })]
    [InlineData(new byte[] { 0x13, 0x00 })]
    [InlineData(new byte[] { 0x10, 0x01 })]
    [InlineData(new byte[] { 0x12, 0x03, 0x0A, 0x01, 0xFF })]
    [InlineData(new byte[] { 0x12, 0x02, 0x51, 0x00 })]
    [InlineData(new byte[] { 0x3C, 0x65, 0x76, 0x65, 0x6E, 0x74 })]
    public void A_payload_that_is_not_a_tak_message_is_refused_as_bad_protobuf(byte[] payload)
        => Assert.Equal(CotRejectReason.BadProtobuf, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(payload)).Reason);

    [Fact]
    public void A_varint_longer_than_ten_bytes_is_refused_as_bad_varint()
        => Assert.Equal(CotRejectReason.BadVarint, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage([0x18, .. Enumerable.Repeat((byte)0xFF, 11), 0x01])).Reason);

    [Fact]
    public void An_event_without_uid_or_type_is_refused_as_missing_field()
    {
        Assert.Equal(CotRejectReason.MissingField, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Str(1, "a-f-G")))).Reason);
        Assert.Equal(CotRejectReason.MissingField, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Str(5, "u")))).Reason);
    }

    [Theory]
    [InlineData(10, 90.5)]
    [InlineData(10, -91)]
    [InlineData(11, 180.01)]
    public void Coordinates_out_of_range_are_refused_as_bad_coordinate(int field, double value)
        => Assert.Equal(CotRejectReason.BadCoordinate, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Double(field, value))))).Reason);

    [Theory]
    [InlineData(10, double.NaN)]
    [InlineData(12, double.PositiveInfinity)]
    [InlineData(14, double.NegativeInfinity)]
    public void A_point_value_that_is_not_finite_is_refused_as_bad_number(int field, double value)
        => Assert.Equal(CotRejectReason.BadNumber, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Double(field, value))))).Reason);

    [Fact]
    public void A_time_too_far_in_the_future_is_refused_as_bad_time()
    {
        var future = CotTime.ToUnixMilliseconds(DateTime.UtcNow.AddDays(3));
        Assert.Equal(CotRejectReason.BadTime, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), UInt(6, future))))).Reason);
        Assert.Equal(CotRejectReason.BadTime, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), UInt(7, ulong.MaxValue))))).Reason);
    }

    public static TheoryData<string, byte[]> StringFieldsWithControlCharacters()
    {
        var data = new TheoryData<string, byte[]>();
        string[] hostile = ["\u0001\u0000", "\u001b[2J\u001b[31mRED"];
        foreach (var bad in hostile)
        {
            foreach (var (name, field) in new[] { ("type", 1), ("access", 2), ("qos", 3), ("opex", 4), ("uid", 5), ("how", 9), ("caveat", 16), ("releasableTo", 17) })
            {
                var fields = new List<byte[]> { Str(1, "a-f-G"), Str(5, "u-1") };
                fields.RemoveAll(f => field is 1 or 5 && f[0] == Tag(field, 2)[0]);
                fields.Add(Str(field, bad));
                data.Add(name, Bytes(2, Concat([.. fields])));
            }

            data.Add("xmlDetail", Bytes(2, Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, Str(1, "<remarks>" + bad + "</remarks>")))));
            data.Add("contact callsign", Bytes(2, Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, Bytes(2, Str(2, bad))))));
            data.Add("group name", Bytes(2, Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, Bytes(3, Str(1, bad))))));
            data.Add("takv device", Bytes(2, Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, Bytes(6, Str(1, bad))))));
            data.Add("takControl contactUid", Bytes(1, Concat(UInt(1, 1), UInt(2, 1), Str(3, bad))));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StringFieldsWithControlCharacters))]
    public void A_control_character_in_any_protobuf_string_field_is_refused_as_the_xml_decoder_refuses_it(string field, byte[] payload)
    {
        var refusal = Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(payload));
        Assert.True(refusal.Reason == CotRejectReason.ControlCharacter, $"{field}: {refusal.Reason}: {refusal.Message}");
    }

    [Fact]
    public void Tab_line_feed_and_carriage_return_pass_in_protobuf_strings_as_they_do_in_xml()
    {
        var evt = TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a-f-G"), Str(5, "u-1"), Bytes(15, Str(1, "<remarks>one\ttwo\r\nthree</remarks>"))))).Event!;
        Assert.Contains("one\ttwo", evt.Detail.InnerXml, StringComparison.Ordinal);
    }

    [Fact]
    public void An_xml_detail_that_is_not_well_formed_is_refused_with_the_xml_reason()
    {
        Assert.Equal(CotRejectReason.MalformedXml, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Bytes(15, Str(1, "<a></b>")))))).Reason);
        Assert.Equal(CotRejectReason.DtdForbidden, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Bytes(15, Str(1, "<!DOCTYPE x><a/>")))))).Reason);
        Assert.Equal(CotRejectReason.EntityForbidden, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Bytes(15, Str(1, "<a>&lol;</a>")))))).Reason);
    }

    [Fact]
    public void A_message_larger_than_the_limit_is_refused_as_oversize()
    {
        var payload = TakProto.EncodeMessage(CotXml.Decode(Sample.Position));
        Assert.Equal(CotRejectReason.Oversize, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(payload, new CotLimits { MaxEventBytes = 100 })).Reason);
    }
}
