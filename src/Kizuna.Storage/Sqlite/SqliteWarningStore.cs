using System.Text.Json;
using System.Text.Json.Serialization;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// Missile warnings in their own SQLite file (<c>warnings.db</c>), apart from the event history:
/// a warning commit never waits behind a batch of picture updates. WAL with
/// <c>synchronous=FULL</c>, so a committed version survives power loss, not only a crash.
/// Warnings are few; one connection, one operation at a time (a second one only checkpoints). Receipts are queued and written
/// together (<see cref="RecordDeliveryAsync"/>), so a warning reaching many clients costs one
/// commit for their receipts, and the next warning's append never waits behind one commit each.
/// </summary>
/// <remarks>
/// Threads: Microsoft.Data.Sqlite runs its asynchronous methods synchronously, so an operation
/// that finds the connection free does its I/O on the caller's thread and returns a completed
/// task; one that has to wait for it goes on on the thread pool once the holder releases it.
/// The blocking <see cref="Append(IReadOnlyList{WarningVersion}, SensorReport, CancellationToken)"/>
/// and <see cref="RecordReport(string, SensorReport, CancellationToken)"/> wait on the calling
/// thread, and a <see cref="SemaphoreSlim"/> hands the connection to a blocked waiter before any
/// asynchronous one. Receipts are committed on the thread pool.
/// </remarks>
public sealed class SqliteWarningStore(string databasePath, LabelPolicy labels) : IWarningStore
{
    /// <summary>Every version of every view (audience "" is the full view), keyed by all three.</summary>
    private const string VersionsTable = """
        CREATE TABLE IF NOT EXISTS warning_versions (
            warning_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            audience TEXT NOT NULL DEFAULT '',
            issued_at INTEGER NOT NULL,
            stage TEXT NOT NULL,
            exercise INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (warning_id, version, audience)
        );
        """;

    private const string DeliveredUpdate = "delivered_at = COALESCE(delivered_at, excluded.delivered_at)";
    private const string AcknowledgedUpdate = "delivered_at = COALESCE(delivered_at, excluded.delivered_at), acknowledged_at = COALESCE(acknowledged_at, excluded.acknowledged_at)";

    private readonly GatedConnection<SqliteConnection> _db = new("warning store");

    // Checkpoints run on a connection of their own, off the issuing path. With SQLite's automatic
    // checkpoint the commit that takes the WAL past 1,000 pages also copies them into the database
    // and syncs it before it returns, and now and then that commit was a warning's append.
    private const int CommitsPerCheckpoint = 100;
    private SqliteConnection? _checkpointConnection;
    private int _commitsSinceCheckpoint;
    private int _checkpointRunning;

    private ReceiptBatcher? _receiptBatcher;

