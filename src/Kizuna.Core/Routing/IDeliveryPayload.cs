using Kizuna.Core.Labels;

namespace Kizuna.Core.Routing;

/// <summary>
/// What a desk attaches to an event it sends (<see cref="SharedEvent.Payload"/>): its own
/// metadata, which Routing carries without knowing its type, and the desk's wish to hear when the
/// event is on the wire to a recipient (a warning's delivery receipt). Owned by Routing so that
/// the rooms that deliver (Sessions, the console feed) need not know the desk that sent it.
/// </summary>
public interface IDeliveryPayload
{
    /// <summary>
    /// Told by a writer once the event is written and flushed to <paramref name="recipient"/>'s
    /// client, on the writer's thread (the warning issuing thread on an express write): it must
    /// not block.
    /// </summary>
    void Written(Principal recipient);
}
