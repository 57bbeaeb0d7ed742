using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

// The uid index: the tail of uid entries kept in memory (UidTail), cut into segments that are
// written to uid_index and latest a budget per batch, and rebuilt from the history at open.
public sealed partial class SqliteEventStore
{
    // Work units one batch of n events may add to the segment being written: at least twice its own
    // events, so a segment's entries and newest rows are written before the next segment is due.
    private const int MinIndexWorkPerBatch = 256;

    /// <summary>
    /// Rebuilds the tail from the history after the mark (a node that stopped without writing it
    /// all) and returns the id the next event gets: past every event and past the mark, so that an
    /// id is never handed out twice, even after a prune took the newest events.
    /// </summary>
    private async Task<long> RestoreTailAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT indexed_through, (SELECT COALESCE(MAX(id), 0) FROM events) FROM history_mark";
        long mark, newest;
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            mark = reader.GetInt64(0);
            newest = reader.GetInt64(1);
        }

        if (newest > mark)
        {
            command.CommandText = "SELECT id, uid, time, stale FROM events WHERE id > @mark ORDER BY id";
            command.Parameters.AddWithValue("@mark", mark);
            var behind = 0L;
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _tail.Add(reader.GetFieldValue<byte[]>(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(0));
                    behind++;
                }
            }

            StorageLog.UidIndexBehind(_logger, behind);
        }

        return Math.Max(mark, newest) + 1;
    }

    /// <summary>
    /// Writes up to <paramref name="budget"/> entries of the segment being written, within the
    /// caller's transaction, cutting the next one off the tail when it is due; true when the
    /// segment is complete and the mark moved past it. A segment that is still being written when
    /// the next is due is finished at once.
    /// </summary>
    private bool WriteSegment(int budget)
    {
        if (_segment is null)
        {
            if (_tail.OpenCount < _options.IndexSegmentEvents)
                return false;
            _segment = new SegmentWrite(_tail.Cut());
        }
        else if (_tail.OpenCount >= _options.IndexSegmentEvents)
        {
            budget = int.MaxValue;
        }

        return _segment.Write(_insertIndex!, _upsertLatest!, _setMark!, budget);
    }

    /// <summary>After a commit: the segment's progress stands, and a complete segment leaves the tail.</summary>
    private void SegmentCommitted(bool segmentWritten)
    {
        _segment?.Committed();
        if (segmentWritten)
        {
            _segment = null;
            _tail.Release();
        }
    }

    /// <summary>
    /// Writes the whole tail to <c>uid_index</c> and <c>latest</c> in one transaction (before a
    /// prune, which must see them whole, and at close, so the next open has nothing to rebuild).
    /// </summary>
    private void WriteWholeTail()
    {
        try
        {
            // At most two rounds: the segment being written, then the rest of the tail.
            while (_segment is not null || _tail.OpenCount > 0)
            {
                using var transaction = _writeConnection!.BeginTransaction();
                _segment ??= new SegmentWrite(_tail.Cut());
                var written = _segment.Write(_insertIndex!, _upsertLatest!, _setMark!, int.MaxValue);
                transaction.Commit();
                SegmentCommitted(written);
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            // The tail stays in memory and in the history after the mark (an open rebuilds it);
            // entries written again later are ignored.
            _segment?.Rewind();
            StorageLog.UidIndexWriteFailed(_logger, Reason(ex), ex);
        }
    }

    /// <summary>
    /// A segment cut off the tail as it is written, a budget per batch: its index entries in key
    /// order, then each uid's newest event into <c>latest</c>, then the mark past its last event.
    /// Progress stands once the batch's transaction commits; a failed one rewinds it.
    /// </summary>
    private sealed class SegmentWrite((UidTail.Generation Segment, UidTail.UidEntries[] InOrder) cut)
    {
        private readonly UidTail.UidEntries[] _inOrder = cut.InOrder;
        private readonly long _lastId = cut.Segment.LastId;
        private Cursor _committed;
        private Cursor _written;

        private record struct Cursor(int Uid, int Entry, bool Latest);

        /// <summary>Writes up to <paramref name="budget"/> rows; true once the mark is written.</summary>
        public bool Write(RowStatement index, RowStatement latest, RowStatement mark, int budget)
        {
            var (u, e, inLatest) = _written;
            try
            {
                for (; budget > 0; budget--)
                {
                    if (!inLatest)
                    {
                        while (u < _inOrder.Length && e == _inOrder[u].Entries.Count)
                        {
                            u++;
                            e = 0;
                        }

                        if (u == _inOrder.Length)
                        {
                            (u, inLatest) = (0, true);
                            continue;
                        }

                        var entry = _inOrder[u].Entries[e++];
                        index.Execute(_inOrder[u].Utf8, entry.Time, entry.Id);
                    }
                    else if (u < _inOrder.Length)
                    {
                        latest.Execute(_inOrder[u++].Newest.Id);
                    }
                    else
                    {
                        mark.Execute(_lastId);
                        return true;
                    }
                }

                return false;
            }
            finally
            {
                _written = new Cursor(u, e, inLatest);
            }
        }

        public void Committed() => _committed = _written;

        public void Rewind() => _written = _committed;
    }
}
