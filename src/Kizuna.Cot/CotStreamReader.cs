using System.Buffers;

namespace Kizuna.Cot;

public enum ReadStatus
{
    /// <summary>No whole message yet; nothing consumed beyond skipped whitespace. Read more bytes.</summary>
    NeedMoreData,
    /// <summary>An event was decoded; the buffer was advanced past it.</summary>
    Event,
    /// <summary>A TAK control message (no event) was decoded; buffer advanced. Only protobuf streams.</summary>
    Control,
    /// <summary>Input was refused and skipped (buffer advanced); the stream can go on.</summary>
    Rejected,
    /// <summary>The stream cannot resynchronise; the connection should be closed.</summary>
    Fatal,
}

/// <summary>
/// Stateful decoder for one connection's byte stream (CoT XML or TAK protocol v1 frames).
/// Pure with respect to I/O: the caller owns the buffer and reads; this only slices it.
/// <c>TryRead</c> advances <paramref name="buffer"/> past what it consumed.
/// </summary>
public interface ICotStreamReader
{
    ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject);
}
