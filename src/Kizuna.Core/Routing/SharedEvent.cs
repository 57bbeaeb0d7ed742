using Kizuna.Core.Labels;
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

    public SharedEvent(CotEvent evt, ConfidentialityLabel label, string sender, DateTime receivedAt)
    {
        Event = evt;
        Label = label;
        Sender = sender;
        ReceivedAt = receivedAt;
    }

    /// <summary>An event read back from its CoT XML, which it keeps as its encoding.</summary>
    public SharedEvent(CotEvent evt, ConfidentialityLabel label, string sender, DateTime receivedAt, byte[] xml)
        : this(evt, label, sender, receivedAt)
    {
        _xml = xml;
    }

    public CotEvent Event { get; }

    /// <summary>The label every exit decides on (the event is stamped with it).</summary>
    public ConfidentialityLabel Label { get; }

    /// <summary>
    /// The metadata of the desk that sent it, when it has any (a warning version and its receipt,
    /// an escalation): a payload Routing carries and hands back to writers, never reads.
    /// </summary>
    public IDeliveryPayload? Payload { get; init; }

    /// <summary>Who sent it: certificate subject, "tcp:" and the endpoint, or "node:" and the hosting organization.</summary>
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
