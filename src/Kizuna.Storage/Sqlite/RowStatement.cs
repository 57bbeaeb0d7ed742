using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// One prepared write of an event row, bound straight from a packed row (<see cref="RowView"/>):
/// text as the UTF-8 bytes it is packed in, numbers as numbers. Through SQLite's own API rather than
/// <see cref="SqliteCommand"/>, whose binding turned every row into strings, UTF-8 copies of them,
/// boxed numbers and a data reader: half of what the node allocated under a saturating feed.
/// Parameters are bound by position, in the order of <c>SqliteEventStore</c>'s event columns.
/// </summary>
internal sealed class RowStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RowStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Writes one row (uid, type, time, start, stale, received_at, sender, lat, lon, xml).</summary>
    public void Execute(RowView row)
    {
        try
        {
            Check(raw.sqlite3_bind_text(_statement, 1, row.Uid));
            Check(raw.sqlite3_bind_text(_statement, 2, row.Type));
            Check(raw.sqlite3_bind_int64(_statement, 3, row.Time));
            Check(raw.sqlite3_bind_int64(_statement, 4, row.Start));
            Check(raw.sqlite3_bind_int64(_statement, 5, row.Stale));
            Check(raw.sqlite3_bind_int64(_statement, 6, row.ReceivedAt));
            Check(raw.sqlite3_bind_text(_statement, 7, row.Sender));
            Check(raw.sqlite3_bind_double(_statement, 8, row.Lat));
            Check(raw.sqlite3_bind_double(_statement, 9, row.Lon));
            Check(raw.sqlite3_bind_text(_statement, 10, row.Xml));
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => raw.sqlite3_finalize(_statement);

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
