namespace Kizuna.Core.Routing;

/// <summary>
/// A connection's way of writing warnings on the caller's thread while its writer is idle
/// (<see cref="OutboundQueue.EnqueueWarning"/>): the warning goes out without waiting for the
/// thread pool to run the writer.
/// </summary>
public interface IExpressWriter
{
    /// <summary>
    /// Writes <paramref name="warnings"/> now, holding the writer's turn, and gives the turn back
    /// with <see cref="OutboundQueue.EndExpress"/> when the write is done (at once, or after a
    /// flush that had to wait). Never throws: a failed write closes the connection.
    /// </summary>
    void WriteNow(List<OutboundItem> warnings);
}
