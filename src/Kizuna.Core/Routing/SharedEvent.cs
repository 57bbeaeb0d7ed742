using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// An accepted event on its way out: encoded at most once per wire format, and the bytes shared
/// by every recipient that speaks that format. Encoding happens lazily, on the first writer that
/// needs it, so a format nobody speaks costs nothing.
/// </summary>
public sealed class SharedEvent
{
    private byte[]? _xml;
    private byte[]? _protobuf;

    public SharedEvent(CotEvent evt, string sender, DateTime receivedAt)
    {
        Event = evt;
        Sender = sender;
        ReceivedAt = receivedAt;
    }

    public CotEvent Event { get; }

    /// <summary>Identity of the connection that sent it (certificate subject, or the TCP endpoint).</summary>
    public string Sender { get; }

    public DateTime ReceivedAt { get; }

    /// <summary>
    /// The bytes for one wire format: CoT XML (no declaration, no separator: clients split on
    /// &lt;/event&gt;, and a protobuf client must see nothing after the t-x-takp-r answer), or a
    /// TAK protocol v1 stream frame.
    /// </summary>
    public ReadOnlyMemory<byte> Encoded(WireFormat format)
    {
        // A race encodes twice at worst; both results are identical, so the last write wins harmlessly.
        return format switch
        {
            WireFormat.CotXml => _xml ??= CotXml.Encode(Event),
            WireFormat.TakProtobufV1 => _protobuf ??= TakProto.EncodeStreamFrame(Event),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }
}
