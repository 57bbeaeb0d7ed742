using System.Buffers;

namespace Kizuna.Cot.Tests;

public sealed class TakProtoTests
{
    [Fact]
    public void A_stream_frame_round_trips_every_field()
    {
        var evt = CotXml.Decode(Sample.Position);
        var frame = TakProto.EncodeStreamFrame(evt);
        Assert.Equal(0xBF, frame[0]);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(ReadStatus.Event, new TakStreamReader().TryRead(ref buffer, out var back, out _, out _));
        Assert.True(buffer.IsEmpty);
        AssertSame(evt, back!);
    }

    [Fact]
    public void A_mesh_datagram_starts_with_the_magic_header_and_round_trips()
    {
        var evt = CotXml.Decode(Sample.Position);
        var datagram = TakProto.EncodeMeshDatagram(evt);
        Assert.Equal([0xBF, 0x01, 0xBF], datagram[..3]);
        AssertSame(evt, TakProto.DecodeMeshDatagram(datagram));
    }

    [Fact]
    public void Elements_with_a_typed_message_use_it_and_everything_else_rides_in_xml_detail()
    {
        var evt = CotXml.Decode(Sample.Position);
        var payload = TakProto.EncodeMessage(evt);
        var xmlDetail = ReadXmlDetail(payload);
        Assert.DoesNotContain("<contact", xmlDetail, StringComparison.Ordinal);
        Assert.DoesNotContain("<takv", xmlDetail, StringComparison.Ordinal);
        Assert.Contains("<remarks>", xmlDetail, StringComparison.Ordinal);
        Assert.Contains("<custom a=\"1\">", xmlDetail, StringComparison.Ordinal);

        // A contact with an attribute the typed message cannot hold travels whole in xmlDetail.
        var odd = CotXml.Decode(Sample.Position.Replace("<contact ", "<contact phone=\"123\" ", StringComparison.Ordinal));
        Assert.Contains("phone=\"123\"", ReadXmlDetail(TakProto.EncodeMessage(odd)), StringComparison.Ordinal);
        Assert.Equal("123", TakProto.DecodeMessage(TakProto.EncodeMessage(odd)).Event!.Detail.Element("contact")!.Attribute("phone"));
    }

    [Fact]
    public void When_an_element_is_both_typed_and_in_xml_detail_the_xml_detail_copy_wins()
    {
        // detail { xmlDetail: "<contact callsign=\"FROM-XML\"/>", contact { callsign: "FROM-TYPED" } }
        var contact = Message(Field(2, "FROM-TYPED"));
        var detail = Message([.. Field(1, "<contact callsign=\"FROM-XML\"/>"), .. Tagged(2, contact)]);
        var cot = Message([.. Field(1, "a-f-G"), .. Field(5, "u-1"), .. Tagged(15, detail)]);
        var (evt, _) = TakProto.DecodeMessage(Tagged(2, cot));
        Assert.Equal("FROM-XML", evt!.Detail.ContactCallsign);
        Assert.Single(evt.Detail.Elements, e => e.Name == "contact");
    }

    [Fact]
    public void The_encoder_writes_the_field_numbers_of_the_published_proto()
    {
        var evt = new CotEvent
        {
            Uid = "u",
            Type = "a",
            Time = DateTime.UnixEpoch.AddMilliseconds(1),
            Start = DateTime.UnixEpoch.AddMilliseconds(2),
            Stale = DateTime.UnixEpoch.AddMilliseconds(3),
            Point = new CotPoint(0, 0, 0, 0, 0),
        };
        // TakMessage.cotEvent (2) { type (1) "a", uid (5) "u", sendTime (6) 1, startTime (7) 2, staleTime (8) 3 }
        byte[] expected = [0x12, 0x0C, 0x0A, 0x01, (byte)'a', 0x2A, 0x01, (byte)'u', 0x30, 0x01, 0x38, 0x02, 0x40, 0x03];
        Assert.Equal(expected, TakProto.EncodeMessage(evt));
    }

    [Fact]
    public void A_frame_with_only_tak_control_reads_as_control()
    {
        var payload = TakProto.EncodeMessage(null, new TakControl(1, 1, "ANDROID-1"));
        var buffer = new ReadOnlySequence<byte>([0xBF, (byte)payload.Length, .. payload]);
        Assert.Equal(ReadStatus.Control, new TakStreamReader().TryRead(ref buffer, out _, out var control, out _));
        Assert.Equal(new TakControl(1, 1, "ANDROID-1"), control);
    }