    // Receipts waiting for the next receipt commit (made at first use: the batcher's writer takes this store's gate).
    private ReceiptBatcher Receipts => LazyInitializer.EnsureInitialized(ref _receiptBatcher, () => new ReceiptBatcher(WriteReceiptsAsync));

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $$"""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA busy_timeout = 5000;
                PRAGMA wal_autocheckpoint = 0;
                {{VersionsTable}}
                CREATE TABLE IF NOT EXISTS warning_receipts (
                    warning_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    recipient TEXT NOT NULL,
                    organization TEXT NOT NULL,
                    nation TEXT NOT NULL,
                    delivered_at INTEGER,
                    acknowledged_at INTEGER,
                    PRIMARY KEY (warning_id, version, recipient)
                );
                CREATE TABLE IF NOT EXISTS warning_reports (
                    nation TEXT NOT NULL,
                    sensor TEXT NOT NULL,
                    report_id TEXT NOT NULL,
                    warning_id TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (nation, sensor, report_id)
                );
                CREATE INDEX IF NOT EXISTS warning_reports_received ON warning_reports (received_at);
                CREATE INDEX IF NOT EXISTS warning_versions_issued ON warning_versions (issued_at);
                CREATE TABLE IF NOT EXISTS warning_escalations (
                    warning_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    organization TEXT NOT NULL,
                    escalated_at INTEGER NOT NULL,
                    PRIMARY KEY (warning_id, version, organization)
                );
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await AddAudienceAsync(connection, cancellationToken).ConfigureAwait(false);
        var checkpointConnection = new SqliteConnection(connectionString);
        await checkpointConnection.OpenAsync(cancellationToken).ConfigureAwait(false);
        _checkpointConnection = checkpointConnection;
        _db.Connection = connection;
    }

    public Task AppendAsync(WarningVersion version, CancellationToken cancellationToken) => _db.RunAsync(connection =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        InsertVersion(connection, null, version);
        Committed();
        return Task.FromResult(0);
    }, cancellationToken);

    public Task AppendAsync(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken) => _db.RunAsync(connection =>
    {
        AppendIssued(connection, views, cause, cancellationToken);
        return Task.FromResult(0);
    }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Waits for the connection on the calling thread (a <see cref="SemaphoreSlim"/> wakes a
    /// blocked waiter directly, before any asynchronous one) and commits on it: no thread hop.
    /// </remarks>
    public void Append(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken)
        => _db.Run(connection => AppendIssued(connection, views, cause, cancellationToken), cancellationToken);

    public Task RecordReportAsync(string warningId, SensorReport report, CancellationToken cancellationToken) => _db.RunAsync(connection =>
    {
        RecordReport(connection, warningId, report, cancellationToken);
        return Task.FromResult(0);
    }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>As <see cref="Append(IReadOnlyList{WarningVersion}, SensorReport, CancellationToken)"/>: on the calling thread.</remarks>
    public void RecordReport(string warningId, SensorReport report, CancellationToken cancellationToken)
        => _db.Run(connection => RecordReport(connection, warningId, report, cancellationToken), cancellationToken);

    /// <summary>Under the gate: the views and their cause in one durable commit, on the calling thread.</summary>
    private void AppendIssued(SqliteConnection connection, IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(views.Count);
        cancellationToken.ThrowIfCancellationRequested();
        using var transaction = connection.BeginTransaction();
        InsertReport(connection, transaction, views[0].WarningId, cause);
        foreach (var version in views)
        {
            InsertVersion(connection, transaction, version);
        }

        transaction.Commit();
        Committed();
    }

    /// <summary>Under the gate: one report, committed on the calling thread.</summary>
    private void RecordReport(SqliteConnection connection, string warningId, SensorReport report, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        InsertReport(connection, null, warningId, report);
        Committed();
    }

    public Task<IReadOnlyList<StoredLaunch>> LaunchesSinceAsync(DateTime since, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<StoredLaunch>>(async connection =>
    {
        var reports = new Dictionary<string, List<SensorReport>>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT warning_id, body FROM warning_reports
                WHERE warning_id IN (SELECT warning_id FROM warning_reports WHERE received_at >= @since)
                ORDER BY received_at, nation, sensor, report_id
                """;
            command.Parameters.AddWithValue("@since", StoredTime.ToUnixMilliseconds(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (!reports.TryGetValue(id, out var list))
                {
                    reports[id] = list = [];
                }

                list.Add(JsonSerializer.Deserialize(reader.GetString(1), WarningJsonContext.Default.ReportRecord)!.ToReport(labels));
            }
        }

