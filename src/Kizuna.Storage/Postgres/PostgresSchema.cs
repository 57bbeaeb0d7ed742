using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// Migrations at start: each component (the event history, the warnings) has an ordered list of
/// migrations and a row in <c>kizuna_schema</c> saying how many of them ran. Every instance of a
/// cluster runs this at start; a transaction-scoped advisory lock per schema and component makes
/// the instances that start together take turns, so each migration runs once.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>
    /// A data source for one component's tables, created or upgraded and logged as opened; the
    /// data source is disposed if that fails. The small record stores open this way.
    /// </summary>
    public static async Task<NpgsqlDataSource> OpenAsync(string connectionString, string component, IReadOnlyList<string> migrations, ILogger? logger, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var version = await MigrateAsync(dataSource, component, migrations, logger ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false);
            var (host, database) = Describe(connectionString);
            PostgresLog.StoreOpened(logger ?? NullLogger.Instance, component, host, database, version);
            return dataSource;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<string> migrations, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/kizuna/' || @component))", cancellationToken, ("component", component)).ConfigureAwait(false);
                await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS kizuna_schema (component text PRIMARY KEY, version integer NOT NULL)", cancellationToken).ConfigureAwait(false);
                int version;
                await using (var command = new NpgsqlCommand("SELECT version FROM kizuna_schema WHERE component = @component", connection))
                {
                    command.Parameters.AddWithValue("component", component);
                    version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
                }

                if (version > migrations.Count)
                    throw new InvalidOperationException(
                        $"The PostgreSQL {component} schema is at version {version}, newer than this build understands ({migrations.Count}); run the newer build or restore an older database.");
                if (version == migrations.Count)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return version;
                }

                for (var k = version; k < migrations.Count; k++)
                    await ExecuteAsync(connection, migrations[k], cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection,
                    "INSERT INTO kizuna_schema (component, version) VALUES (@component, @version) ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    cancellationToken, ("component", component), ("version", migrations.Count)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                PostgresLog.SchemaMigrated(logger, component, version, migrations.Count);
                return migrations.Count;
            }
        }
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            foreach (var (name, value) in parameters)
                command.Parameters.AddWithValue(name, value);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A DateTime as timestamptz takes it (UTC; an unspecified kind is taken as UTC, as the CoT model's times are).</summary>
    public static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };

    /// <summary>A short reason for a log line: the failure's kind and SQLSTATE, never stored data.</summary>
    public static string Reason(Exception exception) => exception switch
    {
        PostgresException postgres => $"PostgreSQL {postgres.SqlState}: {postgres.MessageText}",
        NpgsqlException npgsql => $"Npgsql: {npgsql.Message}",
        Kizuna.Cot.CotFormatException cot => $"{cot.Reason}: {cot.Message}",
        _ => exception.GetType().Name,
    };

    /// <summary>Host and database of a connection string, for logs and /healthz (never the password).</summary>
    public static (string Host, string Database) Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return ($"{builder.Host}:{builder.Port}", builder.Database ?? builder.Username ?? "");
    }
}
