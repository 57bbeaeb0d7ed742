using System.Text.Json;
using Kizuna.Core.Readiness;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// Readiness reports in their own SQLite file (<c>readiness.db</c>): every version of every
/// organization's report, kept (the history is the record), WAL with <c>synchronous=FULL</c>.
/// </summary>
public sealed class SqliteReadinessStore(string databasePath) : IReadinessStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _connection = await SqliteDesk.OpenAsync(databasePath, """
            CREATE TABLE IF NOT EXISTS readiness_reports (
                organization TEXT NOT NULL,
                version INTEGER NOT NULL,
                reported_at TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (organization, version)
            );
            """, cancellationToken).ConfigureAwait(false);
    }

    public async Task AppendAsync(ReadinessReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Connection.CreateCommand();
            command.CommandText = "INSERT INTO readiness_reports (organization, version, reported_at, body) VALUES ($org, $version, $at, $body)";
            command.Parameters.AddWithValue("$org", report.Organization);
            command.Parameters.AddWithValue("$version", report.Version);
            command.Parameters.AddWithValue("$at", report.ReportedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(report, DeskStorageJson.Default.ReadinessReport));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<ReadinessReport>> LatestAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Connection.CreateCommand();
            command.CommandText = """
                SELECT r.body FROM readiness_reports r
                JOIN (SELECT organization, MAX(version) AS version FROM readiness_reports GROUP BY organization) n
                  ON n.organization = r.organization AND n.version = r.version
                """;
            var found = new List<ReadinessReport>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(JsonSerializer.Deserialize(reader.GetString(0), DeskStorageJson.Default.ReadinessReport)!);
            }

            return found;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("the readiness store is not initialized");
}
