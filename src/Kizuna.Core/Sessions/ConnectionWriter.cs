using System.IO.Pipelines;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;
using Kizuna.Cot;

namespace Kizuna.Core.Sessions;

/// <summary>
/// The writing side of one CoT connection: the loop that drains the session's lanes, and the
/// express path by which a warning queued while that loop is idle is written at once by the
/// thread that issued it. Both pack and flush the same way and share the wire format; the
/// queue's writer turn (<see cref="OutboundQueue.EnqueueWarning"/>) keeps them from writing at
/// the same time.
/// </summary>
internal sealed class ConnectionWriter(
    ClientSession session,
    PipeWriter output,
    ConnectionOptions options,
    KizunaMetrics metrics,
    Action<string> abort,
    Func<string, string> misbehaved,
    CancellationToken token) : IExpressWriter
{
    // Only the holder of the writer's turn reads or changes it.
    private WireFormat _format = WireFormat.CotXml;

    /// <summary>Drains the queue until it completes or the client goes; returns why it stopped.</summary>
    public async Task<string> RunAsync()
    {
        var batch = new List<OutboundItem>(options.WriteBatchSize);
        try
        {
            while (true)
            {
                batch.Clear();
                if (session.Queue.DequeueBatch(batch, options.WriteBatchSize) == 0)
                {
                    if (session.Queue.IsCompleted)
                    {
                        return "queue drained";
                    }

                    await session.Queue.WaitAsync().ConfigureAwait(false);
                    if (token.IsCancellationRequested)
                    {
                        return "closed";
                    }

                    continue;
                }

                var flush = Write(batch, out var events, out var bytes);
                var flushed = flush.IsCompleted ? flush.Result : await FlushedAsync(flush).ConfigureAwait(false);
                if (Written(batch, flushed, events, bytes))
                {
                    return "closed by client";
                }
            }
        }
        catch (TimeoutException)
        {
            return Stalled();
        }
        catch (OperationCanceledException)
        {
            return "closed";
        }
        catch (IOException ex)
        {
            return Lost(ex);
        }
    }

    /// <inheritdoc />
    public void WriteNow(List<OutboundItem> warnings)
    {
        try
        {
            var flush = Write(warnings, out var events, out var bytes);
            if (!flush.IsCompleted)
            {
                // The socket is full: finish off this thread and give the turn back then.
                _ = FinishAsync(flush, warnings, events, bytes);
                return;
            }

            if (Written(warnings, flush.Result, events, bytes))
            {
                abort("closed by client");
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            abort(Lost(ex));
        }

        session.Queue.EndExpress();
    }

    private async Task FinishAsync(ValueTask<FlushResult> flush, List<OutboundItem> warnings, int events, long bytes)
    {
        try
        {
            var flushed = await FlushedAsync(flush).ConfigureAwait(false);
            if (Written(warnings, flushed, events, bytes))
            {
                abort("closed by client");
            }
        }
        catch (TimeoutException)
        {
            abort(Stalled());
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            abort(Lost(ex));
        }
        finally
        {
            session.Queue.EndExpress();
        }
    }

    /// <summary>
    /// Packs a batch into the pipe and starts its flush. Events are packed into chunks of up to
    /// WriteChunkBytes, and an event never straddles two chunks: the transport writes each chunk
    /// as one piece (over TLS, one record), so clients that decode each read on its own
    /// (node-tak) never see a character cut in two, and TLS sends full records instead of one
    /// per event.
    /// </summary>
    private ValueTask<FlushResult> Write(List<OutboundItem> batch, out int events, out long bytes)
    {
        bytes = 0;
        events = 0;
        var chunk = Span<byte>.Empty;
        var used = 0;
        foreach (var item in batch)
        {
            var encoded = item.Event!.Encoded(_format);
            if (encoded.Length > chunk.Length - used)
            {
                output.Advance(used);
                chunk = output.GetSpan(Math.Max(encoded.Length, options.WriteChunkBytes));
                used = 0;
            }

            encoded.Span.CopyTo(chunk[used..]);
            used += encoded.Length;
            bytes += encoded.Length;
            events++;
            if (item.Action == OutboundAction.SendThenSwitchToProtobuf)
            {
                _format = WireFormat.TakProtobufV1;
            }
        }

        output.Advance(used);
        return output.FlushAsync(token);
    }

    /// <summary>Counts a flushed batch and tells each payload in it that it was written; true when the client has gone.</summary>
    private bool Written(List<OutboundItem> batch, FlushResult flushed, int events, long bytes)
    {
        metrics.EventsWritten(events, bytes);
        if (flushed.IsCompleted || flushed.IsCanceled)
        {
            return true;
        }

        // A warning records its delivery receipt (a payload without one ignores it).
        foreach (var item in batch)
        {
            item.Event?.Payload?.Written(session.Principal);
        }

        return false;
    }

    /// <summary>A flush that had to wait, given up after WriteStallTimeout (TimeoutException).</summary>
    private Task<FlushResult> FlushedAsync(ValueTask<FlushResult> flush) => flush.AsTask().WaitAsync(options.WriteStallTimeout, token);

    /// <summary>Why the connection ends after a failed write.</summary>
    private static string Lost(Exception ex) => ex is IOException ? "connection lost: " + ex.Message : "closed";

    private string Stalled() => misbehaved($"not reading: a write stalled for {options.WriteStallTimeout.TotalSeconds:0} s");
}
