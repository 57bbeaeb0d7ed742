using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// One prepared write, bound through SQLite's own API rather than <see cref="SqliteCommand"/>,
/// whose binding turned every row into strings, UTF-8 copies of them, boxed numbers and a data
/// reader: half of what the node allocated under a saturating feed. Text is bound as the UTF-8
/// bytes it is packed in, numbers as numbers, so a write allocates nothing. Parameters are bound
/// by position.
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

    /// <summary>
    /// Writes one event row: (uid, type, time, start, stale, received_at, sender, lat, lon, xml),
    /// the order of <c>SqliteEventStore</c>'s event columns, then its id, then its label columns
    /// (scheme, level, nations, checked categories), then its origin node, origin sequence and provenance.
    /// </summary>
    public void Execute(RowView row, long id)
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
            Check(raw.sqlite3_bind_int64(_statement, 11, id));
            Check(raw.sqlite3_bind_int(_statement, 12, row.LabelScheme));
            Check(raw.sqlite3_bind_int(_statement, 13, row.LabelLevel));
            Check(raw.sqlite3_bind_int64(_statement, 14, row.LabelNations));
            Check(raw.sqlite3_bind_int(_statement, 15, row.LabelCategories));
            Check(raw.sqlite3_bind_text(_statement, 16, row.OriginNode));
            Check(raw.sqlite3_bind_int64(_statement, 17, row.OriginSequence));
            Check(raw.sqlite3_bind_text(_statement, 18, row.Provenance));
            Step();
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Writes with one text and two numbers (a uid index entry: uid, time, id).</summary>
    public void Execute(ReadOnlySpan<byte> text, long first, long second)
    {
        try
        {
            Check(raw.sqlite3_bind_text(_statement, 1, text));
            Check(raw.sqlite3_bind_int64(_statement, 2, first));
            Check(raw.sqlite3_bind_int64(_statement, 3, second));
            Step();
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Writes with two texts (a uid's owner: uid, owner).</summary>
    public void Execute(string first, string second)
    {
        try
        {
            Check(raw.sqlite3_bind_text(_statement, 1, first));
            Check(raw.sqlite3_bind_text(_statement, 2, second));
            Step();
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Writes with one number (an event id, a mark).</summary>
    public void Execute(long value)
    {
        try
        {
            Check(raw.sqlite3_bind_int64(_statement, 1, value));
            Step();
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => raw.sqlite3_finalize(_statement);

    private void Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
