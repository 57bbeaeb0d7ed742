using System.Buffers;
using System.Text;

namespace Kizuna.Cot.Tests;

public sealed class StreamReaderTests
{
    private static readonly string Second = Sample.Position.Replace("ANDROID-1", "ANDROID-2", StringComparison.Ordinal);

    [Fact]
    public void Events_back_to_back_with_newlines_declarations_and_comments_all_decode()
    {
        var stream = Sample.Bytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Sample.Position + Second + "\r\n<!-- keepalive -->\n<?xml version=\"1.0\"?>" + Sample.Position + "\n");
        var results = Sample.Feed(new CotXmlStreamReader(), stream, stream.Length);
        Assert.All(results, r => Assert.Equal(ReadStatus.Event, r.Status));
        Assert.Equal(["ANDROID-1", "ANDROID-2", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void A_stream_split_at_every_byte_decodes_identically()
    {
        var stream = Sample.Bytes(Sample.Position + "\n" + Second);
        var whole = Sample.Feed(new CotXmlStreamReader(), stream, stream.Length).Select(r => Encoding.UTF8.GetString(CotXml.Encode(r.Event!))).ToList();
        Assert.Equal(2, whole.Count);
        foreach (var piece in new[] { 1, 2, 3, 7, 64, 333 })
        {
            var split = Sample.Feed(new CotXmlStreamReader(), stream, piece).Select(r => Encoding.UTF8.GetString(CotXml.Encode(r.Event!))).ToList();
            Assert.Equal(whole, split);
        }
    }

    [Fact]
    public void Every_strict_prefix_of_an_event_consumes_nothing_and_asks_for_more()
    {
        var bytes = Sample.Bytes(Sample.Position);
        for (var length = 1; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            var status = new CotXmlStreamReader().TryRead(ref buffer, out _, out _, out _);
            Assert.Equal(ReadStatus.NeedMoreData, status);
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Binary_garbage_between_events_is_refused_once_and_the_next_event_is_read()
    {
        var stream = Sample.Bytes(Sample.Position).Concat(new byte[] { 0, 1, 2, 0xFF, 0xFE }).Concat(Sample.Bytes(Second)).ToArray();
        var results = Sample.Feed(new CotXmlStreamReader(), stream, stream.Length);
        Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BinaryGarbage, results[1].Reject.Reason);
        Assert.Equal("ANDROID-2", results[2].Event!.Uid);
    }

    [Fact]
    public void A_doctype_is_refused_and_the_reader_resumes_at_the_next_event()
    {
        var laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>";
        var stream = Sample.Bytes(laughs + Sample.Position);
        var results = Sample.Feed(new CotXmlStreamReader(), stream, 5);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.DtdForbidden, results[0].Reject.Reason);
    }

    [Fact]
    public void An_oversized_event_arriving_in_small_pieces_is_refused_and_the_next_event_is_read()
    {
        var huge = Sample.Position.Replace("<remarks>", "<remarks>" + new string('x', 100_000), StringComparison.Ordinal);
        var stream = Sample.Bytes(huge + Second);
        foreach (var piece in new[] { 1000, 4096, stream.Length })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.Oversize, results[0].Reject.Reason);
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void A_whole_but_invalid_event_is_refused_with_its_reason_and_skipped()
    {
        var bad = Sample.Position.Replace("lat=\"35.6812\"", "lat=\"135\"", StringComparison.Ordinal);
        var results = Sample.Feed(new CotXmlStreamReader(), Sample.Bytes(bad + Second), 17);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadCoordinate, results[0].Reject.Reason);
    }

    [Fact]
    public void More_than_a_mebibyte_of_garbage_without_an_event_is_fatal()
    {
        var garbage = Enumerable.Repeat((byte)'z', CotXmlStreamReader.MaxSkipBytes + 10).ToArray();
        var results = Sample.Feed(new CotXmlStreamReader(), garbage, 65536);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
    }
}
