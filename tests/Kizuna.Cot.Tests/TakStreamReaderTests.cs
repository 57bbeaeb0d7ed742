using System.Buffers;
using static Kizuna.Cot.Tests.ProtoBytes;

namespace Kizuna.Cot.Tests;

public sealed class TakStreamReaderTests
{
    private static readonly byte[] First = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Position));
    private static readonly byte[] Second = TakProto.EncodeStreamFrame(CotXml.Decode(Sample.Second));
    private static readonly byte[] ControlFrame = Frame(TakProto.EncodeMessage(null, new TakControl(1, 1, "ANDROID-1")));

    private static List<ReadResult> ReadWhole(byte[] stream) => Sample.Feed(new TakStreamReader(), [stream]);

    private static string Describe(IEnumerable<ReadResult> results)
        => string.Join("\n", results.Select(r => r.Status switch
        {
            ReadStatus.Event => "event " + Sample.Canonical(r.Event!),
            ReadStatus.Control => "control " + r.Control,
            _ => $"{r.Status} {r.Reject.Reason}",
        }));

    [Fact]
    public void Frames_back_to_back_all_decode()
    {
        var results = ReadWhole([.. First, .. Second, .. First]);
        Assert.Equal(["ANDROID-1", "ANDROID-2", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void A_frame_with_only_tak_control_reads_as_control()
    {
        var buffer = new ReadOnlySequence<byte>(ControlFrame);
        Assert.Equal(ReadStatus.Control, new TakStreamReader().TryRead(ref buffer, out var evt, out var control, out _));
        Assert.Null(evt);
        Assert.Equal(new TakControl(1, 1, "ANDROID-1"), control);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void A_frame_with_an_event_and_tak_control_reads_as_an_event_with_its_control()
    {
        var buffer = new ReadOnlySequence<byte>(Frame(TakProto.EncodeMessage(CotXml.Decode(Sample.Position), new TakControl(1, 1, null))));
        Assert.Equal(ReadStatus.Event, new TakStreamReader().TryRead(ref buffer, out var evt, out var control, out _));
        Assert.Equal("ANDROID-1", evt!.Uid);
        Assert.Equal(new TakControl(1, 1, null), control);
    }

    private static byte[] MixedStream() => [.. First, .. ControlFrame, .. Second, 0x0A, .. First, 1, 2, 3, 4, .. Second];

    [Fact]
    public void Frames_split_at_every_byte_position_decode_identically()
    {
        var stream = MixedStream();
        var whole = Describe(ReadWhole(stream));
        Assert.Equal([ReadStatus.Event, ReadStatus.Control, ReadStatus.Event, ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], ReadWhole(stream).Select(r => r.Status));
        for (var at = 1; at < stream.Length; at++)
        {
            var split = Describe(Sample.Feed(new TakStreamReader(), Sample.SplitAt(stream, at)));
            Assert.True(whole == split, $"split at {at}:\n{split}");
        }
    }

    [Fact]
    public void Frames_fed_byte_by_byte_as_a_multi_segment_sequence_decode_identically()
    {
        var stream = MixedStream();
        var whole = Describe(ReadWhole(stream));
        foreach (var piece in new[] { 1, 2, 3, 5, 64 })
        {
            Assert.Equal(whole, Describe(Sample.Feed(new TakStreamReader(), stream, piece)));
        }
    }

    [Fact]
    public void Every_strict_prefix_of_a_frame_asks_for_more_and_consumes_nothing()
    {
        for (var length = 1; length < First.Length; length++)
        {
            foreach (var start in new[] { new ReadOnlySequence<byte>(First, 0, length), Sample.Segments(First[..(length / 2)], First[(length / 2)..length]) })
            {
                var buffer = start;
                Assert.Equal(ReadStatus.NeedMoreData, new TakStreamReader().TryRead(ref buffer, out _, out _, out _));
                Assert.Equal(length, buffer.Length);
            }
        }
    }

    [Fact]
    public void A_bad_varint_is_refused_and_the_next_frame_is_read()
    {
        var results = ReadWhole([0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, .. First]);
        Assert.Equal(ReadStatus.Rejected, results[0].Status);
        Assert.Equal(CotRejectReason.BadVarint, results[0].Reject.Reason);
        Assert.Equal(ReadStatus.Event, results[^1].Status);
        Assert.Equal("ANDROID-1", results[^1].Event!.Uid);
    }

    [Fact]
    public void A_length_over_32_bits_is_refused_as_bad_varint_and_the_next_frame_is_read()
    {
        var results = ReadWhole([0xBF, 0x80, 0x80, 0x80, 0x80, 0x10, .. First]);
        Assert.Equal(CotRejectReason.BadVarint, results[0].Reject.Reason);
        Assert.Equal("ANDROID-1", results[^1].Event!.Uid);
    }

    [Fact]
    public void A_lying_length_over_the_limit_is_refused_as_bad_length_and_the_next_frame_is_read()
    {
        // 0x80 0xAD 0xE2 0x04 is 10,000,000: far over the 64 KiB limit, and the bytes it claims never come.
        var results = ReadWhole([0xBF, 0x80, 0xAD, 0xE2, 0x04, 1, 2, 3, .. First]);
        Assert.Equal(ReadStatus.Rejected, results[0].Status);
        Assert.Equal(CotRejectReason.BadLength, results[0].Reject.Reason);
        Assert.Equal(ReadStatus.Event, results[^1].Status);
        Assert.Equal("ANDROID-1", results[^1].Event!.Uid);
    }

    [Fact]
    public void A_length_just_over_a_custom_limit_is_refused_as_bad_length_before_the_payload_arrives()
    {
        var reader = new TakStreamReader(new CotLimits { MaxEventBytes = 100 });
        var buffer = new ReadOnlySequence<byte>(First[..3]);
        Assert.Equal(ReadStatus.Rejected, reader.TryRead(ref buffer, out _, out _, out var reject));
        Assert.Equal(CotRejectReason.BadLength, reject.Reason);
    }

    [Fact]
    public void A_payload_that_is_not_a_tak_message_is_refused_as_bad_protobuf_and_skipped_whole()
    {
        var results = ReadWhole([0xBF, 0x03, 0x12, 0x05, 0x00, .. First]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadProtobuf, results[0].Reject.Reason);
    }

    [Fact]
    public void An_empty_payload_is_refused_as_bad_protobuf()
    {
        var results = ReadWhole([0xBF, 0x00, .. First]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadProtobuf, results[0].Reject.Reason);
    }

    [Fact]
    public void A_well_formed_message_with_an_invalid_event_is_refused_with_its_reason_and_skipped()
    {
        var badLat = Frame(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), Double(10, 91))));
        var results = ReadWhole([.. badLat, .. First]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadCoordinate, results[0].Reject.Reason);
    }

    [Fact]
    public void An_event_too_far_in_the_future_by_the_readers_clock_is_refused_as_bad_time()
    {
        var reader = new TakStreamReader { Clock = () => new DateTime(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc) };
        var results = Sample.Feed(reader, [[.. First, .. ControlFrame]]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Control], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadTime, results[0].Reject.Reason);
    }

    [Theory]
    [InlineData(0x0A)]
    [InlineData(0x00)]
    [InlineData(0x3C)]
    public void One_stray_byte_after_a_frame_is_skipped_silently(byte stray)
    {
        byte[] stream = [.. First, stray, .. Second, stray];
        foreach (var piece in new[] { stream.Length, First.Length, First.Length + 1, 1 })
        {
            var results = Sample.Feed(new TakStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Event, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void Several_garbage_bytes_between_frames_are_refused_once_as_binary_garbage()
    {
        var results = ReadWhole([.. First, 1, 2, 3, 4, .. Second]);
        Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BinaryGarbage, results[1].Reject.Reason);
    }

    [Fact]
    public void Garbage_between_frames_arriving_byte_by_byte_is_refused_once_as_when_it_arrives_whole()
    {
        byte[] stream = [.. First, 1, 2, 3, 4, 5, .. Second];
        foreach (var piece in new[] { stream.Length, 1, 2 })
        {
            var results = Sample.Feed(new TakStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.BinaryGarbage, results[1].Reject.Reason);
        }
    }

    [Fact]
    public void A_stray_byte_at_the_end_of_what_has_arrived_is_held_until_the_next_byte_tells_what_it_is()
    {
        var buffer = Sample.Segments(First, [0x0A]);
        var reader = new TakStreamReader();
        Assert.Equal(ReadStatus.Event, reader.TryRead(ref buffer, out _, out _, out _));
        Assert.Equal(ReadStatus.NeedMoreData, reader.TryRead(ref buffer, out _, out _, out _));
        Assert.Equal(1, buffer.Length);
    }

    [Fact]
    public void Xml_sent_on_a_protobuf_stream_is_refused_as_binary_garbage()
    {
        var results = ReadWhole([.. Sample.Bytes(Sample.Position), .. First]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BinaryGarbage, results[0].Reject.Reason);
    }

    [Fact]
    public void More_than_a_mebibyte_without_a_frame_is_fatal()
    {
        var garbage = Enumerable.Repeat((byte)0x41, CotLimits.Default.MaxSkipBytes + 65536).ToArray();
        var results = Sample.Feed(new TakStreamReader(), garbage, 65536);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
    }

    [Fact]
    public void More_than_a_mebibyte_of_lying_lengths_is_fatal()
    {
        byte[] lie = [0xBF, 0x80, 0xAD, 0xE2, 0x04];
        var stream = Enumerable.Repeat(lie, (CotLimits.Default.MaxSkipBytes / lie.Length) + 10).SelectMany(b => b).ToArray();
        var results = Sample.Feed(new TakStreamReader(), stream, 65536);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
    }
}
