namespace Kizuna.Core.Routing;

/// <summary>Where on the way in a desk takes its events.</summary>
public enum DeskDoor
{
    /// <summary>After the label door: the sender may send this kind of event, and its label is accepted and stamped.</summary>
    AfterLabel,

    /// <summary>
    /// Before the label door: the stream's own protocol (pings, negotiation), answered to the
    /// sender alone and never stored or routed, so no label is asked of it. The event comes with
    /// the sender's default label.
    /// </summary>
    BeforeLabel,
}

/// <summary>
/// A desk of the router: it takes the inbound events of the types it names (picture, protocol
/// control, sensor reports and acknowledgements, later coordination), whatever connection they
/// arrive on. A connection finds the desk of each event by its type (<see cref="DeskRegistry"/>)
/// and never knows what a desk does with it: a new desk registers with the router at start, and
/// no connection changes.
/// </summary>
public interface IInboundDesk
{
    /// <summary>The CoT types this desk takes (exact). The picture desk takes every type no desk names.</summary>
    IReadOnlyCollection<string> Types { get; }

    /// <summary>Before or after the label door.</summary>
    DeskDoor Door { get; }

    /// <summary>
    /// Whether the warning intake takes this desk's events (sensor reports, acknowledgements,
    /// protocol control); anything else sent there is refused with the reason.
    /// </summary>
    bool AtWarningIntake { get; }

    /// <summary>
    /// Whether a read that brought this desk events waits, before the next read, while storage
    /// is behind (<see cref="EventRouter.WaitForStorageAsync"/>): true for the picture; the warning
    /// path must not queue behind picture storage.
    /// </summary>
    bool HeldByStorage { get; }

    /// <summary>This desk's window for one sender, opened when the sender first brings it an event.</summary>
    IDeskWindow Open(InboundSender sender);

    /// <summary>
    /// Greets a recipient that has just attached (a CoT client, a console feed): what it must be
    /// sent again before anything live (the warning desk: every current warning it has not
    /// acknowledged). Most desks have nothing to say.
    /// </summary>
    Task GreetAsync(IRecipient recipient, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// One sender's window at a desk. The read loop calls <see cref="Take"/> for each event of a read
/// (on the read loop's thread, one at a time, in order), then <see cref="HandOnAsync"/> once after
/// the read; a window is never called from two threads at once.
/// </summary>
public interface IDeskWindow
{
    /// <summary>Takes one event of this read. Never blocks: a desk acting at once (a pong) queues its answer; others collect.</summary>
    void Take(in LabelledEvent arrival);

    /// <summary>
    /// Hands on what this read brought (published together, handed to an issuing thread). The
    /// read loop awaits it before reading more, unless <paramref name="leaving"/>: the connection
    /// is closing, nothing more will come, and the result is not awaited (a desk that must not
    /// lose its input, such as the warning desk, finishes it on its own).
    /// </summary>
    ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken);
}
