using System.Text;
using Kizuna.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// What federation needs of the history (schema 5): every event's position (its id), read in
/// ascending order after a cursor; each federated event's origin node, per-origin sequence and
/// provenance; the outboxes' cursors; and a wake-up when the writer commits, so an outbox sends
/// a live event at once instead of polling. See docs/dev/federation-outbox.md.
/// </summary>
public sealed partial class SqliteEventStore
{
    // The origin columns, in the order the insert binds them after the label columns.
    private const string OriginColumns = "origin_node, origin_seq, provenance";

    private readonly Lock _positionGate = new();
    private long _lastPosition;
    private TaskCompletionSource? _positionAdvanced;

    /// <inheritdoc />
    public long LastPosition => Interlocked.Read(ref _lastPosition);

    /// <summary>Schema 5: the origin columns (added to an older history, empty there), their index, and the cursors' table.</summary>
    private static async Task CreateFederationSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'origin_node'";
            if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L) == 0)
            {
                await ExecuteAsync(connection, """
                    BEGIN;
                    ALTER TABLE events ADD COLUMN origin_node TEXT;
                    ALTER TABLE events ADD COLUMN origin_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE events ADD COLUMN provenance TEXT;
                    COMMIT;
                    """, cancellationToken).ConfigureAwait(false);
            }
        }

        await ExecuteAsync(connection, """
            CREATE INDEX IF NOT EXISTS ix_events_origin ON events (origin_node, origin_seq) WHERE origin_node <> '';
            CREATE TABLE IF NOT EXISTS federation_cursors (
                partner TEXT NOT NULL PRIMARY KEY,
                acknowledged INTEGER NOT NULL
            ) WITHOUT ROWID;
            """, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>On the writer, after a batch committed: its last id is readable now; wakes the waiters.</summary>
    private void Committed(long position)
    {
        TaskCompletionSource? waiters;
        lock (_positionGate)
        {
            if (position <= _lastPosition)
            {
                return;
            }

            Interlocked.Exchange(ref _lastPosition, position);
            waiters = _positionAdvanced;
            _positionAdvanced = null;
        }

        waiters?.TrySetResult();
    }

    /// <inheritdoc />
    public Task WaitForPositionAsync(long position, CancellationToken cancellationToken)
    {
        lock (_positionGate)
        {
            if (_lastPosition > position || Volatile.Read(ref _disposed) != 0)
            {
                return Task.CompletedTask;
            }

            _positionAdvanced ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _positionAdvanced.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<StoredEvent> Rows, long Through)> ReadAfterOfTypesAsync(long position, IReadOnlyList<string> typePrefixes, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typePrefixes);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        limit = Math.Min(limit, SqliteStoreOptions.MaxQueryLimit);
        var committed = LastPosition;
        if (limit <= 0 || typePrefixes.Count == 0)
        {
            return ([], position);
        }

        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                // Only the type column is looked at for the rows passed over; the xml of a match is read.
                var sql = new StringBuilder("SELECT id, uid, received_at, sender, xml, origin_node, origin_seq, provenance FROM events WHERE id > @position AND id <= @last AND (");
                for (var i = 0; i < typePrefixes.Count; i++)
                {
                    sql.Append(i == 0 ? string.Empty : " OR ").Append(System.Globalization.CultureInfo.InvariantCulture, $"substr(type, 1, length(@p{i})) = @p{i}");
                    command.Parameters.AddWithValue("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), typePrefixes[i]);
                }

                sql.Append(") ORDER BY id LIMIT @limit");
                command.Parameters.AddWithValue("@position", position);
                command.Parameters.AddWithValue("@last", committed);
                command.Parameters.AddWithValue("@limit", limit);
                command.CommandText = sql.ToString();
                var results = new List<StoredEvent>();
                var seen = 0;
                var lastId = position;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        seen++;
                        lastId = reader.GetInt64(0);
                        if (!TryRead(reader, visible: null, out var stored))
                        {
                            continue;
                        }

                        results.Add(WithOrigin(reader, stored, lastId));
                    }
                }

                // Every matching row up to the committed position was returned unless the limit cut the result.
                return (results, seen >= limit ? lastId : Math.Max(position, committed));
            }
        }
    }

    /// <summary>A row read after a position (columns id, uid, received_at, sender, xml, origin_node, origin_seq, provenance) with its position and origin.</summary>
    private static StoredEvent WithOrigin(SqliteDataReader reader, StoredEvent stored, long position)
    {
        var origin = reader.IsDBNull(5) ? null : reader.GetString(5);
        var provenance = reader.IsDBNull(7) ? null : reader.GetString(7);
        return stored with
        {
            Position = position,
            OriginNode = string.IsNullOrEmpty(origin) ? null : origin,
            OriginSequence = reader.GetInt64(6),
            Provenance = string.IsNullOrEmpty(provenance) ? null : provenance,
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        limit = Math.Min(limit, SqliteStoreOptions.MaxQueryLimit);
        if (limit <= 0)
        {
            return [];
        }

        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                var sql = new StringBuilder("SELECT id, uid, received_at, sender, xml, origin_node, origin_seq, provenance FROM events WHERE id > @position AND id <= @last");
                command.Parameters.AddWithValue("@position", position);
                // Only what is committed: the writer may be past it in the same file.
                command.Parameters.AddWithValue("@last", LastPosition);
                AppendFilter(sql, command, filter);
                sql.Append(" ORDER BY id LIMIT @limit");
                command.Parameters.AddWithValue("@limit", limit);
                command.CommandText = sql.ToString();
                var results = new List<StoredEvent>(Math.Min(limit, 256));
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var id = reader.GetInt64(0);
                        if (!TryRead(reader, visible: null, out var stored))
                        {
                            // Unreadable (logged): still a position the cursor passes, as an empty placeholder is not possible.
                            continue;
                        }

                        results.Add(WithOrigin(reader, stored, id));
                    }
                }

                return results;
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<KeyValuePair<string, long>>> OriginSequencesAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT origin_node, origin_seq FROM events WHERE origin_node <> '' ORDER BY origin_node, origin_seq";
                var list = new List<KeyValuePair<string, long>>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        list.Add(new(reader.GetString(0), reader.GetInt64(1)));
                    }
                }

                return list;
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> FederationCursorsAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT partner, acknowledged FROM federation_cursors";
                var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        cursors[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }

                return cursors;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// On a connection of its own (a cursor is a few bytes, written at most a few times a second
    /// per partner); WAL serializes it with the writer's batches, and the busy timeout waits.
    /// A cursor only ever moves forward.
    /// </remarks>
    public async Task SaveFederationCursorAsync(string partnerNodeId, long position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partnerNodeId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new SqliteConnection(_writeConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 5000;", cancellationToken).ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = """
                    INSERT INTO federation_cursors (partner, acknowledged) VALUES (@partner, @position)
                    ON CONFLICT (partner) DO UPDATE SET acknowledged = MAX(acknowledged, excluded.acknowledged)
                    """;
                command.Parameters.AddWithValue("@partner", partnerNodeId);
                command.Parameters.AddWithValue("@position", position);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
