using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Sessions;

/// <summary>
/// The CoT stream's own protocol, before the label door: a ping (<c>t-x-c-t</c>) is answered with
/// a pong on the sender's control lane; a request for TAK protocol v1 (<c>t-x-takp-q</c>) is
/// answered, and when accepted both directions speak protobuf after the answer; offers and
/// answers a client sends are ignored. Nothing here is stored or routed.
/// </summary>
public sealed class ProtocolControlDesk(TimeProvider time, ILogger<ProtocolControlDesk> logger) : IInboundDesk
{
    public IReadOnlyCollection<string> Types { get; } =
        [TakControlEvents.PingType, TakControlEvents.ProtocolRequestType, TakControlEvents.ProtocolOfferType, TakControlEvents.ProtocolResponseType];

    public DeskDoor Door => DeskDoor.BeforeLabel;

    public bool AtWarningIntake => true;

    public bool HeldByStorage => false;

    public IDeskWindow Open(InboundSender sender) => new Window(this, sender);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>A message of the node's own to one client: never routed, so its label is the client's own default.</summary>
    private SharedEvent Answer(InboundSender sender, CotEvent evt) => new(evt, sender.Principal.DefaultLabel, "node", Now);

    private void Take(InboundSender sender, CotEvent evt)
    {
        var session = sender.Session;
        switch (evt.Type)
        {
            case TakControlEvents.PingType:
                session.Deliver(Answer(sender, TakControlEvents.CreatePong(evt, Now)), Lane.Control);
                return;

            case TakControlEvents.ProtocolRequestType:
                var accepted = TakControlEvents.TryGetProtocolRequest(evt, out var version) && version == 1 && sender.Reads == WireFormat.CotXml;
                var answer = Answer(sender, TakControlEvents.CreateProtocolResponse(accepted, Now));
                if (!accepted)
                {
                    session.Deliver(answer, Lane.Control);
                    return;
                }

                // The answer is the last XML the client gets; both directions speak protobuf after it.
                session.Deliver(new OutboundItem(answer, OutboundAction.SendThenSwitchToProtobuf), Lane.Control);
                sender.Reads = WireFormat.TakProtobufV1;
                Log.SwitchedToProtobuf(logger, session.Id, session.RemoteEndpoint);
                return;
        }
    }

    private sealed class Window(ProtocolControlDesk desk, InboundSender sender) : IDeskWindow
    {
        public void Take(in LabelledEvent arrival) => desk.Take(sender, arrival.Event);

        public ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
