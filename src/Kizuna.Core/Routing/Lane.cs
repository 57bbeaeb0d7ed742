namespace Kizuna.Core.Routing;

/// <summary>
/// Outbound lanes of a connection, in priority order. A writer always empties a higher lane
/// before it takes from a lower one.
/// </summary>
public enum Lane
{
    /// <summary>Protocol control (negotiation, pongs). Never dropped: a client that lets this lane
    /// overflow is disconnected instead.</summary>
    Control = 0,

    /// <summary>The operational picture. Bounded; when a client falls behind, the oldest goes first.</summary>
    Picture = 1,
}
