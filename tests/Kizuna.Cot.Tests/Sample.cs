using System.Buffers;
using System.Globalization;
using System.Text;

namespace Kizuna.Cot.Tests;

/// <summary>One thing a stream reader reported.</summary>
internal sealed record ReadResult(ReadStatus Status, CotEvent? Event, TakControl? Control, CotReject Reject);

/// <summary>Events, byte sequences and stream feeding for the codec tests.</summary>
internal static class Sample
{
    /// <summary>A position report with every event field, typed and unknown detail elements, and three scripts.</summary>
    public const string Position =
        "<event version=\"2.0\" uid=\"ANDROID-1\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"2026-11-22T09:00:00.123Z\" start=\"2026-11-22T09:00:00.123Z\" stale=\"2026-11-22T09:05:00Z\" access=\"SECRET\" caveat=\"NOFORN\" releasableTo=\"USA,JPN\" qos=\"1-r-c\" opex=\"e-EXERCISE\" x-unit=\"7\">"
        + "<point lat=\"35.6812\" lon=\"139.7671\" hae=\"40.5\" ce=\"9.9\" le=\"9999999\"/>"
        + "<detail><contact endpoint=\"*:-1:stcp\" callsign=\"さくら-1\"/><__group name=\"Cyan\" role=\"Team Member\"/>"
        + "<takv device=\"Pixel\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.3\"/><track speed=\"1.5\" course=\"270.25\"/><status battery=\"88\"/>"
        + "<remarks>서울 → 東京 → الرياض</remarks><custom a=\"1\"><nested b=\"2\">text</nested></custom></detail></event>";

    /// <summary>The same event as <see cref="Position"/> with another uid.</summary>
    public static readonly string Second = Position.Replace("ANDROID-1", "ANDROID-2", StringComparison.Ordinal);

    /// <summary>A minimal valid event; <paramref name="inside"/> goes after the start tag, <paramref name="attributes"/> into it.</summary>
    public static string Minimal(string uid = "u-1", string attributes = "", string inside = "<point lat=\"1\" lon=\"2\" hae=\"3\" ce=\"4\" le=\"5\"/>")
        => $"<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"{attributes}>{inside}</event>";

    /// <summary>A minimal valid event holding this inner detail XML.</summary>
    public static string WithDetail(string innerDetail, string uid = "u-1")
        => Minimal(uid, inside: "<point lat=\"1\" lon=\"2\" hae=\"3\" ce=\"4\" le=\"5\"/><detail>" + innerDetail + "</detail>");

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);

    /// <summary>A sequence made of the given chunks, each its own segment (empty chunks included).</summary>
    public static ReadOnlySequence<byte> Segments(params byte[][] chunks) => Segments(chunks.Select(c => (ReadOnlyMemory<byte>)c).ToList());

    public static ReadOnlySequence<byte> Segments(IReadOnlyList<ReadOnlyMemory<byte>> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="stream"/> cut into pieces of <paramref name="size"/> bytes (the last one shorter).</summary>
    public static IEnumerable<byte[]> Pieces(byte[] stream, int size)
    {
        for (var offset = 0; offset < stream.Length; offset += size)
        {
            yield return stream[offset..Math.Min(stream.Length, offset + size)];
        }
    }

    /// <summary><paramref name="stream"/> cut in two at <paramref name="at"/>.</summary>
    public static IEnumerable<byte[]> SplitAt(byte[] stream, int at) => [stream[..at], stream[at..]];

    /// <summary>
    /// Feeds the chunks to a reader as a connection would: each chunk arrives as its own segment
    /// appended to what the reader left unconsumed, and the reader is asked until it needs more.
    /// Fails if the reader reports something without consuming a byte (it would loop forever).
    /// </summary>
    public static List<ReadResult> Feed(ICotStreamReader reader, IEnumerable<byte[]> chunks)
    {
        var results = new List<ReadResult>();
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (var chunk in chunks)
        {
            pending.Add(chunk);
            var buffer = Segments(pending);
            while (true)
            {
                var before = buffer.Length;
                var status = reader.TryRead(ref buffer, out var evt, out var control, out var reject);
                if (status == ReadStatus.NeedMoreData)
                {
                    break;
                }

                results.Add(new ReadResult(status, evt, control, reject));
                if (status == ReadStatus.Fatal)
                {
                    return results;
                }

                Assert.True(buffer.Length < before, $"{status} reported without consuming anything");
            }

            pending.Clear();
            foreach (var memory in buffer)
            {
                if (!memory.IsEmpty)
                {
                    pending.Add(memory);
                }
            }
        }

        return results;
    }

    public static List<ReadResult> Feed(ICotStreamReader reader, byte[] stream, int pieceSize) => Feed(reader, Pieces(stream, pieceSize));

    /// <summary>
    /// Everything about an event in one string, for comparisons with a readable diff. The detail is
    /// the multiset of its top-level elements (protobuf puts typed elements first); with
    /// <paramref name="milliseconds"/> times are cut to what protobuf carries; with
    /// <paramref name="unsignedZero"/> a -0 in the point is 0, as protobuf carries it (proto3 writes no
    /// value equal to its default, and -0 equals 0).
    /// </summary>
    public static string Canonical(CotEvent e, bool milliseconds = false, bool extraAttributes = true, bool unsignedZero = false)
    {
        string T(DateTime t) => (milliseconds ? new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc) : t).ToString("O", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"uid={e.Uid}\ntype={e.Type}\nhow={e.How}\ntime={T(e.Time)}\nstart={T(e.Start)}\nstale={T(e.Stale)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"access={e.Access}\nqos={e.Qos}\nopex={e.Opex}\ncaveat={e.Caveat}\nreleasableTo={e.ReleasableTo}\n");
        double P(double v) => unsignedZero && v == 0 ? 0.0 : v;
        sb.Append(CultureInfo.InvariantCulture, $"point={P(e.Point.Lat):R},{P(e.Point.Lon):R},{P(e.Point.Hae):R},{P(e.Point.Ce):R},{P(e.Point.Le):R}\n");
        if (extraAttributes)
        {
            foreach (var (key, value) in e.ExtraAttributes)
            {
                sb.Append(CultureInfo.InvariantCulture, $"extra {key}={value}\n");
            }
        }

        foreach (var element in e.Detail.Elements.Select(x => x.ToXml()).Order(StringComparer.Ordinal))
        {
            sb.Append("detail ").Append(element).Append('\n');
        }

        return sb.ToString();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
