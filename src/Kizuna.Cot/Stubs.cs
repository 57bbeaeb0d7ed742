using System.Buffers;

namespace Kizuna.Cot;

// STUBS: the contract the server is built against. The codec work replaces each body
// (and may split these into files of their own); signatures stay.

/// <summary>CoT XML: encode one event; decode one event from a complete buffer.</summary>
public static class CotXml
{
    /// <summary>UTF-8 XML of one event, no XML declaration, no trailing newline.</summary>
    public static byte[] Encode(CotEvent evt) => throw new NotImplementedException();

    /// <summary>Writes the same bytes as <see cref="Encode"/> into a buffer writer.</summary>
    public static void Write(CotEvent evt, IBufferWriter<byte> output) => throw new NotImplementedException();

    /// <summary>Decodes exactly one event (an XML declaration and surrounding whitespace allowed).</summary>
    public static CotEvent Decode(ReadOnlySpan<byte> utf8, CotLimits? limits = null) => throw new NotImplementedException();
}

/// <summary>Reads CoT XML events back to back from a stream, split anywhere across reads.</summary>
public sealed class CotXmlStreamReader(CotLimits? limits = null) : ICotStreamReader
{
    public CotLimits Limits { get; } = limits ?? CotLimits.Default;

    public ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject)
        => throw new NotImplementedException();
}

/// <summary>Reads TAK protocol v1 stream frames (0xBF, varint length, TakMessage), resynchronising on 0xBF.</summary>
public sealed class TakStreamReader(CotLimits? limits = null) : ICotStreamReader
{
    public CotLimits Limits { get; } = limits ?? CotLimits.Default;

    public ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject)
        => throw new NotImplementedException();
}

/// <summary>TAK protocol v1 (package atakmap.commoncommo.protobuf.v1).</summary>
public static class TakProto
{
    /// <summary>A whole stream frame: 0xBF, varint length, TakMessage{cotEvent}.</summary>
    public static byte[] EncodeStreamFrame(CotEvent evt) => throw new NotImplementedException();

    /// <summary>A mesh datagram: 0xBF 0x01 0xBF, then TakMessage{cotEvent}.</summary>
    public static byte[] EncodeMeshDatagram(CotEvent evt) => throw new NotImplementedException();

    /// <summary>The TakMessage payload alone.</summary>
    public static byte[] EncodeMessage(CotEvent? evt, TakControl? control = null) => throw new NotImplementedException();

    /// <summary>Decodes a TakMessage payload (throws <see cref="CotFormatException"/>).</summary>
    public static (CotEvent? Event, TakControl? Control) DecodeMessage(ReadOnlySpan<byte> payload, CotLimits? limits = null)
        => throw new NotImplementedException();

    /// <summary>Decodes a mesh datagram (throws <see cref="CotFormatException"/>).</summary>
    public static CotEvent DecodeMeshDatagram(ReadOnlySpan<byte> datagram, CotLimits? limits = null)
        => throw new NotImplementedException();
}

/// <summary>The CoT control events of the TAK world: protocol negotiation and pings.</summary>
public static class TakControlEvents
{
    public const string ProtocolOfferType = "t-x-takp-v";
    public const string ProtocolRequestType = "t-x-takp-q";
    public const string ProtocolResponseType = "t-x-takp-r";
    public const string PingType = "t-x-c-t";
    public const string PongType = "t-x-c-t-r";

    /// <summary>The server's offer: &lt;TakControl&gt;&lt;TakProtocolSupport version="1"/&gt;&lt;/TakControl&gt;.</summary>
    public static CotEvent CreateProtocolOffer(DateTime utcNow) => throw new NotImplementedException();

    /// <summary>True for a t-x-takp-q event; <paramref name="version"/> is its TakRequest/@version.</summary>
    public static bool TryGetProtocolRequest(CotEvent evt, out uint version) => throw new NotImplementedException();

    /// <summary>The server's answer: &lt;TakControl&gt;&lt;TakResponse status="true|false"/&gt;&lt;/TakControl&gt;.</summary>
    public static CotEvent CreateProtocolResponse(bool accepted, DateTime utcNow) => throw new NotImplementedException();

    /// <summary>The reply to a ping.</summary>
    public static CotEvent CreatePong(CotEvent ping, DateTime utcNow) => throw new NotImplementedException();
}
