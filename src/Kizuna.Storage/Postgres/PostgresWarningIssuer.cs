using System.Text.Json;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Storage.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// One issuer of warnings per node, in the node's PostgreSQL (docs/dev/warning-lease.md): the
/// lease row (holder and expiry, renewed on the node's clock), the sensor reports stored for the
/// issuer by the other instances, and which stored warning versions were announced on the bus.
/// Reads the warning store's <c>warning_versions</c>, so it is initialized after it.
/// </summary>
/// <remarks>Connections from a pool, one per call: the lease's renewals never wait behind the warning store's connection.</remarks>
public sealed class PostgresWarningIssuer(string connectionString, LabelPolicy labels, ILogger<PostgresWarningIssuer>? logger = null) : IWarningIssuerStore
{
    private const string Component = "warning-issuer";
    private const string LeaseName = "warnings";

    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE warning_lease (
            name text COLLATE "C" PRIMARY KEY,
            holder text COLLATE "C" NOT NULL,
            expires_at timestamptz NOT NULL
        );
        CREATE TABLE warning_forwarded (
            id bigserial PRIMARY KEY,
            stored_at timestamptz NOT NULL DEFAULT now(),
            sender text NOT NULL,
            organization text NOT NULL,
            report text NOT NULL
        );
        CREATE TABLE warning_announced (
            warning_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            announced_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (warning_id, version)
        );
        """,
    ];

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The warning issuer store is not initialized.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        var version = await PostgresSchema.MigrateAsync(_dataSource, Component, Migrations, _logger, cancellationToken).ConfigureAwait(false);
        var (host, database) = PostgresSchema.Describe(connectionString);
        PostgresLog.StoreOpened(_logger, Component, host, database, version);
    }

    public async Task<bool> TryHoldAsync(string holder, DateTime now, DateTime until, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One statement: take a lease no one holds or whose expiry has passed, renew one's own; another's stands.
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO warning_lease (name, holder, expires_at) VALUES (@name, @holder, @until)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE warning_lease.holder = excluded.holder OR warning_lease.expires_at <= @now
            RETURNING holder
            """, connection);
        command.Parameters.AddWithValue("name", LeaseName);
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("until", PostgresSchema.Utc(until));
        command.Parameters.AddWithValue("now", PostgresSchema.Utc(now));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string;
    }

    public async Task ReleaseAsync(string holder, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, "DELETE FROM warning_lease WHERE name = @name AND holder = @holder", cancellationToken, ("name", LeaseName), ("holder", holder)).ConfigureAwait(false);
    }

    public void StoreForIssuer(SensorReport report, string sender, string organization, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var connection = DataSource.OpenConnection();
        using var command = new NpgsqlCommand("INSERT INTO warning_forwarded (sender, organization, report) VALUES (@sender, @organization, @report)", connection);
        command.Parameters.AddWithValue("sender", sender);
        command.Parameters.AddWithValue("organization", organization);
        command.Parameters.AddWithValue("report", JsonSerializer.Serialize(ReportRecord.From(report), WarningJsonContext.Default.ReportRecord));
        command.ExecuteNonQuery();
    }

    public async Task<IReadOnlyList<ForwardedReport>> ForwardedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT id, sender, organization, report FROM warning_forwarded ORDER BY id LIMIT @limit", connection);
        command.Parameters.AddWithValue("limit", limit);
        var reports = new List<ForwardedReport>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var report = JsonSerializer.Deserialize(reader.GetString(3), WarningJsonContext.Default.ReportRecord)!.ToReport(labels);
            reports.Add(new ForwardedReport(reader.GetInt64(0), report, reader.GetString(1), reader.GetString(2)));
        }

        return reports;
    }

    public void Done(long id, CancellationToken cancellationToken)
    {
        using var connection = DataSource.OpenConnection();
        using var command = new NpgsqlCommand("DELETE FROM warning_forwarded WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        command.ExecuteNonQuery();
    }

    public async Task MarkAnnouncedAsync(string warningId, int version, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(
            connection, "INSERT INTO warning_announced (warning_id, version) VALUES (@id, @version) ON CONFLICT DO NOTHING", cancellationToken,
            ("id", warningId), ("version", version)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(string WarningId, int Version)>> UnannouncedSinceAsync(DateTime since, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            """
            SELECT v.warning_id, v.version, min(v.issued_at) AS issued FROM warning_versions v
            WHERE v.issued_at >= @since
              AND NOT EXISTS (SELECT 1 FROM warning_announced a WHERE a.warning_id = v.warning_id AND a.version = v.version)
            GROUP BY v.warning_id, v.version
            ORDER BY issued, v.warning_id, v.version
            """, connection);
        command.Parameters.AddWithValue("since", PostgresSchema.Utc(since));
        var versions = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            versions.Add((reader.GetString(0), reader.GetInt32(1)));
        return versions;
    }

    public async Task<long> PruneAsync(DateTime before, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            foreach (var sql in new[] { "DELETE FROM warning_announced WHERE announced_at < @before", "DELETE FROM warning_forwarded WHERE stored_at < @before" })
            {
                var command = new NpgsqlBatchCommand(sql);
                command.Parameters.AddWithValue("before", PostgresSchema.Utc(before));
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            long announced = batch.BatchCommands[0].RecordsAffected, forwarded = batch.BatchCommands[1].RecordsAffected;
            if (announced + forwarded > 0)
                PostgresLog.IssuerRecordsPruned(_logger, announced, forwarded, PostgresSchema.Utc(before));
            return announced + forwarded;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            PostgresLog.IssuerPruneFailed(_logger, PostgresSchema.Utc(before), PostgresSchema.Reason(ex));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
