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
/// Missile warnings in PostgreSQL, the tables of <see cref="SqliteWarningStore"/> with the same
/// bodies (versions and reports as JSON). Each commit is synchronous (PostgreSQL's default
/// <c>synchronous_commit</c>): a version is on the server's disk before anyone is told of it.
/// </summary>
/// <remarks>
/// Threads, as the interface asks: one connection per store, one operation at a time behind its
/// gate (<see cref="GatedConnection{TConnection}"/>). The blocking members wait for the gate
/// and use Npgsql's synchronous API on the calling thread, so the issuing thread's commit has no
/// pool hop; the asynchronous members use the asynchronous API and may complete on the pool.
/// Receipts are gathered and committed together by the <see cref="ReceiptBatcher"/> the SQLite store uses too.
/// </remarks>
public sealed class PostgresWarningStore(string connectionString, LabelPolicy labels, ILogger<PostgresWarningStore>? logger = null) : IWarningStore
{
    private const string Component = "warnings";
    private const string DeliveredUpdate = "delivered_at = COALESCE(warning_receipts.delivered_at, excluded.delivered_at)";
    private const string AcknowledgedUpdate = "delivered_at = COALESCE(warning_receipts.delivered_at, excluded.delivered_at), acknowledged_at = COALESCE(warning_receipts.acknowledged_at, excluded.acknowledged_at)";

    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE warning_versions (
            warning_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            audience text COLLATE "C" NOT NULL DEFAULT '',
            issued_at timestamptz NOT NULL,
            stage text NOT NULL,
            exercise boolean NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (warning_id, version, audience)
        );
        CREATE INDEX warning_versions_issued ON warning_versions (issued_at);
        CREATE TABLE warning_receipts (
            warning_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            recipient text COLLATE "C" NOT NULL,
            organization text COLLATE "C" NOT NULL,
            nation text NOT NULL,
            delivered_at timestamptz,
            acknowledged_at timestamptz,
            PRIMARY KEY (warning_id, version, recipient)
        );
        CREATE TABLE warning_reports (
            nation text COLLATE "C" NOT NULL,
            sensor text COLLATE "C" NOT NULL,
            report_id text COLLATE "C" NOT NULL,
            warning_id text COLLATE "C" NOT NULL,
            received_at timestamptz NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (nation, sensor, report_id)
        );
        CREATE INDEX warning_reports_received ON warning_reports (received_at);
        CREATE INDEX warning_reports_warning ON warning_reports (warning_id);
        CREATE TABLE warning_escalations (
            warning_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            organization text COLLATE "C" NOT NULL,
            escalated_at timestamptz NOT NULL,
            PRIMARY KEY (warning_id, version, organization)
        );
        """,
    ];

    private readonly GatedConnection<NpgsqlConnection> _db = new("warning store");
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private NpgsqlDataSource? _dataSource;
    private ReceiptBatcher? _receiptBatcher;

    // Receipts waiting for the next receipt commit (made at first use: the batcher's writer takes this store's gate).
    private ReceiptBatcher Receipts => LazyInitializer.EnsureInitialized(ref _receiptBatcher, () => new ReceiptBatcher(WriteReceiptsAsync));

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        var version = await PostgresSchema.MigrateAsync(_dataSource, Component, Migrations, _logger, cancellationToken).ConfigureAwait(false);
        _db.Connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (host, database) = PostgresSchema.Describe(connectionString);
        PostgresLog.StoreOpened(_logger, Component, host, database, version);
    }

    public Task AppendAsync(WarningVersion version, CancellationToken cancellationToken) => _db.RunAsync(async connection =>
    {
        await using var command = InsertVersion(connection, null, version);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }, cancellationToken);

    public Task AppendAsync(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken) => _db.RunAsync(async connection =>
    {
        ArgumentOutOfRangeException.ThrowIfZero(views.Count);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var report = InsertReport(connection, transaction, views[0].WarningId, cause))
            await report.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var version in views)
        {
            await using var command = InsertVersion(connection, transaction, version);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Waits for the connection and commits on the calling thread (Npgsql's synchronous API): no thread hop.</remarks>
    public void Append(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken) => _db.Run(connection =>
    {
        ArgumentOutOfRangeException.ThrowIfZero(views.Count);
        using var transaction = connection.BeginTransaction();
        using (var report = InsertReport(connection, transaction, views[0].WarningId, cause))
            report.ExecuteNonQuery();
        foreach (var version in views)
        {
            using var command = InsertVersion(connection, transaction, version);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }, cancellationToken);

    public Task RecordReportAsync(string warningId, SensorReport report, CancellationToken cancellationToken) => _db.RunAsync(async connection =>
    {
        await using var command = InsertReport(connection, null, warningId, report);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }, cancellationToken);

    /// <inheritdoc />
    public void RecordReport(string warningId, SensorReport report, CancellationToken cancellationToken) => _db.Run(connection =>
    {
        using var command = InsertReport(connection, null, warningId, report);
        command.ExecuteNonQuery();
    }, cancellationToken);

    public Task<IReadOnlyList<StoredLaunch>> LaunchesSinceAsync(DateTime since, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<StoredLaunch>>(async connection =>
    {
        var reports = new Dictionary<string, List<SensorReport>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            """
            SELECT warning_id, body FROM warning_reports
            WHERE warning_id IN (SELECT warning_id FROM warning_reports WHERE received_at >= @since)
            ORDER BY received_at, nation, sensor, report_id
            """, connection))
        {
            command.Parameters.AddWithValue("since", PostgresSchema.Utc(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (!reports.TryGetValue(id, out var list))
                    reports[id] = list = [];
                list.Add(JsonSerializer.Deserialize(reader.GetString(1), WarningJsonContext.Default.ReportRecord)!.ToReport(labels));
            }
        }

        var latest = new Dictionary<string, List<WarningVersion>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            """
            SELECT DISTINCT ON (warning_id, audience) warning_id, body FROM warning_versions
            WHERE warning_id IN (SELECT warning_id FROM warning_reports WHERE received_at >= @since)
            ORDER BY warning_id, audience, version DESC
            """, connection))
        {
            command.Parameters.AddWithValue("since", PostgresSchema.Utc(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (!latest.TryGetValue(id, out var views))
                    latest[id] = views = [];
                views.Add(JsonSerializer.Deserialize(reader.GetString(1), WarningJsonContext.Default.WarningRecord)!.ToVersion(labels));
            }
        }

        var launches = new List<StoredLaunch>();
        foreach (var (id, list) in reports)
        {
            if (latest.TryGetValue(id, out var views))
                launches.Add(new StoredLaunch(views, list));
        }

        return launches;
    }, cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> VersionsAsync(string warningId, CancellationToken cancellationToken)
        => ReadVersionsAsync("SELECT body FROM warning_versions WHERE warning_id = @p ORDER BY version, audience", warningId, cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> LatestVersionsIssuedSinceAsync(DateTime since, CancellationToken cancellationToken)
        => ReadVersionsAsync(
            """
            SELECT body FROM (
                SELECT DISTINCT ON (warning_id, audience) body, issued_at, audience FROM warning_versions
                WHERE warning_id IN (SELECT warning_id FROM warning_versions WHERE issued_at >= @p)
                ORDER BY warning_id, audience, version DESC) newest
            ORDER BY issued_at DESC, audience
            """,
            PostgresSchema.Utc(since), cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> LatestVersionsAsync(CancellationToken cancellationToken)
        => ReadVersionsAsync(
            """
            SELECT body FROM (
                SELECT DISTINCT ON (warning_id, audience) body, issued_at, audience FROM warning_versions
                ORDER BY warning_id, audience, version DESC) newest
            ORDER BY issued_at DESC, audience
            """,
            null, cancellationToken);

    public Task<IReadOnlyList<string>> WarningIdsAsync(CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<string>>(async connection =>
    {
        await using var command = new NpgsqlCommand("SELECT DISTINCT warning_id FROM warning_versions", connection);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            ids.Add(reader.GetString(0));
        return ids;
    }, cancellationToken);

    public Task RecordDeliveryAsync(WarningReceipt receipt, CancellationToken cancellationToken) => Receipts.Queue(receipt, ReceiptKind.Delivery);

    public Task RecordAcknowledgementAsync(WarningReceipt receipt, CancellationToken cancellationToken) => Receipts.Queue(receipt, ReceiptKind.Acknowledgement);

    public Task<IReadOnlyList<WarningReceipt>> ReceiptsAsync(string warningId, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<WarningReceipt>>(async connection =>
    {
        // Whatever was recorded before this read is in it.
        await WriteQueuedReceiptsAsync(connection).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT version, recipient, organization, nation, delivered_at, acknowledged_at FROM warning_receipts WHERE warning_id = @id ORDER BY version, organization, recipient", connection);
        command.Parameters.AddWithValue("id", warningId);
        var receipts = new List<WarningReceipt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            receipts.Add(new WarningReceipt(
                warningId, reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTime>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTime>(5)));
        }

        return receipts;
    }, cancellationToken);

    public Task<bool> RecordEscalationAsync(WarningEscalation escalation, CancellationToken cancellationToken) => _db.RunAsync(async connection =>
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO warning_escalations (warning_id, version, organization, escalated_at) VALUES (@id, @version, @organization, @at) ON CONFLICT DO NOTHING", connection);
        command.Parameters.AddWithValue("id", escalation.WarningId);
        command.Parameters.AddWithValue("version", escalation.Version);
        command.Parameters.AddWithValue("organization", escalation.Organization);
        command.Parameters.AddWithValue("at", PostgresSchema.Utc(escalation.EscalatedAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }, cancellationToken);

    public Task<IReadOnlyList<WarningEscalation>> EscalationsAsync(string warningId, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<WarningEscalation>>(async connection =>
    {
        await using var command = new NpgsqlCommand(
            "SELECT version, organization, escalated_at FROM warning_escalations WHERE warning_id = @id ORDER BY escalated_at, version, organization", connection);
        command.Parameters.AddWithValue("id", warningId);
        var escalations = new List<WarningEscalation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            escalations.Add(new WarningEscalation(warningId, reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2)));
        return escalations;
    }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_db.Connection is not null)
        {
            await Receipts.WriteAsync().ConfigureAwait(false);
            // Under the gate, so an operation in flight finishes first.
            await _db.RunAsync(async connection =>
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                _db.Connection = null;
                return 0;
            }, CancellationToken.None).ConfigureAwait(false);
        }

        if (_dataSource is not null)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private static NpgsqlCommand InsertVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction, WarningVersion version)
    {
        var command = new NpgsqlCommand(
            "INSERT INTO warning_versions (warning_id, version, audience, issued_at, stage, exercise, body) VALUES (@id, @version, @audience, @issued, @stage, @exercise, @body)",
            connection, transaction);
        command.Parameters.AddWithValue("id", version.WarningId);
        command.Parameters.AddWithValue("version", version.Version);
        command.Parameters.AddWithValue("audience", version.Audience);
        command.Parameters.AddWithValue("issued", PostgresSchema.Utc(version.IssuedAt));
        command.Parameters.AddWithValue("stage", version.Stage.ToString());
        command.Parameters.AddWithValue("exercise", version.Exercise);
        command.Parameters.AddWithValue("body", JsonSerializer.Serialize(WarningRecord.From(version), WarningJsonContext.Default.WarningRecord));
        return command;
    }

    private static NpgsqlCommand InsertReport(NpgsqlConnection connection, NpgsqlTransaction? transaction, string warningId, SensorReport report)
    {
        var command = new NpgsqlCommand(
            """
            INSERT INTO warning_reports (nation, sensor, report_id, warning_id, received_at, body)
            VALUES (@nation, @sensor, @report, @id, @received, @body) ON CONFLICT DO NOTHING
            """, connection, transaction);
        command.Parameters.AddWithValue("nation", report.Nation);
        command.Parameters.AddWithValue("sensor", report.Sensor);
        command.Parameters.AddWithValue("report", report.ReportId);
        command.Parameters.AddWithValue("id", warningId);
        command.Parameters.AddWithValue("received", PostgresSchema.Utc(report.ReceivedAt));
        command.Parameters.AddWithValue("body", JsonSerializer.Serialize(ReportRecord.From(report), WarningJsonContext.Default.ReportRecord));
        return command;
    }

    private Task<IReadOnlyList<WarningVersion>> ReadVersionsAsync(string sql, object? parameter, CancellationToken cancellationToken)
        => _db.RunAsync<IReadOnlyList<WarningVersion>>(async connection =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            if (parameter is not null)
                command.Parameters.AddWithValue("p", parameter);
            var versions = new List<WarningVersion>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                versions.Add(JsonSerializer.Deserialize(reader.GetString(0), WarningJsonContext.Default.WarningRecord)!.ToVersion(labels));
            return versions;
        }, cancellationToken);

    private Task WriteReceiptsAsync() => _db.RunAsync(async connection =>
    {
        await WriteQueuedReceiptsAsync(connection).ConfigureAwait(false);
        return 0;
    }, CancellationToken.None);

    /// <summary>Under the gate: every queued receipt in one transaction.</summary>
    private Task WriteQueuedReceiptsAsync(NpgsqlConnection connection) => Receipts.WriteQueuedAsync(
        async batch =>
        {
            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            foreach (var (receipt, kind) in batch)
            {
                await using var command = new NpgsqlCommand(
                    $"""
                    INSERT INTO warning_receipts (warning_id, version, recipient, organization, nation, delivered_at, acknowledged_at)
                    VALUES (@id, @version, @recipient, @organization, @nation, @delivered, @acknowledged)
                    ON CONFLICT (warning_id, version, recipient) DO UPDATE SET {(kind == ReceiptKind.Delivery ? DeliveredUpdate : AcknowledgedUpdate)}
                    """, connection, transaction);
                command.Parameters.AddWithValue("id", receipt.WarningId);
                command.Parameters.AddWithValue("version", receipt.Version);
                command.Parameters.AddWithValue("recipient", receipt.Recipient);
                command.Parameters.AddWithValue("organization", receipt.Organization);
                command.Parameters.AddWithValue("nation", receipt.Nation);
                command.Parameters.Add(new NpgsqlParameter<DateTime?>("delivered", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = Utc(receipt.DeliveredAt ?? receipt.AcknowledgedAt) });
                command.Parameters.Add(new NpgsqlParameter<DateTime?>("acknowledged", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = Utc(receipt.AcknowledgedAt) });
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        },
        ex => ex is NpgsqlException or InvalidOperationException or IOException);

    private static DateTime? Utc(DateTime? time) => time is { } t ? PostgresSchema.Utc(t) : null;
}
