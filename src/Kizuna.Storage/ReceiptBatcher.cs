using Kizuna.Core.Storage;

namespace Kizuna.Storage;

/// <summary>What a receipt records: the first delivery, or the first acknowledgement (which implies a delivery).</summary>
internal enum ReceiptKind
{
    Delivery,
    Acknowledgement,
}

/// <summary>
/// The warning stores' receipts, gathered and committed together: a receipt is queued and its task
/// completes once a commit holding it is done; the first receipt of a batch sends a writer to the
/// thread pool, which waits for the store's connection and commits everything queued by then. A
/// read of receipts commits what is queued first (<see cref="WriteQueuedAsync"/>, under the store's
/// gate), so it sees every receipt recorded before it. Shared by the SQLite and PostgreSQL stores:
/// each gives its gate-taking write and its commit of a batch.
/// </summary>
internal sealed class ReceiptBatcher(Func<Task> writeUnderGate)
{
    private readonly Lock _gate = new();
    private List<QueuedReceipt> _queued = [];
    private bool _writerQueued;

    /// <summary>Queues a receipt; the task completes when it is committed, or fails with the commit's error.</summary>
    public Task Queue(WarningReceipt receipt, ReceiptKind kind)
    {
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool queueWriter;
        lock (_gate)
        {
            _queued.Add(new QueuedReceipt(receipt, kind, committed));
            queueWriter = !_writerQueued;
            _writerQueued = true;
        }

        if (queueWriter)
        {
            _ = Task.Run(WriteAsync);
        }

        return committed.Task;
    }

    /// <summary>Commits what is queued, taking the store's gate (the writer sent to the pool, and a closing store).</summary>
    public async Task WriteAsync()
    {
        try
        {
            await writeUnderGate().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            // The store closed first (its close wrote what was queued by then).
            Fail(Take(), ex);
        }
    }

    /// <summary>
    /// Under the store's gate: takes every queued receipt and commits them with <paramref name="commit"/>
    /// (one transaction); a failure <paramref name="isStoreFailure"/> recognizes fails each receipt's task.
    /// </summary>
    public async Task WriteQueuedAsync(Func<IReadOnlyList<(WarningReceipt Receipt, ReceiptKind Kind)>, Task> commit, Func<Exception, bool> isStoreFailure)
    {
        var batch = Take();
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await commit([.. batch.Select(q => (q.Receipt, q.Kind))]).ConfigureAwait(false);
        }
        catch (Exception ex) when (isStoreFailure(ex))
        {
            Fail(batch, ex);
            return;
        }

        foreach (var queued in batch)
        {
            queued.Committed.TrySetResult();
        }
    }

    private List<QueuedReceipt> Take()
    {
        lock (_gate)
        {
            var batch = _queued;
            _queued = [];
            _writerQueued = false;
            return batch;
        }
    }

    private static void Fail(List<QueuedReceipt> batch, Exception ex)
    {
        foreach (var queued in batch)
        {
            queued.Committed.TrySetException(ex);
        }
    }

    private sealed record QueuedReceipt(WarningReceipt Receipt, ReceiptKind Kind, TaskCompletionSource Committed);
}
