using Kizuna.Cot;

namespace Kizuna.Core.Sessions;

/// <summary>
/// Every limit of a router session (a CoT connection, a console feed), each with its default,
/// written here and nowhere else: the node's settings and their help read the defaults from
/// <see cref="Default"/>. Validated once at start.
/// </summary>
public sealed class ConnectionOptions
{
    /// <summary>Every limit at its default.</summary>
    public static ConnectionOptions Default { get; } = new();

    /// <summary>Decoder limits (event size, nesting, attributes, clock skew).</summary>
    public CotLimits Limits { get; init; } = CotLimits.Default;

    /// <summary>A connection that sends nothing for this long is closed. TAK clients ping well within it. Default 5 min.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Picture updates queued per connection before the oldest is dropped. Default 4096.</summary>
    public int PictureQueueCapacity { get; init; } = 4096;

    /// <summary>Missile warnings queued per connection; never dropped: overflow disconnects the client. Default 1024.</summary>
    public int WarningQueueCapacity { get; init; } = 1024;

    /// <summary>Control messages queued per connection; overflow disconnects the client. Default 256.</summary>
    public int ControlQueueCapacity { get; init; } = 256;

    /// <summary>A write that cannot complete for this long means the client stopped reading: disconnect. Default 30 s.</summary>
    public TimeSpan WriteStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Rejected messages in a row before the connection is closed as hopeless. Default 16.</summary>
    public int MaxConsecutiveRejects { get; init; } = 16;

    /// <summary>How long a closing connection may take to flush its queue at shutdown. Default 5 s.</summary>
    public TimeSpan ShutdownFlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most queued items one write gathers before flushing. Default 256.</summary>
    public int WriteBatchSize { get; init; } = 256;

    /// <summary>
    /// Queued events are packed into writes of up to this many bytes, never splitting an event.
    /// Default 16 KiB, a full TLS record.
    /// </summary>
    public int WriteChunkBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// A sender whose input a decoder refused is told why (a <c>t-x-kizuna-refusal</c>), at most
    /// once per this interval per connection, so garbage cannot make the node write as fast as it
    /// reads. Default 1 s.
    /// </summary>
    public TimeSpan RejectNoticeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Most events one turn of a connection's read loop decodes and publishes before the rest of
    /// what it read waits for the next turn (after admission's and storage's check), so that a
    /// flooding publisher cannot hold a thread for a whole transport buffer. Default 64.
    /// </summary>
    public int MaxEventsPerRead { get; init; } = 64;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEventsPerRead, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PictureQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ControlQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(WarningQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConsecutiveRejects, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteChunkBytes, 512);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(WriteStallTimeout, TimeSpan.Zero);
    }
}
