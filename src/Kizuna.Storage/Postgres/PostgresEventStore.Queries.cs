using System.Text;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Npgsql;

namespace Kizuna.Storage.Postgres;

// The reads: history by uid, type, time and access filter (keyset pages, newest first), the picture
// at a time, the latest of every uid, owners, and what federation reads after a position.
public sealed partial class PostgresEventStore
{
    private const string RowColumns = "uid, type, time, start, stale, received_at, sender, lat, lon, xml";

    // Rows a page of a filtered scan reads at a time when the in-memory decision may pass over some.
    private const int ScanPage = 256;

    /// <inheritdoc />
    /// <remarks>
    /// Pages by (time, id) newest first; with <see cref="EventQuery.Visible"/> a page may be passed
    /// over in part, so the next page starts after the last row read, until the limit is reached.
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var limit = Math.Min(query.Limit, PostgresStoreOptions.MaxQueryLimit);
        if (limit <= 0)
            return [];
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await ScanAsync(connection, query.Uid, query.Type, query.Since, query.Until, query.Filter, query.Visible, limit, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<StoredEvent>> ScanAsync(
        NpgsqlConnection connection, string? uid, string? type, DateTime? since, DateTime? until,
        AccessFilter? filter, Func<StoredEvent, bool>? visible, int limit, CancellationToken cancellationToken)
    {
        var results = new List<StoredEvent>(Math.Min(limit, 256));
        var page = visible is null ? limit : Math.Max(limit, ScanPage);
        (DateTime Time, long Id)? after = null;
        while (results.Count < limit)
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            var sql = new StringBuilder("SELECT id, received_at, sender, xml, time FROM events WHERE true");
            if (uid is not null)
            {
                sql.Append(" AND uid = @uid");
                command.Parameters.AddWithValue("uid", uid);
            }

            if (type is not null)
            {
                sql.Append(" AND type = @type");
                command.Parameters.AddWithValue("type", type);
            }

            if (since is { } from)
            {
                sql.Append(" AND time >= @since");
                command.Parameters.AddWithValue("since", PostgresSchema.Utc(from));
            }

            if (until is { } to)
            {
                sql.Append(" AND time <= @until");
                command.Parameters.AddWithValue("until", PostgresSchema.Utc(to));
            }

            if (after is { } last)
            {
                sql.Append(" AND (time, id) < (@afterTime, @afterId)");
                command.Parameters.AddWithValue("afterTime", last.Time);
                command.Parameters.AddWithValue("afterId", last.Id);
            }

            AppendFilter(sql, command, filter);
            sql.Append(" ORDER BY time DESC, id DESC LIMIT @page");
            command.Parameters.AddWithValue("page", page);
            command.CommandText = sql.ToString();
            var rows = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows++;
                    after = (reader.GetFieldValue<DateTime>(4), reader.GetInt64(0));
                    if (results.Count < limit && TryRead(reader, visible) is { } stored)
                        results.Add(stored);
                }
            }

