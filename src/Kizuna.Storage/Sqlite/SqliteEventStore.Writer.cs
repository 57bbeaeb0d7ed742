using System.Diagnostics;
using System.Threading.Channels;
using Kizuna.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

// The writer: Append and the other writes go on one bounded queue, drained by one task that
// commits them in batches; backpressure holds connections back while the backlog is large.
public sealed partial class SqliteEventStore
{
    /// <inheritdoc />
    public void Append(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // The router has usually encoded the event already (it shares those bytes with every XML
        // client); encode here only when it has not.
        ReadOnlySpan<byte> xml;
        try
        {
            xml = stored.EncodedXml.IsEmpty ? _encode(stored.Event) : stored.EncodedXml.Span;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failed);
            StorageLog.EventEncodeFailed(_logger, stored.Sender, Reason(ex));
            return;
        }

        var packed = _rows.Pack(stored, xml);
        if (_queue.Writer.TryWrite(WriteRequest.ForEvent(packed)))
            return;

        _rows.Release(packed);
        // Disposed meanwhile: the caller raced shutdown, which is its bug to hear about.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Full (or the writer died and closed the queue): drop this history entry, never block the router.
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
            StorageLog.QueueFullDropping(_logger, _options.MaxPendingEvents);
    }

    /// <inheritdoc />
    public void RecordOwner(string uid, string owner)
    {
        ArgumentNullException.ThrowIfNull(uid);
        ArgumentNullException.ThrowIfNull(owner);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Once per uid, so never dropped for room: a full queue only delays it behind the backlog.
        if (!_queue.Writer.TryWrite(WriteRequest.ForOwner(uid, owner)))
            _ = EnqueueControlAsync(WriteRequest.ForOwner(uid, owner), CancellationToken.None).AsTask();
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = NewCompletion();
        await EnqueueControlAsync(WriteRequest.ForFlush(completion), cancellationToken).ConfigureAwait(false);
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void RunWriter()
    {
        var reader = _queue.Reader;
        var batch = new List<RowSlabs.Packed>(_options.BatchSize);
        var batchStarted = 0L;
        try
        {
            while (Block(reader.WaitToReadAsync()))
            {
                while (true)
                {
                    while (reader.TryRead(out var request))
                    {
                        if (request.Row is { } packed)
                        {
                            if (batch.Count == 0 && _pendingOwners.Count == 0)
                                batchStarted = Stopwatch.GetTimestamp();
                            batch.Add(packed);
                            if (batch.Count >= _options.BatchSize)
                                WriteBatch(batch);
                            continue;
                        }

                        if (request.OwnerUid is { } ownerUid)
                        {
                            // Written with the batch it came with, before its events.
                            if (batch.Count == 0 && _pendingOwners.Count == 0)
                                batchStarted = Stopwatch.GetTimestamp();
                            _pendingOwners.Add((ownerUid, request.Owner!));
                            continue;
                        }

                        // A control request: everything queued before it is written first.
                        WriteBatch(batch);
                        if (request.PruneCutoff is { } cutoff)
                            Prune(cutoff, request.Completion);
                        else
                            request.Completion?.TrySetResult(0);
                    }

                    if (batch.Count == 0 && _pendingOwners.Count == 0)
                        break;
                    var remaining = _options.MaxBatchDelay - Stopwatch.GetElapsedTime(batchStarted);
                    if (remaining <= TimeSpan.Zero || !WaitForMoreAsync(reader, remaining).GetAwaiter().GetResult())
                    {
                        WriteBatch(batch);
                        break;
                    }
                }
            }

            WriteWholeTail();
        }
        catch (Exception ex)
        {
            // Only a bug gets here (WriteBatch and Prune keep going on database errors). Close the
            // queue so that appends are counted as dropped and flushes fail instead of hanging.
            StorageLog.WriterStopped(_logger, Reason(ex), ex);
            _queue.Writer.TryComplete(ex);
            FailPending(new InvalidOperationException("The event store writer stopped.", ex));
        }
    }

    /// <summary>The writer's own thread waits for the queue by blocking: it has nothing else to do.</summary>
    private static bool Block(ValueTask<bool> wait) => wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult();

    /// <summary>True when more requests arrived within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForMoreAsync(ChannelReader<WriteRequest> reader, TimeSpan timeout)
    {
        var wait = reader.WaitToReadAsync();
        if (wait.IsCompleted)
            return await wait.ConfigureAwait(false);

        var waitTask = wait.AsTask();
        using var cancelDelay = new CancellationTokenSource();
        var winner = await Task.WhenAny(waitTask, Task.Delay(timeout, cancelDelay.Token)).ConfigureAwait(false);
        if (winner != waitTask)
            return false;
        await cancelDelay.CancelAsync().ConfigureAwait(false);
        return await waitTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (_queue.Reader.Count < _options.BackpressureThreshold)
        {
            return ValueTask.CompletedTask;
        }

        lock (_roomGate)
        {
            // Checked again under the lock the writer releases under, so no wake-up is missed.
            if (_queue.Reader.Count < _options.BackpressureThreshold / 2 || Volatile.Read(ref _disposed) != 0)
            {
                return ValueTask.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_room.Task.WaitAsync(cancellationToken));
        }
    }

    /// <summary>Lets held-back connections go on once the backlog is under half the threshold (or the store closes).</summary>
    private void ReleaseWaitersIfRoom(bool closing = false)
    {
        TaskCompletionSource? room;
        lock (_roomGate)
        {
            if (_room is null || (!closing && _queue.Reader.Count >= _options.BackpressureThreshold / 2))
            {
                return;
            }

            room = _room;
            _room = null;
        }

        room.TrySetResult();
    }

    private void WriteBatch(List<RowSlabs.Packed> batch)
    {
        if (batch.Count == 0 && _pendingOwners.Count == 0)
            return;

        var connection = _writeConnection!;
        var insert = _insertEvent!;
        var firstId = _nextId;
        var segmentWritten = false;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var transaction = connection.BeginTransaction();
            foreach (var (uid, owner) in _pendingOwners)
            {
                _insertOwner!.Execute(uid, owner);
            }

            foreach (var packed in batch)
            {
                insert.Execute(RowSlabs.Read(packed), _nextId++);
            }

            segmentWritten = WriteSegment(Math.Max(MinIndexWorkPerBatch, 2 * batch.Count));
            transaction.Commit();
            _writeSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Interlocked.Add(ref _written, batch.Count);
            Committed(_nextId - 1);
            SegmentCommitted(segmentWritten);
            for (var k = 0; k < batch.Count; k++)
            {
                var row = RowSlabs.Read(batch[k]);
                _tail.Add(row.Uid, row.Time, row.Stale, firstId + k);
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            _nextId = firstId;
            _segment?.Rewind();
            Interlocked.Add(ref _failed, batch.Count);
            StorageLog.BatchWriteFailed(_logger, batch.Count, Reason(ex), ex);
        }
        finally
        {
            foreach (var packed in batch)
            {
                _rows.Release(packed);
            }

            batch.Clear();
            // A failed batch's owners stay claimed in memory until the next start.
            _pendingOwners.Clear();
            ReleaseWaitersIfRoom();
        }

        if (Volatile.Read(ref _dropping) != 0 && _queue.Reader.Count <= _options.MaxPendingEvents / 2
            && Interlocked.Exchange(ref _dropping, 0) != 0)
        {
            StorageLog.QueueRecovered(_logger, DroppedCount);
        }
    }

    private async ValueTask EnqueueControlAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // Control requests wait for room rather than being dropped.
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The event store is closed or its writer stopped.", ex.InnerException ?? ex);
        }
    }

    private void FailPending(Exception exception)
    {
        while (_queue.Reader.TryRead(out var request))
            request.Completion?.TrySetException(exception);
    }

    private static TaskCompletionSource<long> NewCompletion()
        => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One item of the writer's queue: an event's packed row, a uid's owner, or a flush or prune marker.</summary>
    private readonly record struct WriteRequest(RowSlabs.Packed? Row, DateTime? PruneCutoff, TaskCompletionSource<long>? Completion, string? OwnerUid = null, string? Owner = null)
    {
        public static WriteRequest ForOwner(string uid, string owner) => new(null, null, null, uid, owner);
        public static WriteRequest ForEvent(RowSlabs.Packed row) => new(row, null, null);
        public static WriteRequest ForFlush(TaskCompletionSource<long> completion) => new(null, null, completion);
        public static WriteRequest ForPrune(DateTime cutoff, TaskCompletionSource<long>? completion) => new(null, cutoff, completion);
    }
}
