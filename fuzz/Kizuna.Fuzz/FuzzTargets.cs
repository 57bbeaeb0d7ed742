using System.Buffers;
using Kizuna.Cot;

namespace Kizuna.Fuzz;

/// <summary>
/// What a fuzz input is run through, shared by the SharpFuzz harness (fuzz/Kizuna.Fuzz) and the
/// smoke fuzz and regression tests (tests/Kizuna.Cot.Tests links this file). A refusal is the
/// expected answer to bad input; anything else that escapes (an exception other than
/// <see cref="CotFormatException"/>, a reader that reports without consuming) is a finding.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The clock the readers see, fixed so that an input decodes the same way every run.</summary>
    public static readonly DateTime Now = new(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc);

    /// <summary>The CoT XML stream reader over the input (whole, then cut in two where its first byte says), and the single-event decoder.</summary>
    public static void Xml(ReadOnlySpan<byte> input)
    {
        Stream(() => new CotXmlStreamReader { Clock = () => Now }, input);
        try
        {
            CotXml.Decode(input);
        }
        catch (CotFormatException)
        {
        }
    }

    /// <summary>The TAK protobuf stream reader over the input (whole, then cut in two), the message decoder and the mesh decoder.</summary>
    public static void Tak(ReadOnlySpan<byte> input)
    {
        Stream(() => new TakStreamReader { Clock = () => Now }, input);
        try
        {
            TakProto.DecodeMessage(input);
        }
        catch (CotFormatException)
        {
        }

        try
        {
            TakProto.DecodeMeshDatagram(input);
        }
        catch (CotFormatException)
        {
        }
    }

    private static void Stream(Func<ICotStreamReader> create, ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        Feed(create(), [bytes]);
        if (bytes.Length > 1)
        {
            var at = 1 + (bytes[0] % (bytes.Length - 1));
            Feed(create(), [bytes[..at], bytes[at..]]);
        }
    }

    /// <summary>Feeds the chunks as a connection would, each appended to what is left unconsumed.</summary>
    private static void Feed(ICotStreamReader reader, byte[][] chunks)
    {
        var pending = new List<byte[]>();
        foreach (var chunk in chunks)
        {
            pending.Add(chunk);
            var buffer = Sequence(pending);
            while (true)
            {
                var before = buffer.Length;
                var status = reader.TryRead(ref buffer, out _, out _, out _);
                if (status is ReadStatus.NeedMoreData or ReadStatus.Fatal)
                {
                    break;
                }

                if (buffer.Length >= before)
                {
                    throw new InvalidOperationException($"{reader.GetType().Name} reported {status} without consuming a byte: it would loop forever");
                }
            }

            pending = [buffer.ToArray()];
        }
    }

    private static ReadOnlySequence<byte> Sequence(List<byte[]> chunks)
    {
        if (chunks.Count == 1)
        {
            return new ReadOnlySequence<byte>(chunks[0]);
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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
