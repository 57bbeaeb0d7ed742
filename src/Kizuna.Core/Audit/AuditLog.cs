using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Kizuna.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Audit;

/// <summary>
/// The node's audit trail. <see cref="Record"/> stamps the entry with the time and queues it
/// (no lock, no I/O); a writer task of its own takes everything queued at once, chains it,
/// appends it in one write and one flush (<see cref="AuditFile"/>), so the warning issuer pays
/// a queue write per act, never a disk flush. A checkpoint signed by the node's key is written
/// every <see cref="CheckpointInterval"/> (on the node's clock) when records were added, and at
/// shutdown.
/// </summary>
public sealed class AuditLog : IAuditTrail, IAsyncDisposable
{
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromMinutes(1);

    private readonly AuditFile _file;
    private readonly string _node;
    private readonly X509Certificate2 _signer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly ITimer _checkpoints;
    private int _failed;

    /// <param name="rotateBytes">The size at which the current file rotates (it also rotates at each new UTC day).</param>
    public AuditLog(string directory, string node, X509Certificate2 signer, TimeProvider time, ILogger logger, long rotateBytes = AuditFile.DefaultRotateBytes)
    {
        _file = new AuditFile(directory, rotateBytes);
        _node = node;
        _signer = signer;
        _time = time;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
        _checkpoints = time.CreateTimer(_ => _queue.Writer.TryWrite(new Pending(null, default, null, Checkpoint: true)), null, CheckpointInterval, CheckpointInterval);
    }

    public string Directory => _file.Directory;

    public void Record(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _queue.Writer.TryWrite(new Pending(entry, _time.GetUtcNow().UtcDateTime, null, Checkpoint: false));
    }

    /// <summary>Completes when everything recorded before the call is on disk (tests, and the API before it reads).</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(null, default, done, Checkpoint: false)))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    /// <summary>Writes a checkpoint now (when there is something new to vouch for), after everything recorded before.</summary>
    public Task CheckpointAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(null, default, done, Checkpoint: true)))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    /// <summary>Writes what is queued and the shutdown checkpoint, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _checkpoints.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryWrite(new Pending(null, default, null, Checkpoint: true));
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var entries = new List<(AuditEntry, DateTime)>();
        var waiting = new List<TaskCompletionSource>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var checkpoint = false;
            while (entries.Count < 4096 && _queue.Reader.TryRead(out var pending))
            {
                if (pending.Entry is { } entry)
                {
                    entries.Add((entry, pending.Time));
                }

                checkpoint |= pending.Checkpoint;
                if (pending.Done is { } done)
                {
                    waiting.Add(done);
                }
            }

            try
            {
                _file.Append(entries, _node, checkpoint ? _signer : null, _time.GetUtcNow().UtcDateTime);
                Volatile.Write(ref _failed, 0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Security.Cryptography.CryptographicException)
            {
                // Logged once per run of failures, not per batch: the trail's loss is the news.
                if (Interlocked.Exchange(ref _failed, 1) == 0)
                {
                    Log.AuditWriteFailed(_logger, ex, _file.Directory, entries.Count);
                }
            }

            entries.Clear();
            foreach (var done in waiting)
            {
                done.TrySetResult();
            }

            waiting.Clear();
        }
    }

    private readonly record struct Pending(AuditEntry? Entry, DateTime Time, TaskCompletionSource? Done, bool Checkpoint);
}
