using System.Buffers;
using System.Text;

namespace Kizuna.Cot.Tests;

/// <summary>Events and byte sequences for the codec tests.</summary>
internal static class Sample
{
    public const string Position =
        "<event version=\"2.0\" uid=\"ANDROID-1\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"2026-11-22T09:00:00.123Z\" start=\"2026-11-22T09:00:00.123Z\" stale=\"2026-11-22T09:05:00Z\" access=\"SECRET\" caveat=\"NOFORN\" releasableTo=\"USA,JPN\" qos=\"1-r-c\" opex=\"e-EXERCISE\" x-unit=\"7\">"
        + "<point lat=\"35.6812\" lon=\"139.7671\" hae=\"40.5\" ce=\"9.9\" le=\"9999999\"/>"
        + "<detail><contact endpoint=\"*:-1:stcp\" callsign=\"さくら-1\"/><__group name=\"Cyan\" role=\"Team Member\"/>"
        + "<takv device=\"Pixel\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.3\"/><track speed=\"1.5\" course=\"270.25\"/><status battery=\"88\"/>"
        + "<remarks>서울 → 東京 → الرياض</remarks><custom a=\"1\"><nested b=\"2\">text</nested></custom></detail></event>";

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A sequence made of the given chunks, each its own segment.</summary>
    public static ReadOnlySequence<byte> Segments(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Feeds <paramref name="stream"/> to a reader in the given pieces, as a connection would, and collects what it reports.</summary>
    public static List<(ReadStatus Status, CotEvent? Event, CotReject Reject)> Feed(ICotStreamReader reader, byte[] stream, int pieceSize)
    {
        var results = new List<(ReadStatus, CotEvent?, CotReject)>();
        var pending = new List<byte>();
        for (var offset = 0; offset < stream.Length; offset += pieceSize)
        {
            pending.AddRange(stream.AsSpan(offset, Math.Min(pieceSize, stream.Length - offset)).ToArray());
            // Split what is pending into two segments to exercise multi-segment paths.
            var all = pending.ToArray();
            var half = all.Length / 2;
            var buffer = Segments(all[..half], all[half..]);
            while (true)
            {
                var status = reader.TryRead(ref buffer, out var evt, out _, out var reject);
                if (status == ReadStatus.NeedMoreData)
                {
                    break;
                }

                results.Add((status, evt, reject));
                if (status == ReadStatus.Fatal)
                {
                    return results;
                }
            }

            pending = [.. buffer.ToArray()];
        }

        return results;
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
