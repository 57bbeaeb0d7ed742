using System.Diagnostics.CodeAnalysis;
using System.Text;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

// The queries: history by type, time and access filter, a uid's events (the tail merged with
// uid_index), the picture at a time, the latest of every uid, and the owners.
public sealed partial class SqliteEventStore
{
    // Events a uid query reads by id at a time.
    private const int FetchChunk = 256;

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT uid, owner FROM owners";
                var owners = new List<KeyValuePair<string, string>>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        owners.Add(new(reader.GetString(0), reader.GetString(1)));
                }

                return owners;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="EventQuery.Since"/> and <see cref="EventQuery.Until"/> bound the event's own
    /// <c>time</c>, both inclusive. The limit is capped at <see cref="SqliteStoreOptions.MaxQueryLimit"/>;
    /// a limit of zero or less returns nothing. Results are newest first (by event time, then by arrival).
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var limit = Math.Min(query.Limit, SqliteStoreOptions.MaxQueryLimit);
        if (limit <= 0)
            return [];

        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (query.Uid is not null)
            {
                var since = query.Since is { } from ? StoredTime.ToUnixMillisecondsCeiling(from) : long.MinValue;
                var until = query.Until is { } to ? StoredTime.ToUnixMilliseconds(to) : long.MaxValue;
                var (index, fetch) = UidCommands(connection);
                await using (index.ConfigureAwait(false))
                await using (fetch.ConfigureAwait(false))
                {
                    return await ReadUidAsync(index, fetch, query.Uid, query.Type, since, until, limit, query.Filter, query.Visible, cancellationToken).ConfigureAwait(false);
                }
            }

            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                var sql = new StringBuilder("SELECT id, uid, received_at, sender, xml FROM events WHERE 1 = 1");
                if (query.Type is not null)
                {
                    sql.Append(" AND type = @type");
                    command.Parameters.AddWithValue("@type", query.Type);
                }
                if (query.Since is { } since)
                {
                    sql.Append(" AND time >= @since");
                    command.Parameters.AddWithValue("@since", StoredTime.ToUnixMillisecondsCeiling(since));
                }
                if (query.Until is { } until)
                {
                    sql.Append(" AND time <= @until");
                    command.Parameters.AddWithValue("@until", StoredTime.ToUnixMilliseconds(until));
                }
                AppendFilter(sql, command, query.Filter);
                // With an access filter the rows are stepped through until enough are visible;
                // SQLite produces them lazily, so the scan stops there.
                sql.Append(query.Visible is null ? " ORDER BY time DESC, id DESC LIMIT @limit" : " ORDER BY time DESC, id DESC");
                command.Parameters.AddWithValue("@limit", limit);
                command.CommandText = sql.ToString();
                return await ReadEventsAsync(command, limit, cancellationToken, query.Visible, limit).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The caller's access filter as a WHERE term on the label columns, which the indexes on time
    /// and on (type, time) carry: a row it excludes is never read. Rows of another scheme (history
    /// from before schema 4, or another profile) pass, to be decided in memory.
    /// </summary>
    private static void AppendFilter(StringBuilder sql, SqliteCommand command, AccessFilter? filter)
    {
        if (filter is null)
            return;
        sql.Append(" AND (label_scheme <> @scheme OR (label_level <= @level AND (label_nations & @nation) <> 0");
        if (!filter.HoldsCategories)
            sql.Append(" AND label_categories = 0");
        sql.Append("))");
        command.Parameters.AddWithValue("@scheme", filter.Scheme);
        command.Parameters.AddWithValue("@level", filter.MaxLevel);
        command.Parameters.AddWithValue("@nation", filter.NationBit);
    }

    /// <inheritdoc />
    /// <remarks>
    /// For every uid of the latest table and of the tail (every uid still within retention), a
    /// walk of its index entries newest first from <paramref name="at"/> that stops at the first
    /// event the caller may see: the cost grows with the number of uids, not with the history
    /// before <paramref name="at"/>.
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var shownFrom = at - staleFor;
        var until = StoredTime.ToUnixMilliseconds(at);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var uids = _tail.Uids();
            var list = connection.CreateCommand();
            await using (list.ConfigureAwait(false))
            {
                list.CommandText = "SELECT uid FROM latest";
                var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        uids.Add(reader.GetString(0));
                    }
                }
            }

            // One pair of prepared commands for every uid.
            var state = new List<StoredEvent>();
            var (index, fetch) = UidCommands(connection);
            await using (index.ConfigureAwait(false))
            await using (fetch.ConfigureAwait(false))
            {
                foreach (var uid in uids.Order(StringComparer.Ordinal))
                {
                    var newest = await ReadUidAsync(index, fetch, uid, type: null, long.MinValue, until, limit: 1, filter, visible, cancellationToken).ConfigureAwait(false);
                    if (newest.Count == 1 && newest[0].Event.Stale > shownFrom)
                    {
                        state.Add(newest[0]);
                    }
                }
            }

            return state;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The latest table, with the newest event of each uid in the tail laid over it by the rule
    /// the writer applies (at least as new replaces).
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var now = StoredTime.ToUnixMilliseconds(utcNow);
        // The tail first: whatever the table holds that the tail does not is older than the tail.
        var tail = _tail.NewestByUid();
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.Transaction = transaction;
                var latest = new List<StoredEvent>(64);
                command.CommandText = "SELECT rowid, uid, received_at, sender, xml, time, stale FROM latest";
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var uid = reader.GetString(1);
                        var time = reader.GetInt64(5);
                        if (tail.TryGetValue(uid, out var newer))
                        {
                            if (newer.Entry.Time >= time)
                                continue;
                            // An event from before the table's, stored late: the table's stands.
                            tail.Remove(uid);
                        }

                        if (reader.GetInt64(6) > now && TryRead(reader, visible: null, out var stored))
                            latest.Add(stored);
                    }
                }

                var current = tail.Values.Where(n => n.Stale > now).Select(n => n.Entry.Id).ToList();
                for (var k = 0; k < current.Count; k += FetchChunk)
                {
                    await FetchAsync(command, current.GetRange(k, Math.Min(FetchChunk, current.Count - k)), type: null, filter: null, visible: null, latest, int.MaxValue, cancellationToken).ConfigureAwait(false);
                }

                latest.Sort(static (a, b) => string.CompareOrdinal(a.Event.Uid, b.Event.Uid));
                return latest;
            }
        }
    }

    private async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _writeConnection) is null)
            throw new InvalidOperationException("The event store is not initialized; call InitializeAsync first.");
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(
        SqliteCommand command, int capacity, CancellationToken cancellationToken, Func<StoredEvent, bool>? visible = null, int limit = int.MaxValue)
    {
        var results = new List<StoredEvent>(Math.Min(capacity, 256));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (results.Count < limit && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(reader, visible, out var stored))
                    results.Add(stored);
            }
        }
        return results;
    }

    /// <summary>
    /// A row of (id, uid, received_at, sender, xml, ...) as a stored event, if it decodes (a row
    /// that does not is logged and skipped) and <paramref name="visible"/> admits it.
    /// </summary>
    private bool TryRead(SqliteDataReader reader, Func<StoredEvent, bool>? visible, [NotNullWhen(true)] out StoredEvent? stored)
    {
        stored = null;
        var rowId = reader.GetInt64(0);
        Interlocked.Increment(ref _rowsRead);
        CotEvent evt;
        try
        {
            // A TEXT column read as a blob gives its UTF-8 bytes without a string in between.
            evt = _decode(reader.GetFieldValue<byte[]>(4), CotLimits.NodeWritten);
        }
        catch (Exception ex) when (ex is CotFormatException or FormatException or ArgumentException or System.Xml.XmlException)
        {
            StorageLog.StoredEventUnreadable(_logger, rowId, Reason(ex));
            return false;
        }

        var read = new StoredEvent(evt, StoredTime.FromUnixMilliseconds(reader.GetInt64(2)), reader.GetString(3));
        if (visible is not null && !visible(read))
            return false;
        stored = read;
        return true;
    }

    /// <summary>
    /// A uid's events within [<paramref name="since"/>, <paramref name="until"/>] (unix ms), newest
    /// first (by time, then arrival): the tail's entries merged with <c>uid_index</c>'s, an entry
    /// in both taken once; the events are read by id a chunk at a time, so the walk stops once
    /// <paramref name="limit"/> events the caller may see are found.
    /// </summary>
    private async Task<List<StoredEvent>> ReadUidAsync(
        SqliteCommand index, SqliteCommand fetch, string uid, string? type, long since, long until, int limit,
        AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
    {
        // The tail before the tables: an entry leaves the tail only once the tables have it.
        var tail = _tail.EntriesOf(uid, since, until);
        var results = new List<StoredEvent>(Math.Min(limit, 256));
        index.Parameters["@uid"].Value = uid;
        index.Parameters["@since"].Value = since;
        index.Parameters["@until"].Value = until;
        var reader = await index.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var t = 0;
            var ids = new List<long>(FetchChunk);
            while (results.Count < limit)
            {
                if (more)
                {
                    var indexed = new UidTail.Entry(reader.GetInt64(0), reader.GetInt64(1));
                    if (t < tail.Length && tail[t].CompareTo(indexed) > 0)
                    {
                        ids.Add(tail[t++].Id);
                    }
                    else
                    {
                        ids.Add(indexed.Id);
                        if (t < tail.Length && tail[t] == indexed)
                            t++;
                        more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else if (t < tail.Length)
                {
                    ids.Add(tail[t++].Id);
                }
                else
                {
                    break;
                }

                if (ids.Count >= Math.Min(FetchChunk, limit - results.Count))
                {
                    await FetchAsync(fetch, ids, type, filter, visible, results, limit, cancellationToken).ConfigureAwait(false);
                    ids.Clear();
                }
            }

            if (ids.Count > 0)
                await FetchAsync(fetch, ids, type, filter, visible, results, limit, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// The commands <see cref="ReadUidAsync"/> runs: a walk of a uid's index entries, and a read of
    /// events by id. Made once per query and reused for every uid it reads, so each is prepared once.
    /// </summary>
    private static (SqliteCommand Index, SqliteCommand Fetch) UidCommands(SqliteConnection connection)
    {
        var index = connection.CreateCommand();
        index.CommandText = "SELECT time, id FROM uid_index WHERE uid = @uid AND time >= @since AND time <= @until ORDER BY time DESC, id DESC";
        index.Parameters.Add("@uid", SqliteType.Text);
        index.Parameters.Add("@since", SqliteType.Integer);
        index.Parameters.Add("@until", SqliteType.Integer);
        return (index, connection.CreateCommand());
    }

    /// <summary>Adds the events of <paramref name="ids"/>, in that order, that have <paramref name="type"/> (unless null) and the caller may see, up to <paramref name="limit"/> results.</summary>
    private async Task FetchAsync(
        SqliteCommand command, List<long> ids, string? type, AccessFilter? filter, Func<StoredEvent, bool>? visible,
        List<StoredEvent> results, int limit, CancellationToken cancellationToken)
    {
        command.Parameters.Clear();
        var text = new StringBuilder("SELECT id, uid, received_at, sender, xml FROM events WHERE id IN (SELECT value FROM json_each(@ids))");
        if (type is not null)
            text.Append(" AND type = @type");
        AppendFilter(text, command, filter);
        var sql = text.ToString();
        // Set only when it changes, which would throw the prepared statement away.
        if (!string.Equals(command.CommandText, sql, StringComparison.Ordinal))
            command.CommandText = sql;
        command.Parameters.AddWithValue("@ids", "[" + string.Join(',', ids) + "]");
        if (type is not null)
            command.Parameters.AddWithValue("@type", type);

        var found = new Dictionary<long, StoredEvent>(ids.Count);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(reader, visible, out var stored))
                    found[reader.GetInt64(0)] = stored;
            }
        }

        foreach (var id in ids)
        {
            if (results.Count >= limit)
                break;
            if (found.TryGetValue(id, out var stored))
                results.Add(stored);
        }
    }
}
