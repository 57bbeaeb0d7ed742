using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// What a desk sees of the connection an event came in on: who sent it (as a recipient, for
/// answers through <see cref="EventRouter.SendTo"/>), and the wire format the connection reads,
/// which the protocol control desk may switch. Routing's own desks reach the session behind it.
/// </summary>
public sealed class InboundSender
{
    internal InboundSender(ClientSession session, WireFormat reads)
    {
        Session = session;
        Reads = reads;
    }

    /// <summary>The session behind the sender, for Core's rooms that drive sessions (the picture desk, protocol control).</summary>
    internal ClientSession Session { get; }

    /// <summary>The sender as desks see recipients: who, from where.</summary>
    public IRecipient Recipient => Session;

    public Principal Principal => Session.Principal;

    /// <summary>
    /// The format the connection reads from now on. The protocol control desk sets it to
    /// <see cref="WireFormat.TakProtobufV1"/> when it accepts a switch; the connection changes its
    /// decoder before the next byte.
    /// </summary>
    public WireFormat Reads { get; set; }
}
