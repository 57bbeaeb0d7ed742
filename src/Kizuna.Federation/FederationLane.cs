using Kizuna.Cot;

namespace Kizuna.Federation;

/// <summary>
/// The lanes of a link, most urgent first. A link's send queue writes the most urgent lane that
/// has something; within a lane the order is kept, so a receiver acknowledges per lane (the last
/// message of each lane it processed) and a sender marks per lane. Sender and receiver classify
/// an event the same way (<see cref="Of"/>). See docs/dev/federation-outbox.md, "Lanes".
/// </summary>
public enum FederationLane
{
    /// <summary>Acknowledgements: a window waits on them, so they pass everything.</summary>
    Control = 0,

    /// <summary>Vouched sensor reports and warning receipts: never behind a picture backlog.</summary>
    Warning = 1,

    /// <summary>Versions of coordination requests: after warnings, before the picture.</summary>
    Coordination = 2,

    /// <summary>Everything else.</summary>
    Picture = 3,
}

/// <summary>Which lane an event travels on.</summary>
public static class FederationLanes
{
    public const int Count = 4;

    public static FederationLane Of(CotEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var type = evt.Type;
        if (type.StartsWith("b-w-m-", StringComparison.Ordinal))
        {
            return FederationLane.Warning;
        }

        return Core.Coordination.CoordinationCotReader.IsCoordination(evt) ? FederationLane.Coordination : FederationLane.Picture;
    }

    /// <summary>
    /// The lane of a message whose event could not be read (so the receiver can still acknowledge
    /// it on its lane): by its type, and the coordination element in its detail text.
    /// </summary>
    public static FederationLane Of(Wire.FederatedEvent message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message.Event?.Type ?? string.Empty;
        if (type.StartsWith("b-w-m-", StringComparison.Ordinal))
        {
            return FederationLane.Warning;
        }

        return string.Equals(type, Core.Coordination.CoordinationCot.Type, StringComparison.Ordinal)
               && (message.Event?.Other ?? string.Empty).Contains("<" + Core.Coordination.CoordinationCot.Element, StringComparison.Ordinal)
            ? FederationLane.Coordination
            : FederationLane.Picture;
    }

    /// <summary>Read ahead of a picture backlog by the outbox (warning and coordination).</summary>
    public static bool IsUrgent(FederationLane lane) => lane is FederationLane.Warning or FederationLane.Coordination;
}
