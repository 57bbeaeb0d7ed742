namespace Kizuna.Core.Routing;

/// <summary>
/// Outbound lanes of a connection, in priority order. A writer always empties a higher lane
/// before it takes from a lower one.
/// </summary>
public enum Lane
{
    /// <summary>Missile warnings: ahead of everything else, and never dropped. A client that lets
    /// this lane overflow is disconnected; unacknowledged warnings are sent again when it reconnects.</summary>
    Warning = 0,

    /// <summary>Protocol control (negotiation, pongs, refusals). Never dropped: a client that lets
    /// this lane overflow is disconnected instead.</summary>
    Control = 1,

    /// <summary>The operational picture. Bounded; when a client falls behind, the oldest goes first.</summary>
    Picture = 2,
}
