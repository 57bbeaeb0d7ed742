using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Sqlite;

// The schema: the tables and indexes, the version kept in PRAGMA user_version, and the upgrade
// of an older history to it.
public sealed partial class SqliteEventStore
{
    /// <summary>
    /// The schema this code writes; kept in <c>PRAGMA user_version</c>. Version 2 dropped the
    /// indexes on (uid, received_at) and (type, received_at) for one on (type, time): every query
    /// filters and orders on the event time, and with many live uids each uid-keyed index costs a
    /// scattered page write per event, which a missile warning's durable append waits behind.
    /// Version 3 replaced the index on (uid, time) with <c>uid_index</c>, written behind the history
    /// a segment at a time, and <c>history_mark</c>, through which event it and <c>latest</c> are
    /// up to date; for the same reason, <c>latest</c> is no longer written with every batch.
    /// Version 4 keeps each event's label as columns (<c>label_scheme</c>, <c>label_level</c>,
    /// <c>label_nations</c>, <c>label_categories</c>; see <see cref="StoredLabel"/>) in the indexes on
    /// time and on (type, time), so a history query skips what the caller may not see without
    /// reading the row; and <c>owners</c>, the organization that owns each uid. Events written
    /// before version 4 have scheme 0: they cannot be judged by their columns and are decided in memory.
    /// Version 5 keeps each federated event's origin node, per-origin sequence and provenance
    /// (<c>origin_node</c>, <c>origin_seq</c>, <c>provenance</c>; empty for local events) and the
    /// federation outboxes' cursors (<c>federation_cursors</c>); see SqliteEventStore.Federation.cs.
    /// </summary>
    public const long SchemaVersion = 5;

    // The label columns, in the order the insert binds them after the id.
    private const string LabelColumns = "label_scheme, label_level, label_nations, label_categories";

    private const string EventColumns = "uid, type, time, start, stale, received_at, sender, lat, lon, xml";

    private static async Task<long> CreateSchemaAsync(SqliteConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            """, cancellationToken).ConfigureAwait(false);

        long version;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA user_version";
            version = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
        }
        if (version > SchemaVersion)
            throw new InvalidOperationException(
                $"The database has schema version {version}, newer than this build understands ({SchemaVersion}).");
        if (version is > 0 and < SchemaVersion)
        {
            StorageLog.SchemaUpgrading(logger, version, SchemaVersion, version switch
            {
                < 2 => "its indexes on uid and type by receive time give way to one on type and event time, its index on uid moves to uid_index, and each event gets label columns",
                2 => "its index on uid moves to uid_index, written behind the history, and each event gets label columns",
                < 4 => "each event gets label columns, indexed with its time (older events are decided as they are read), and uids get owners",
                _ => "each event gets its federation origin, sequence and provenance, and partners' outbox cursors are kept",
            });
        }

        // One column set for both tables; times are unix milliseconds, UTC.
        const string columns = """
                type TEXT NOT NULL,
                time INTEGER NOT NULL,
                start INTEGER NOT NULL,
                stale INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                sender TEXT NOT NULL,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                xml TEXT NOT NULL
            """;
        // The label columns (schema 4): a history written before has them added, with scheme 0.
        const string labelColumns = """
                label_scheme INTEGER NOT NULL DEFAULT 0,
                label_level INTEGER NOT NULL DEFAULT 0,
                label_nations INTEGER NOT NULL DEFAULT 0,
                label_categories INTEGER NOT NULL DEFAULT 0
            """;
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY,
                uid TEXT NOT NULL,
            {columns},
            {labelColumns}
            );
            """, cancellationToken).ConfigureAwait(false);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'label_scheme'";
            if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L) == 0)
            {
                var add = string.Join(' ', labelColumns.Split(',').Select(c => $"ALTER TABLE events ADD COLUMN {c.Trim()};"));
                await ExecuteAsync(connection, $"BEGIN; {add} COMMIT;", cancellationToken).ConfigureAwait(false);
            }
        }

        await CreateFederationSchemaAsync(connection, cancellationToken).ConfigureAwait(false);

        await ExecuteAsync(connection, $"""
            BEGIN;
            DROP INDEX IF EXISTS ix_events_uid_received_at;
            DROP INDEX IF EXISTS ix_events_type_received_at;
            DROP INDEX IF EXISTS ix_events_type_time;
            DROP INDEX IF EXISTS ix_events_time;
            CREATE INDEX IF NOT EXISTS ix_events_type_time_label ON events (type, time, {LabelColumns});
            CREATE INDEX IF NOT EXISTS ix_events_received_at ON events (received_at);
            CREATE INDEX IF NOT EXISTS ix_events_time_label ON events (time, {LabelColumns});
            CREATE TABLE IF NOT EXISTS owners (
                uid TEXT NOT NULL PRIMARY KEY,
                owner TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS latest (
                uid TEXT NOT NULL PRIMARY KEY,
            {columns}
            );
            CREATE TABLE IF NOT EXISTS uid_index (
                uid TEXT NOT NULL,
                time INTEGER NOT NULL,
                id INTEGER NOT NULL,
                PRIMARY KEY (uid, time, id)
            ) WITHOUT ROWID;
            -- Through which event id uid_index and latest are up to date. Before version 3 both
            -- were written with every batch: an older history's are up to date through its last
            -- event once its index on (uid, time) is copied into uid_index.
            CREATE TABLE IF NOT EXISTS history_mark (indexed_through INTEGER NOT NULL);
            INSERT OR IGNORE INTO uid_index (uid, time, id)
                SELECT uid, time, id FROM events WHERE NOT EXISTS (SELECT 1 FROM history_mark) ORDER BY uid, time, id;
            INSERT INTO history_mark (indexed_through)
                SELECT COALESCE(MAX(id), 0) FROM events WHERE NOT EXISTS (SELECT 1 FROM history_mark);
            DROP INDEX IF EXISTS ix_events_uid_time;
            PRAGMA user_version = {SchemaVersion};
            COMMIT;
            """, cancellationToken).ConfigureAwait(false);
        return SchemaVersion;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
