using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

// Retention: pruning old history, through the writer like every other write.
public sealed partial class SqliteEventStore
{
    /// <inheritdoc />
    public async Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Pruning is a write, so it goes through the one writer: no lock contention with batches,
        // and everything appended before the call is pruned by the same rule.
        var completion = NewCompletion();
        await EnqueueControlAsync(WriteRequest.ForPrune(cutoff, completion), cancellationToken).ConfigureAwait(false);
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Prune(DateTime cutoff, TaskCompletionSource<long>? completion)
    {
        // The pruned events' index entries go with them, and `latest` keeps what it needs of them.
        WriteWholeTail();
        try
        {
            using var transaction = _writeConnection!.BeginTransaction();
            using var command = _writeConnection.CreateCommand();
            command.Transaction = transaction;
            command.Parameters.AddWithValue("@cutoff", StoredTime.ToUnixMilliseconds(cutoff));
            command.CommandText = "DELETE FROM uid_index WHERE (uid, time, id) IN (SELECT uid, time, id FROM events WHERE received_at < @cutoff)";
            command.ExecuteNonQuery();
            command.CommandText = "DELETE FROM events WHERE received_at < @cutoff";
            long deleted = command.ExecuteNonQuery();
            // Latest entries that went stale before the cutoff can never be current again.
            command.CommandText = "DELETE FROM latest WHERE stale <= @cutoff";
            command.ExecuteNonQuery();
            // A uid with no history left within retention has no owner any more.
            command.CommandText = "DELETE FROM owners WHERE NOT EXISTS (SELECT 1 FROM uid_index WHERE uid_index.uid = owners.uid)";
            command.ExecuteNonQuery();
            transaction.Commit();
            if (deleted > 0)
                StorageLog.Pruned(_logger, deleted, cutoff);
            completion?.TrySetResult(deleted);
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            StorageLog.PruneFailed(_logger, cutoff, Reason(ex), ex);
            completion?.TrySetException(ex);
        }
    }
}