            if (rows < page)
                break;
        }

        return results;
    }

    /// <summary>The caller's access filter as a WHERE term on the label columns (what <see cref="AccessFilter.Admits"/> says).</summary>
    private static void AppendFilter(StringBuilder sql, NpgsqlCommand command, AccessFilter? filter)
    {
        if (filter is null)
            return;
        sql.Append(" AND (label_scheme <> @scheme OR (label_level <= @level AND (label_nations & @nation) <> 0");
        if (!filter.HoldsCategories)
            sql.Append(" AND NOT label_categories");
        sql.Append("))");
        command.Parameters.AddWithValue("scheme", filter.Scheme);
        command.Parameters.AddWithValue("level", filter.MaxLevel);
        command.Parameters.AddWithValue("nation", filter.NationBit);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One query gives each uid's newest event at or before the time that the columns admit; a uid
    /// whose newest the in-memory decision refuses is walked back, a page at a time, to the newest it permits.
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var shownFrom = at - staleFor;
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var newest = new List<(string Uid, StoredEvent? Event)>();
            await using (var command = new NpgsqlCommand { Connection = connection })
            {
                var sql = new StringBuilder("SELECT DISTINCT ON (uid) id, received_at, sender, xml, uid FROM events WHERE time <= @at");
                command.Parameters.AddWithValue("at", PostgresSchema.Utc(at));
                AppendFilter(sql, command, filter);
                sql.Append(" ORDER BY uid, time DESC, id DESC");
                command.CommandText = sql.ToString();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    newest.Add((reader.GetString(4), TryRead(reader, visible)));
            }

            var state = new List<StoredEvent>(newest.Count);
            foreach (var (uid, candidate) in newest)
            {
                var found = candidate ?? (await ScanAsync(connection, uid, null, null, at, filter, visible, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
                if (found is not null && found.Event.Stale > shownFrom)
                    state.Add(found);
            }

            return state;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand("SELECT id, received_at, sender, xml FROM latest WHERE stale > @now", connection);
            command.Parameters.AddWithValue("now", PostgresSchema.Utc(utcNow));
            var latest = new List<StoredEvent>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (TryRead(reader, visible: null) is { } stored)
                        latest.Add(stored);
                }
            }

            latest.Sort(static (a, b) => string.CompareOrdinal(a.Event.Uid, b.Event.Uid));
            return latest;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var owners = new List<KeyValuePair<string, string>>();
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand("SELECT uid, owner FROM owners", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                owners.Add(new(reader.GetString(0), reader.GetString(1)));
        }

        return owners;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Up to the position this instance's writer committed last: ids come from one sequence, and an
    /// id below it that another instance has not committed yet would be passed over for good, so
    /// a cursor over a cluster's history reads each instance's own writes (docs/dev/scale-out.md).
    /// </remarks>
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        limit = Math.Min(limit, PostgresStoreOptions.MaxQueryLimit);
        if (limit <= 0)
            return [];
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            var sql = new StringBuilder("SELECT id, received_at, sender, xml, origin_node, origin_seq, provenance FROM events WHERE id > @position AND id <= @last");
            command.Parameters.AddWithValue("position", position);
            command.Parameters.AddWithValue("last", LastPosition);
            AppendFilter(sql, command, filter);
            sql.Append(" ORDER BY id LIMIT @limit");
            command.Parameters.AddWithValue("limit", limit);
            command.CommandText = sql.ToString();
            var results = new List<StoredEvent>(Math.Min(limit, 256));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(reader, visible: null) is not { } stored)
                    continue;
                results.Add(stored with
                {
                    Position = reader.GetInt64(0),
                    OriginNode = reader.IsDBNull(4) ? null : reader.GetString(4),
                    OriginSequence = reader.GetInt64(5),
                    Provenance = reader.IsDBNull(6) ? null : reader.GetString(6),
                });
            }

            return results;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyValuePair<string, long>>> OriginSequencesAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var list = new List<KeyValuePair<string, long>>();
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand("SELECT origin_node, origin_seq FROM events WHERE origin_node IS NOT NULL ORDER BY origin_node, origin_seq", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add(new(reader.GetString(0), reader.GetInt64(1)));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> FederationCursorsAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand("SELECT partner, acknowledged FROM federation_cursors", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                cursors[reader.GetString(0)] = reader.GetInt64(1);
        }

        return cursors;
    }

    /// <inheritdoc />
    public async Task SaveFederationCursorAsync(string partnerNodeId, long position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partnerNodeId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await PostgresSchema.ExecuteAsync(connection,
                """
                INSERT INTO federation_cursors (partner, acknowledged) VALUES (@partner, @position)
                ON CONFLICT (partner) DO UPDATE SET acknowledged = GREATEST(federation_cursors.acknowledged, excluded.acknowledged)
                """,
                cancellationToken, ("partner", partnerNodeId), ("position", position)).ConfigureAwait(false);
        }
    }

    private async Task<NpgsqlConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _initialized) == 0 || _writerTask is null)
            throw new InvalidOperationException("The event store is not initialized; call InitializeAsync first.");
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A row of (id, received_at, sender, xml, ...) as a stored event, if it decodes (else logged and skipped) and <paramref name="visible"/> admits it.</summary>
    private StoredEvent? TryRead(NpgsqlDataReader reader, Func<StoredEvent, bool>? visible)
    {
        CotEvent evt;
        try
        {
            evt = CotXml.Decode(reader.GetFieldValue<byte[]>(3), CotLimits.NodeWritten);
        }
        catch (Exception ex) when (ex is CotFormatException or FormatException or ArgumentException or System.Xml.XmlException)
        {
            PostgresLog.StoredEventUnreadable(_logger, reader.GetInt64(0), PostgresSchema.Reason(ex));
            return null;
        }

        var read = new StoredEvent(evt, reader.GetFieldValue<DateTime>(1), reader.GetString(2));
        return visible is null || visible(read) ? read : null;
    }
}