        // The newest version of each view of those warnings, in one query.
        var latest = new Dictionary<string, List<WarningVersion>>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT warning_id, body FROM warning_versions v
                WHERE warning_id IN (SELECT warning_id FROM warning_reports WHERE received_at >= @since)
                AND version = (SELECT MAX(version) FROM warning_versions w WHERE w.warning_id = v.warning_id AND w.audience = v.audience)
                ORDER BY warning_id, audience
                """;
            command.Parameters.AddWithValue("@since", StoredTime.ToUnixMilliseconds(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                if (!latest.TryGetValue(id, out var views))
                {
                    latest[id] = views = [];
                }

                views.Add(JsonSerializer.Deserialize(reader.GetString(1), WarningJsonContext.Default.WarningRecord)!.ToVersion(labels));
            }
        }

        var launches = new List<StoredLaunch>();
        foreach (var (id, list) in reports)
        {
            if (latest.TryGetValue(id, out var views))
            {
                launches.Add(new StoredLaunch(views, list));
            }
        }

        return launches;
    }, cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> VersionsAsync(string warningId, CancellationToken cancellationToken)
        => ReadVersionsAsync("SELECT body FROM warning_versions WHERE warning_id = @id ORDER BY version, audience", ("@id", warningId), cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> LatestVersionsIssuedSinceAsync(DateTime since, CancellationToken cancellationToken)
        => ReadVersionsAsync(
            """
            SELECT body FROM warning_versions v
            WHERE warning_id IN (SELECT warning_id FROM warning_versions WHERE issued_at >= @since)
            AND version = (SELECT MAX(version) FROM warning_versions w WHERE w.warning_id = v.warning_id AND w.audience = v.audience)
            ORDER BY issued_at DESC, audience
            """,
            ("@since", StoredTime.ToUnixMilliseconds(since)),
            cancellationToken);

    public Task<IReadOnlyList<string>> WarningIdsAsync(CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<string>>(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT warning_id FROM warning_versions";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }, cancellationToken);

    public Task<IReadOnlyList<WarningVersion>> LatestVersionsAsync(CancellationToken cancellationToken)
        => ReadVersionsAsync(
            """
            SELECT body FROM warning_versions v
            WHERE version = (SELECT MAX(version) FROM warning_versions w WHERE w.warning_id = v.warning_id AND w.audience = v.audience)
            ORDER BY issued_at DESC, audience
            """,
            null,
            cancellationToken);

    /// <summary>Queues the receipt for the next receipt commit; completes once it is committed.</summary>
    public Task RecordDeliveryAsync(WarningReceipt receipt, CancellationToken cancellationToken) => Receipts.Queue(receipt, ReceiptKind.Delivery);

    /// <inheritdoc cref="RecordDeliveryAsync"/>
    public Task RecordAcknowledgementAsync(WarningReceipt receipt, CancellationToken cancellationToken) => Receipts.Queue(receipt, ReceiptKind.Acknowledgement);

    public Task<IReadOnlyList<WarningReceipt>> ReceiptsAsync(string warningId, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<WarningReceipt>>(async connection =>
    {
        // Whatever was recorded before this read is in it.
        await WriteQueuedReceiptsAsync(connection).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, recipient, organization, nation, delivered_at, acknowledged_at FROM warning_receipts WHERE warning_id = @id ORDER BY version, organization, recipient";
        command.Parameters.AddWithValue("@id", warningId);
        var receipts = new List<WarningReceipt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            receipts.Add(new WarningReceipt(
                warningId, reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : StoredTime.FromUnixMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : StoredTime.FromUnixMilliseconds(reader.GetInt64(5))));
        }

        return receipts;
    }, cancellationToken);

    public Task<bool> RecordEscalationAsync(WarningEscalation escalation, CancellationToken cancellationToken) => _db.RunAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO warning_escalations (warning_id, version, organization, escalated_at) VALUES (@id, @version, @organization, @at) ON CONFLICT DO NOTHING";
        command.Parameters.AddWithValue("@id", escalation.WarningId);
        command.Parameters.AddWithValue("@version", escalation.Version);
        command.Parameters.AddWithValue("@organization", escalation.Organization);
        command.Parameters.AddWithValue("@at", StoredTime.ToUnixMilliseconds(escalation.EscalatedAt));
        var added = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        Committed();
        return added;
    }, cancellationToken);

    public Task<IReadOnlyList<WarningEscalation>> EscalationsAsync(string warningId, CancellationToken cancellationToken) => _db.RunAsync<IReadOnlyList<WarningEscalation>>(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, organization, escalated_at FROM warning_escalations WHERE warning_id = @id ORDER BY escalated_at, version, organization";
        command.Parameters.AddWithValue("@id", warningId);
        var escalations = new List<WarningEscalation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            escalations.Add(new WarningEscalation(warningId, reader.GetInt32(0), reader.GetString(1), StoredTime.FromUnixMilliseconds(reader.GetInt64(2))));
        }

        return escalations;
    }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_db.Connection is not null)
        {
            await Receipts.WriteAsync().ConfigureAwait(false);
            // No checkpoint starts once the flag is held here; one running is let finish.
            while (Interlocked.CompareExchange(ref _checkpointRunning, 1, 0) != 0)
            {
                await Task.Delay(10).ConfigureAwait(false);
            }

            await _checkpointConnection!.DisposeAsync().ConfigureAwait(false);
            await _db.Connection.DisposeAsync().ConfigureAwait(false);
            _db.Connection = null;
        }
    }

    /// <summary>After a commit: every <see cref="CommitsPerCheckpoint"/> commits, a passive checkpoint on the thread pool (it never blocks a writer).</summary>
    private void Committed()
    {
        if (Interlocked.Increment(ref _commitsSinceCheckpoint) < CommitsPerCheckpoint
            || Interlocked.CompareExchange(ref _checkpointRunning, 1, 0) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _commitsSinceCheckpoint, 0);
        _ = Task.Run(() =>
        {
            try
            {
                using var command = _checkpointConnection!.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                command.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Tried again after the next commits; the WAL only grows meanwhile.
            }
            finally
            {
                Volatile.Write(ref _checkpointRunning, 0);
            }
        });
    }

    private Task WriteReceiptsAsync() => _db.RunAsync(async connection =>
    {
        await WriteQueuedReceiptsAsync(connection).ConfigureAwait(false);
        return 0;
    }, CancellationToken.None);

    /// <summary>Under the gate: every queued receipt in one transaction.</summary>
    private Task WriteQueuedReceiptsAsync(SqliteConnection connection) => Receipts.WriteQueuedAsync(
        async batch =>
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
            foreach (var (receipt, kind) in batch)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = $"""
                    INSERT INTO warning_receipts (warning_id, version, recipient, organization, nation, delivered_at, acknowledged_at)
                    VALUES (@id, @version, @recipient, @organization, @nation, @delivered, @acknowledged)
                    ON CONFLICT (warning_id, version, recipient) DO UPDATE SET {(kind == ReceiptKind.Delivery ? DeliveredUpdate : AcknowledgedUpdate)}
                    """;
                command.Parameters.AddWithValue("@id", receipt.WarningId);
                command.Parameters.AddWithValue("@version", receipt.Version);
                command.Parameters.AddWithValue("@recipient", receipt.Recipient);
                command.Parameters.AddWithValue("@organization", receipt.Organization);
                command.Parameters.AddWithValue("@nation", receipt.Nation);
                command.Parameters.AddWithValue("@delivered", (object?)ToMillis(receipt.DeliveredAt ?? receipt.AcknowledgedAt) ?? DBNull.Value);
                command.Parameters.AddWithValue("@acknowledged", (object?)ToMillis(receipt.AcknowledgedAt) ?? DBNull.Value);
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
            Committed();
        },
        ex => ex is SqliteException or InvalidOperationException or IOException);

    /// <summary>A store written before warnings had views: its versions are all full views, keyed without an audience.</summary>
    private static async Task AddAudienceAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using (var probe = connection.CreateCommand())
        {
            probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info('warning_versions') WHERE name = 'audience'";
            if ((long)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0)
            {
                return;
            }
        }

        await using var migrate = connection.CreateCommand();
        migrate.CommandText = $$"""
            BEGIN;
            ALTER TABLE warning_versions RENAME TO warning_versions_before_views;
            {{VersionsTable}}
            INSERT INTO warning_versions (warning_id, version, issued_at, stage, exercise, body)
                SELECT warning_id, version, issued_at, stage, exercise, body FROM warning_versions_before_views;
            DROP TABLE warning_versions_before_views;
            COMMIT;
            """;
        await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Synchronous, as Microsoft.Data.Sqlite's asynchronous methods are too: the blocking members
    // call them on the issuing thread, the asynchronous ones under the same gate.
    private static void InsertVersion(SqliteConnection connection, SqliteTransaction? transaction, WarningVersion version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO warning_versions (warning_id, version, audience, issued_at, stage, exercise, body) VALUES (@id, @version, @audience, @issued, @stage, @exercise, @body)";
        command.Parameters.AddWithValue("@id", version.WarningId);
        command.Parameters.AddWithValue("@version", version.Version);
        command.Parameters.AddWithValue("@audience", version.Audience);
        command.Parameters.AddWithValue("@issued", StoredTime.ToUnixMilliseconds(version.IssuedAt));
        command.Parameters.AddWithValue("@stage", version.Stage.ToString());
        command.Parameters.AddWithValue("@exercise", version.Exercise ? 1 : 0);
        command.Parameters.AddWithValue("@body", JsonSerializer.Serialize(WarningRecord.From(version), WarningJsonContext.Default.WarningRecord));
        command.ExecuteNonQuery();
    }

    private static void InsertReport(SqliteConnection connection, SqliteTransaction? transaction, string warningId, SensorReport report)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO warning_reports (nation, sensor, report_id, warning_id, received_at, body)
            VALUES (@nation, @sensor, @report, @id, @received, @body) ON CONFLICT DO NOTHING
            """;
        command.Parameters.AddWithValue("@nation", report.Nation);
        command.Parameters.AddWithValue("@sensor", report.Sensor);
        command.Parameters.AddWithValue("@report", report.ReportId);
        command.Parameters.AddWithValue("@id", warningId);
        command.Parameters.AddWithValue("@received", StoredTime.ToUnixMilliseconds(report.ReceivedAt));
        command.Parameters.AddWithValue("@body", JsonSerializer.Serialize(ReportRecord.From(report), WarningJsonContext.Default.ReportRecord));
        command.ExecuteNonQuery();
    }

    private static long? ToMillis(DateTime? time) => time is { } t ? StoredTime.ToUnixMilliseconds(t) : null;

    private Task<IReadOnlyList<WarningVersion>> ReadVersionsAsync(string sql, (string Name, object Value)? parameter, CancellationToken cancellationToken)
        => _db.RunAsync<IReadOnlyList<WarningVersion>>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            if (parameter is { } p)
            {
                command.Parameters.AddWithValue(p.Name, p.Value);
            }

            var versions = new List<WarningVersion>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var record = JsonSerializer.Deserialize(reader.GetString(0), WarningJsonContext.Default.WarningRecord)!;
                versions.Add(record.ToVersion(labels));
            }

            return versions;
        }, cancellationToken);

}