    [Fact]
    public void A_bad_varint_is_refused_and_the_next_frame_is_read()
    {
        var good = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Position));
        var results = Sample.Feed(new TakStreamReader(), [0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, .. good], 1000);
        Assert.Equal(CotRejectReason.BadVarint, results[0].Reject.Reason);
        Assert.Equal(ReadStatus.Event, results[^1].Status);
    }

    [Fact]
    public void A_lying_length_over_the_limit_is_refused_and_the_next_frame_is_read()
    {
        var good = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Position));
        var results = Sample.Feed(new TakStreamReader(), [0xBF, 0x80, 0xAD, 0xE2, 0x04, 1, 2, 3, .. good], 1000);
        Assert.Equal(CotRejectReason.BadLength, results[0].Reject.Reason);
        Assert.Equal(ReadStatus.Event, results[^1].Status);
    }

    [Fact]
    public void A_payload_that_is_not_a_tak_message_is_refused()
    {
        var results = Sample.Feed(new TakStreamReader(), [0xBF, 0x03, 0x12, 0x05, 0x00], 100);
        Assert.Equal(CotRejectReason.BadProtobuf, Assert.Single(results).Reject.Reason);
    }

    [Fact]
    public void One_stray_byte_after_a_frame_is_skipped_silently()
    {
        var good = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Position));
        var results = Sample.Feed(new TakStreamReader(), [.. good, 0x0A, .. good], 5000);
        Assert.Equal([ReadStatus.Event, ReadStatus.Event], results.Select(r => r.Status));
    }

    [Fact]
    public void Frames_split_at_every_byte_decode_identically()
    {
        var good = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Position));
        byte[] stream = [.. good, .. good];
        foreach (var piece in new[] { 1, 2, 5, 64 })
        {
            var results = Sample.Feed(new TakStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Event, ReadStatus.Event], results.Select(r => r.Status));
        }
    }

    internal static void AssertSame(CotEvent expected, CotEvent actual)
    {
        Assert.Equal(expected.Uid, actual.Uid);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.How, actual.How);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.Start, actual.Start);
        Assert.Equal(expected.Stale, actual.Stale);
        Assert.Equal(expected.Access, actual.Access);
        Assert.Equal(expected.Qos, actual.Qos);
        Assert.Equal(expected.Opex, actual.Opex);
        Assert.Equal(expected.Caveat, actual.Caveat);
        Assert.Equal(expected.ReleasableTo, actual.ReleasableTo);
        Assert.Equal(expected.Point, actual.Point);
        Assert.Equal(TopLevel(expected.Detail), TopLevel(actual.Detail));
    }

    /// <summary>Protobuf puts typed elements first, so details compare as multisets of top-level elements.</summary>
    internal static List<string> TopLevel(CotDetail detail) => [.. detail.Elements.Select(e => e.ToXml()).Order(StringComparer.Ordinal)];

    /// <summary>What travelled in xmlDetail: TakMessage.cotEvent (2) → detail (15) → xmlDetail (1), read by hand.</summary>
    private static string ReadXmlDetail(byte[] payload)
        => System.Text.Encoding.UTF8.GetString(Inner(Inner(Inner(payload, 2), 15), 1));

    private static byte[] Inner(byte[] message, int wantedField)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = message[i++];
            var field = tag >> 3;
            var wire = tag & 7;
            if (wire == 2)
            {
                var length = 0;
                var shift = 0;
                byte b;
                do
                {
                    b = message[i++];
                    length |= (b & 0x7F) << shift;
                    shift += 7;
                }
                while (b >= 0x80);
                if (field == wantedField)
                {
                    return message[i..(i + length)];
                }

                i += length;
            }
            else if (wire == 1)
            {
                i += 8;
            }
            else
            {
                while (message[i++] >= 0x80)
                {
                }
            }
        }

        return [];
    }

    private static byte[] Field(int number, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return [(byte)((number << 3) | 2), (byte)bytes.Length, .. bytes];
    }

    private static byte[] Tagged(int number, byte[] message) => [(byte)((number << 3) | 2), (byte)message.Length, .. message];

    private static byte[] Message(params byte[] bytes) => bytes;
}
