using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// The common operational picture: every labelled event no other desk takes. What one read
/// brought is published together (<see cref="EventRouter.Publish(IReadOnlyList{LabelledEvent}, ClientSession?)"/>);
/// a client's own position reports teach the router its uid and callsign, for directed messages.
/// </summary>
internal sealed class PictureDesk(EventRouter router) : IInboundDesk
{
    public IReadOnlyCollection<string> Types => [];

    public DeskDoor Door => DeskDoor.AfterLabel;

    public bool AtWarningIntake => false;

    public bool HeldByStorage => true;

    public IDeskWindow Open(InboundSender sender) => new Window(router, sender.Session);

    private sealed class Window(EventRouter router, ClientSession session) : IDeskWindow
    {
        private readonly List<LabelledEvent> _arrived = [];

        public void Take(in LabelledEvent arrival)
        {
            LearnAddress(session, arrival.Event);
            _arrived.Add(arrival);
        }

        public ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken)
        {
            router.Publish(_arrived, session);
            _arrived.Clear();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A client's own position reports tell the router its uid and callsign, for directed messages.</summary>
    private static void LearnAddress(ClientSession session, CotEvent evt)
    {
        if (!evt.Type.StartsWith("a-", StringComparison.Ordinal) || (session.Uid is not null && !string.Equals(session.Uid, evt.Uid, StringComparison.Ordinal)))
        {
            return;
        }

        if (evt.Detail.ContactCallsign is { } callsign)
        {
            session.Uid = evt.Uid;
            session.Callsign = callsign;
        }
    }
}