/// <summary>A warning version as stored: every field, the label by its parts.</summary>
internal sealed record WarningRecord(
    string WarningId,
    int Version,
    string Stage,
    bool Exercise,
    DateTime IssuedAt,
    DateTime LaunchTime,
    double LaunchLat,
    double LaunchLon,
    ImpactEllipse? PredictedImpact,
    DateTime? EstimatedImpactTime,
    double Confidence,
    IReadOnlyList<string> AffectedPrefectures,
    IReadOnlyList<string> Sensors,
    string Classification,
    IReadOnlyList<string> ReleasableTo,
    string? Caveat,
    IReadOnlyList<CategoryRecord> Categories,
    string? Audience = null)
{
    public static WarningRecord From(WarningVersion v) => new(
        v.WarningId, v.Version, v.Stage.ToString(), v.Exercise, v.IssuedAt, v.LaunchTime, v.LaunchPoint.Lat, v.LaunchPoint.Lon,
        v.PredictedImpact, v.EstimatedImpactTime, v.Confidence, v.AffectedPrefectures, v.Sensors,
        v.Label.Classification, v.Label.ReleasableTo, v.Label.Caveat,
        CategoryRecord.From(v.Label), v.Audience);

    /// <summary>Back to a version; the label is rebuilt under the node's policy (a classification it no longer knows throws).</summary>
    public WarningVersion ToVersion(LabelPolicy labels) => new(
        WarningId, Version, Enum.Parse<WarningStage>(Stage), Exercise, IssuedAt, LaunchTime, new GeoPoint(LaunchLat, LaunchLon),
        PredictedImpact, EstimatedImpactTime, Confidence, AffectedPrefectures, Sensors,
        labels.Create(Classification, ReleasableTo, CategoryRecord.ToCategories(Categories), Caveat), Audience ?? WarningViews.Everyone);
}

