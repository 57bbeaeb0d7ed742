using Kizuna.Core.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// Console sign-in tokens and signed-in console sessions in PostgreSQL, shared by a node's
/// instances and the CLI (docs/scale-out.md): a link from <c>kizuna console-token --postgres</c>
/// signs in once on any instance, and the session it starts holds on every instance until it is
/// ended on any. Only hashes are stored: a read of the tables gives neither a usable link nor a
/// usable cookie. Tokens through Npgsql's synchronous API (the CLI and a sign-in), sessions through
/// its asynchronous one (every request of a console).
/// </summary>
public sealed class PostgresConsoleRecords : IConsoleTokenStore, IConsoleSessionStore, IDisposable
{
    private const string Component = "console";

    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE console_tokens (
            hash text COLLATE "C" PRIMARY KEY,
            name text NOT NULL,
            serial text NOT NULL,
            issued_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );
        CREATE INDEX console_tokens_expires ON console_tokens (expires_at);
        CREATE TABLE console_sessions (
            hash text COLLATE "C" PRIMARY KEY,
            serial text COLLATE "C" NOT NULL,
            name text NOT NULL,
            expires_at timestamptz NOT NULL
        );
        CREATE INDEX console_sessions_serial ON console_sessions (serial);
        CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;

    private PostgresConsoleRecords(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Opens the records and creates or upgrades their tables.</summary>
    public static async Task<PostgresConsoleRecords> OpenAsync(string connectionString, ILogger? logger, CancellationToken cancellationToken)
        => new(await PostgresSchema.OpenAsync(connectionString, Component, Migrations, logger, cancellationToken).ConfigureAwait(false));

    public void Add(ConsoleTokenRecord record, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = _dataSource.OpenConnection();
        using var batch = new NpgsqlBatch(connection);
        // Expired tokens stay a lifetime longer, so a late click is told "expired", not "unknown".
        var forget = new NpgsqlBatchCommand("DELETE FROM console_tokens WHERE expires_at < @cutoff");
        forget.Parameters.AddWithValue("cutoff", PostgresSchema.Utc(now) - ConsoleTokens.Lifetime);
        var insert = new NpgsqlBatchCommand(
            "INSERT INTO console_tokens (hash, name, serial, issued_at, expires_at) VALUES (@hash, @name, @serial, @issued, @expires)");
        insert.Parameters.AddWithValue("hash", record.Hash);
        insert.Parameters.AddWithValue("name", record.Name);
        insert.Parameters.AddWithValue("serial", record.Serial);
        insert.Parameters.AddWithValue("issued", PostgresSchema.Utc(record.IssuedAt));
        insert.Parameters.AddWithValue("expires", PostgresSchema.Utc(record.ExpiresAt));
        batch.BatchCommands.Add(forget);
        batch.BatchCommands.Add(insert);
        batch.ExecuteNonQuery();
    }

    public ConsoleTokenRecord? Use(string hash, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(hash);
        using var connection = _dataSource.OpenConnection();
        // One statement: the row as it was before, and the mark only when unused and unexpired,
        // so two instances given the same link at once sign in one browser.
        using var command = new NpgsqlCommand(
            """
            WITH found AS (SELECT hash, name, serial, issued_at, expires_at, used_at FROM console_tokens WHERE hash = @hash FOR UPDATE),
                 used AS (UPDATE console_tokens t SET used_at = @now FROM found
                          WHERE t.hash = found.hash AND found.used_at IS NULL AND found.expires_at > @now RETURNING t.hash)
            SELECT name, serial, issued_at, expires_at, used_at FROM found
            """, connection);
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("now", PostgresSchema.Utc(now));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new ConsoleTokenRecord(
            hash, reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2), reader.GetFieldValue<DateTime>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTime>(4));
    }

    public async Task AddAsync(ConsoleSessionRecord session, DateTime now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                var forget = new NpgsqlBatchCommand("DELETE FROM console_sessions WHERE expires_at <= @now");
                forget.Parameters.AddWithValue("now", PostgresSchema.Utc(now));
                var insert = new NpgsqlBatchCommand("INSERT INTO console_sessions (hash, serial, name, expires_at) VALUES (@hash, @serial, @name, @expires)");
                insert.Parameters.AddWithValue("hash", session.Hash);
                insert.Parameters.AddWithValue("serial", session.Serial.ToUpperInvariant());
                insert.Parameters.AddWithValue("name", session.Name);
                insert.Parameters.AddWithValue("expires", PostgresSchema.Utc(session.ExpiresAt));
                batch.BatchCommands.Add(forget);
                batch.BatchCommands.Add(insert);
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<ConsoleSessionRecord?> FindAsync(string hash, DateTime now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var command = _dataSource.CreateCommand("SELECT serial, name, expires_at FROM console_sessions WHERE hash = @hash AND expires_at > @now");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("hash", hash);
            command.Parameters.AddWithValue("now", PostgresSchema.Utc(now));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? new ConsoleSessionRecord(hash, reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2))
                    : null;
            }
        }
    }

    public async Task<bool> RemoveAsync(string hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var command = _dataSource.CreateCommand("DELETE FROM console_sessions WHERE hash = @hash");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("hash", hash);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    public async Task<IReadOnlyList<ConsoleSessionRecord>> RemoveSignedInAsAsync(IReadOnlyCollection<string> serials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serials);
        var ended = new List<ConsoleSessionRecord>();
        if (serials.Count == 0)
            return ended;
        var command = _dataSource.CreateCommand("DELETE FROM console_sessions WHERE serial = ANY(@serials) RETURNING hash, serial, name, expires_at");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("serials", serials.Select(s => s.ToUpperInvariant()).ToArray());
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    ended.Add(new ConsoleSessionRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTime>(3)));
            }
        }

        return ended;
    }

    public void Dispose() => _dataSource.Dispose();
}
