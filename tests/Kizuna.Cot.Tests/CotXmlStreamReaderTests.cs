using System.Buffers;

namespace Kizuna.Cot.Tests;

public sealed class CotXmlStreamReaderTests
{
    private static List<ReadResult> ReadWhole(byte[] stream, CotLimits? limits = null) => Sample.Feed(new CotXmlStreamReader(limits), [stream]);

    private static string Describe(IEnumerable<ReadResult> results)
        => string.Join("\n", results.Select(r => r.Status switch
        {
            ReadStatus.Event => "event " + Sample.Text(CotXml.Encode(r.Event!)),
            ReadStatus.Rejected or ReadStatus.Fatal => $"{r.Status} {r.Reject.Reason}",
            _ => r.Status.ToString(),
        }));

    [Fact]
    public void Events_back_to_back_without_anything_between_all_decode()
    {
        var results = ReadWhole(Sample.Bytes(Sample.Position + Sample.Second + Sample.Position));
        Assert.All(results, r => Assert.Equal(ReadStatus.Event, r.Status));
        Assert.Equal(["ANDROID-1", "ANDROID-2", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void Events_separated_by_newlines_as_node_tak_sends_them_all_decode()
    {
        var results = ReadWhole(Sample.Bytes(Sample.Position + "\n" + Sample.Second + "\r\n\r\n" + Sample.Position + "\n"));
        Assert.Equal(["ANDROID-1", "ANDROID-2", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void Xml_declarations_and_comments_between_events_are_skipped()
    {
        var stream = Sample.Bytes("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + Sample.Position
            + "<!-- keepalive -->\n<?xml version=\"1.0\"?>" + Sample.Second + "\n<!-- a <event> in a comment is not an event -->" + Sample.Position);
        var results = ReadWhole(stream);
        Assert.All(results, r => Assert.Equal(ReadStatus.Event, r.Status));
        Assert.Equal(["ANDROID-1", "ANDROID-2", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void A_self_closing_event_is_read()
    {
        var results = ReadWhole(Sample.Bytes("<event version=\"2.0\" uid=\"x\" type=\"t-x-c-t\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"/>" + Sample.Position));
        Assert.Equal(["x", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    [Fact]
    public void An_end_tag_inside_a_quoted_attribute_of_the_start_tag_does_not_end_the_event()
    {
        var results = ReadWhole(Sample.Bytes(Sample.Minimal(uid: "a</event>b") + Sample.Position));
        Assert.Equal(["a</event>b", "ANDROID-1"], results.Select(r => r.Event!.Uid));
    }

    private static byte[] MixedStream() =>
    [
        .. Sample.Bytes("<?xml version=\"1.0\"?>\n" + Sample.Position + "\n<!-- c -->" + Sample.Second + "\r\n"),
        .. "stray text "u8, 0x01, 0xFF, .. "more"u8,
        .. Sample.Bytes(Sample.Minimal(uid: "三") + "<junk/>" + Sample.Position),
    ];

    [Fact]
    public void A_stream_split_at_every_byte_position_decodes_identically()
    {
        var stream = MixedStream();
        var whole = Describe(ReadWhole(stream));
        Assert.Equal([ReadStatus.Event, ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], ReadWhole(stream).Select(r => r.Status));
        for (var at = 1; at < stream.Length; at++)
        {
            var split = Describe(Sample.Feed(new CotXmlStreamReader(), Sample.SplitAt(stream, at)));
            Assert.True(whole == split, $"split at {at}:\n{split}");
        }
    }

    [Fact]
    public void A_stream_fed_byte_by_byte_as_a_multi_segment_sequence_decodes_identically()
    {
        var stream = MixedStream();
        var whole = Describe(ReadWhole(stream));
        Assert.Equal(whole, Describe(Sample.Feed(new CotXmlStreamReader(), stream, 1)));
        foreach (var piece in new[] { 2, 3, 7, 64, 333 })
        {
            Assert.Equal(whole, Describe(Sample.Feed(new CotXmlStreamReader(), stream, piece)));
        }
    }

    [Fact]
    public void A_whole_stream_in_one_buffer_of_one_byte_segments_decodes_identically()
    {
        var stream = MixedStream();
        var buffer = Sample.Segments([.. stream.Select(b => new[] { b })]);
        var reader = new CotXmlStreamReader();
        var uids = new List<string>();
        ReadStatus status;
        while ((status = reader.TryRead(ref buffer, out var evt, out _, out _)) != ReadStatus.NeedMoreData)
        {
            uids.Add(evt?.Uid ?? status.ToString());
        }

        Assert.Equal(["ANDROID-1", "ANDROID-2", "Rejected", "三", "Rejected", "ANDROID-1"], uids);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Every_strict_prefix_of_an_event_asks_for_more_and_consumes_nothing()
    {
        var bytes = Sample.Bytes(Sample.Position);
        for (var length = 1; length < bytes.Length; length++)
        {
            foreach (var buffer0 in new[] { new ReadOnlySequence<byte>(bytes, 0, length), Sample.Segments(bytes[..(length / 2)], bytes[(length / 2)..length]) })
            {
                var buffer = buffer0;
                var status = new CotXmlStreamReader().TryRead(ref buffer, out var evt, out _, out _);
                Assert.Equal(ReadStatus.NeedMoreData, status);
                Assert.Null(evt);
                Assert.Equal(length, buffer.Length);
            }
        }
    }

    [Fact]
    public void Every_strict_prefix_after_leading_whitespace_consumes_only_the_whitespace()
    {
        const string lead = " \r\n\t\n";
        var bytes = Sample.Bytes(lead + Sample.Position);
        for (var length = lead.Length; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(ReadStatus.NeedMoreData, new CotXmlStreamReader().TryRead(ref buffer, out _, out _, out _));
            Assert.Equal(length - lead.Length, buffer.Length);
        }
    }

    [Fact]
    public void Every_strict_prefix_of_a_declaration_or_comment_before_an_event_consumes_nothing()
    {
        var bytes = Sample.Bytes("<?xml version=\"1.0\"?>");
        for (var length = 1; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(ReadStatus.NeedMoreData, new CotXmlStreamReader().TryRead(ref buffer, out _, out _, out _));
            Assert.Equal(length, buffer.Length);
        }

        bytes = Sample.Bytes("<!-- c -->");
        for (var length = 1; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(ReadStatus.NeedMoreData, new CotXmlStreamReader().TryRead(ref buffer, out _, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Binary_garbage_between_events_is_refused_and_the_next_event_is_read()
    {
        byte[] stream = [.. Sample.Bytes(Sample.Position), 0, 1, 2, 0xFF, 0xFE, 0x1B, .. Sample.Bytes(Sample.Second)];
        var results = ReadWhole(stream);
        Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BinaryGarbage, results[1].Reject.Reason);
        Assert.Equal("ANDROID-2", results[2].Event!.Uid);
    }

    [Fact]
    public void Garbage_between_events_arriving_in_pieces_is_refused_once_and_judged_whole()
    {
        byte[] stream = [.. Sample.Bytes(Sample.Position), .. "junk "u8, 0x01, 0x02, 0xFF, .. "text"u8, .. Sample.Bytes(Sample.Second)];
        foreach (var piece in new[] { stream.Length, 1, 2, 3 })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.BinaryGarbage, results[1].Reject.Reason);
        }
    }

    [Fact]
    public void A_long_garbage_run_is_refused_once_and_the_rest_of_it_skipped_quietly()
    {
        byte[] stream = [.. Sample.Bytes(Sample.Position), .. Enumerable.Repeat((byte)'z', 50_000), .. Sample.Bytes(Sample.Second)];
        foreach (var piece in new[] { stream.Length, 1000, 5000 })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        }
    }

    [Fact]
    public void Stray_text_between_events_is_refused_as_malformed_and_the_next_event_is_read()
    {
        var results = ReadWhole(Sample.Bytes(Sample.Position + "hello<junk/>" + Sample.Second));
        Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.All(results.Where(r => r.Status == ReadStatus.Rejected), r => Assert.Equal(CotRejectReason.MalformedXml, r.Reject.Reason));
        Assert.Equal("ANDROID-2", results[^1].Event!.Uid);
    }

    [Fact]
    public void Invalid_utf8_inside_an_event_is_refused_as_binary_garbage_and_the_next_event_is_read()
    {
        var parts = Sample.Position.Split("東京");
        byte[] stream = [.. Sample.Bytes(parts[0]), 0xE6, 0x9D, 0x41, .. Sample.Bytes(parts[1]), .. Sample.Bytes(Sample.Second)];
        foreach (var piece in new[] { stream.Length, 1, 10 })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.BinaryGarbage, results[0].Reject.Reason);
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void A_doctype_is_refused_and_the_reader_resumes_at_the_next_event()
    {
        var stream = Sample.Bytes("<!DOCTYPE event [<!ENTITY x \"y\">]>" + Sample.Position);
        foreach (var piece in new[] { stream.Length, 5, 1 })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.DtdForbidden, results[0].Reject.Reason);
        }
    }

    [Fact]
    public void A_billion_laughs_document_is_refused_at_its_dtd_and_the_next_event_is_read()
    {
        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
            + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
            + Sample.WithDetail("<remarks>&lol3;</remarks>", uid: "laughs") + Sample.Second;
        var results = ReadWhole(Sample.Bytes(laughs));
        Assert.Equal(CotRejectReason.DtdForbidden, results[0].Reject.Reason);
        Assert.Equal(ReadStatus.Event, results[^1].Status);
        Assert.Equal("ANDROID-2", results[^1].Event!.Uid);
        Assert.DoesNotContain(results, r => r.Event?.Uid == "laughs");
    }

    [Fact]
    public void A_bare_entity_reference_is_refused_as_entity_forbidden_and_the_next_event_is_read()
    {
        var results = ReadWhole(Sample.Bytes(Sample.WithDetail("<remarks>&lol;</remarks>") + Sample.Second));
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.EntityForbidden, results[0].Reject.Reason);
    }

    [Fact]
    public void An_oversized_event_is_refused_and_the_next_event_is_read()
    {
        var huge = Sample.Position.Replace("<remarks>", "<remarks>" + new string('x', 100_000), StringComparison.Ordinal);
        var results = ReadWhole(Sample.Bytes(huge + Sample.Second));
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.Oversize, results[0].Reject.Reason);
        Assert.Equal("ANDROID-2", results[1].Event!.Uid);
    }

    [Fact]
    public void An_oversized_event_arriving_in_many_small_pieces_is_refused_once_and_the_next_event_is_read()
    {
        var huge = Sample.Position.Replace("<remarks>", "<remarks>" + new string('x', 100_000), StringComparison.Ordinal);
        var stream = Sample.Bytes(huge + "\n" + Sample.Second);
        foreach (var piece in new[] { 97, 1000, 4096, 70_000 })
        {
            var results = Sample.Feed(new CotXmlStreamReader(), stream, piece);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal(CotRejectReason.Oversize, results[0].Reject.Reason);
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void An_oversized_event_whose_end_tag_is_split_across_pieces_is_discarded_through_it()
    {
        var limits = new CotLimits { MaxEventBytes = 1024 };
        var huge = Sample.Bytes(Sample.WithDetail("<remarks>" + new string('y', 5000) + "</remarks>", uid: "huge"));
        byte[] stream = [.. huge, .. Sample.Bytes(Sample.Second)];
        var endTag = huge.Length - "</event>".Length;
        for (var at = endTag - 1; at <= huge.Length; at++)
        {
            var results = Sample.Feed(new CotXmlStreamReader(limits), [stream[..2000], stream[2000..at], stream[at..]]);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void An_oversized_event_closed_by_an_end_tag_with_whitespace_is_discarded_through_it()
    {
        var limits = new CotLimits { MaxEventBytes = 1024 };
        var huge = Sample.WithDetail("<remarks>" + new string('y', 5000) + "</remarks>", uid: "huge").Replace("</event>", "</event \n>", StringComparison.Ordinal);
        var stream = Sample.Bytes(huge + Sample.Second);
        foreach (var piece in new[] { 100, 1000, stream.Length })
        {
            var results = Sample.Feed(new CotXmlStreamReader(limits), stream, piece);
            Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
            Assert.Equal("ANDROID-2", results[1].Event!.Uid);
        }
    }

    [Fact]
    public void Events_of_exactly_the_size_limit_are_read_and_one_byte_more_is_oversize()
    {
        var limits = new CotLimits { MaxEventBytes = 1000 };
        var shell = Sample.WithDetail("<remarks></remarks>", uid: "x");
        var exact = shell.Replace("<remarks>", "<remarks>" + new string('p', 1000 - shell.Length), StringComparison.Ordinal);
        var over = shell.Replace("<remarks>", "<remarks>" + new string('p', 1001 - shell.Length), StringComparison.Ordinal);
        Assert.Equal(1000, Sample.Bytes(exact).Length);
        Assert.Equal([ReadStatus.Event, ReadStatus.Rejected, ReadStatus.Event], Sample.Feed(new CotXmlStreamReader(limits), Sample.Bytes(exact + over + Sample.Minimal()), 100).Select(r => r.Status));
        Assert.Equal("x", CotXml.Decode(exact, limits).Uid);
        Assert.Equal(CotRejectReason.Oversize, Assert.Throws<CotFormatException>(() => CotXml.Decode(over, limits)).Reason);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_as_too_deep_and_the_next_event_is_read()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        var results = ReadWhole(Sample.Bytes(Sample.WithDetail(deep) + Sample.Second));
        Assert.Equal(CotRejectReason.TooDeep, results[0].Reject.Reason);
        Assert.Equal("ANDROID-2", results[1].Event!.Uid);
    }

    [Theory]
    [InlineData("lat=\"35.6812\"", "lat=\"135\"", CotRejectReason.BadCoordinate)]
    [InlineData("lat=\"35.6812\"", "lat=\"north\"", CotRejectReason.BadNumber)]
    [InlineData("uid=\"ANDROID-1\"", "uid=\"\"", CotRejectReason.MissingField)]
    [InlineData("stale=\"2026-11-22T09:05:00Z\"", "stale=\"soon\"", CotRejectReason.BadTime)]
    [InlineData("<custom a=\"1\">", "<custom a=\"1\" a=\"2\">", CotRejectReason.MalformedXml)]
    public void A_whole_but_invalid_event_is_refused_with_its_reason_and_skipped(string from, string to, CotRejectReason reason)
    {
        var bad = Sample.Position.Replace(from, to, StringComparison.Ordinal);
        var results = Sample.Feed(new CotXmlStreamReader(), Sample.Bytes(bad + Sample.Second), 17);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(reason, results[0].Reject.Reason);
    }

    [Fact]
    public void An_event_from_too_far_in_the_future_by_the_readers_clock_is_refused_as_bad_time()
    {
        var reader = new CotXmlStreamReader { Clock = () => new DateTime(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc) };
        var results = Sample.Feed(reader, [Sample.Bytes(Sample.Position + Sample.Minimal())]);
        Assert.Equal([ReadStatus.Rejected, ReadStatus.Event], results.Select(r => r.Status));
        Assert.Equal(CotRejectReason.BadTime, results[0].Reject.Reason);
    }

    [Fact]
    public void More_than_a_mebibyte_of_garbage_without_an_event_is_fatal()
    {
        var garbage = Enumerable.Repeat((byte)'z', CotLimits.Default.MaxSkipBytes + 10).ToArray();
        var results = Sample.Feed(new CotXmlStreamReader(), garbage, 65536);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
        Assert.DoesNotContain(results, r => r.Status == ReadStatus.Event);
    }

    [Fact]
    public void More_than_a_mebibyte_of_binary_garbage_arriving_in_small_pieces_is_fatal()
    {
        var garbage = Enumerable.Range(0, CotLimits.Default.MaxSkipBytes + 10).Select(i => (byte)(i % 7 == 0 ? 0xFF : 1)).ToArray();
        var results = Sample.Feed(new CotXmlStreamReader(), garbage, 1000);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
    }

    [Fact]
    public void An_endless_oversized_event_is_fatal_after_a_mebibyte()
    {
        byte[] stream = [.. Sample.Bytes("<event uid=\"x\" type=\"a\">"), .. Enumerable.Repeat((byte)'x', 2 * CotLimits.Default.MaxSkipBytes)];
        var results = Sample.Feed(new CotXmlStreamReader(), stream, 8192);
        Assert.Equal(ReadStatus.Fatal, results[^1].Status);
    }

    [Fact]
    public void Garbage_does_not_count_towards_fatal_once_a_good_event_has_been_read_between()
    {
        var chunk = Enumerable.Repeat((byte)'z', 700_000).ToArray();
        byte[] stream = [.. chunk, .. Sample.Bytes(Sample.Position), .. chunk, .. Sample.Bytes(Sample.Second)];
        var results = Sample.Feed(new CotXmlStreamReader(), stream, 65536);
        Assert.DoesNotContain(results, r => r.Status == ReadStatus.Fatal);
        Assert.Equal(["ANDROID-1", "ANDROID-2"], results.Where(r => r.Status == ReadStatus.Event).Select(r => r.Event!.Uid));
    }
}