internal sealed record CategoryRecord(string Name, string Type, IReadOnlyList<string> Values)
{
    public static IReadOnlyList<CategoryRecord> From(ConfidentialityLabel label) => [.. label.Categories.Select(c => new CategoryRecord(c.Name, c.Type.ToString(), c.Values))];

    public static IReadOnlyList<LabelCategory> ToCategories(IReadOnlyList<CategoryRecord> records) => [.. records.Select(c => new LabelCategory(c.Name, Enum.Parse<CategoryType>(c.Type), c.Values))];
}

/// <summary>A sensor report as stored: every field, the label by its parts.</summary>
internal sealed record ReportRecord(
    string ReportId,
    string Sensor,
    string Nation,
    DateTime DetectionTime,
    DateTime LaunchTime,
    double LaunchLat,
    double LaunchLon,
    string State,
    ImpactEllipse? PredictedImpact,
    DateTime? EstimatedImpactTime,
    double Confidence,
    bool Exercise,
    string Classification,
    IReadOnlyList<string> ReleasableTo,
    string? Caveat,
    IReadOnlyList<CategoryRecord> Categories,
    DateTime ReceivedAt)
{
    public static ReportRecord From(SensorReport r) => new(
        r.ReportId, r.Sensor, r.Nation, r.DetectionTime, r.LaunchTime, r.LaunchPoint.Lat, r.LaunchPoint.Lon, r.State.ToString(),
        r.PredictedImpact, r.EstimatedImpactTime, r.Confidence, r.Exercise,
        r.Label.Classification, r.Label.ReleasableTo, r.Label.Caveat, CategoryRecord.From(r.Label), r.ReceivedAt);

    public SensorReport ToReport(LabelPolicy labels) => new(
        ReportId, Sensor, Nation, DetectionTime, LaunchTime, new GeoPoint(LaunchLat, LaunchLon), Enum.Parse<TrackState>(State),
        PredictedImpact, EstimatedImpactTime, Confidence, Exercise,
        labels.Create(Classification, ReleasableTo, CategoryRecord.ToCategories(Categories), Caveat), ReceivedAt);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WarningRecord))]
[JsonSerializable(typeof(ReportRecord))]
internal sealed partial class WarningJsonContext : JsonSerializerContext;
