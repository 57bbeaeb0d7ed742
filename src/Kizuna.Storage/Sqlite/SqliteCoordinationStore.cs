using System.Text.Json;
using System.Text.Json.Serialization;
using Kizuna.Core.Coordination;
using Microsoft.Data.Sqlite;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// Coordination requests in their own SQLite file (<c>coordination.db</c>, beside the history):
/// one row per request, the whole request (history and escalations) as JSON, with the columns
/// the queries need. WAL with <c>synchronous=FULL</c>: a saved transition survives power loss.
/// Requests are few and slow; one connection, one operation at a time.
/// </summary>
public sealed class SqliteCoordinationStore(string databasePath) : ICoordinationStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _connection = await SqliteDesk.OpenAsync(databasePath, """
            CREATE TABLE IF NOT EXISTS coordination_requests (
                id TEXT PRIMARY KEY,
                from_org TEXT NOT NULL,
                to_org TEXT NOT NULL,
                state TEXT NOT NULL,
                final INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                body TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS coordination_from ON coordination_requests (from_org, updated_at);
            CREATE INDEX IF NOT EXISTS coordination_to ON coordination_requests (to_org, updated_at);
            CREATE INDEX IF NOT EXISTS coordination_open ON coordination_requests (final);
            """, cancellationToken).ConfigureAwait(false);
    }

    public async Task SaveAsync(CoordinationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Connection.CreateCommand();
            command.CommandText = """
                INSERT INTO coordination_requests (id, from_org, to_org, state, final, updated_at, body)
                VALUES ($id, $from, $to, $state, $final, $updated, $body)
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, final = excluded.final, updated_at = excluded.updated_at, body = excluded.body
                """;
            command.Parameters.AddWithValue("$id", request.Id);
            command.Parameters.AddWithValue("$from", request.From);
            command.Parameters.AddWithValue("$to", request.To);
            command.Parameters.AddWithValue("$state", request.State);
            command.Parameters.AddWithValue("$final", CoordinationStates.IsFinal(request.State) ? 1 : 0);
            command.Parameters.AddWithValue("$updated", request.UpdatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(request, DeskStorageJson.Default.CoordinationRequest));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<CoordinationRequest?> FindAsync(string id, CancellationToken cancellationToken)
        => (await QueryAsync("SELECT body FROM coordination_requests WHERE id = $id", [("$id", id)], cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    public Task<IReadOnlyList<CoordinationRequest>> OpenAsync(CancellationToken cancellationToken)
        => QueryAsync("SELECT body FROM coordination_requests WHERE final = 0", [], cancellationToken);

    public Task<IReadOnlyList<CoordinationRequest>> InvolvingAsync(IReadOnlyCollection<string> organizations, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(organizations);
        var names = organizations.Select((_, i) => "$o" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var list = string.Join(", ", names);
        var parameters = names.Zip(organizations, (n, o) => (n, (object)o)).Append(("$limit", limit)).ToList();
        return QueryAsync(
            $"SELECT body FROM coordination_requests WHERE from_org IN ({list}) OR to_org IN ({list}) ORDER BY updated_at DESC LIMIT $limit",
            parameters, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("the coordination store is not initialized");

    private async Task<IReadOnlyList<CoordinationRequest>> QueryAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var found = new List<CoordinationRequest>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(JsonSerializer.Deserialize(reader.GetString(0), DeskStorageJson.Default.CoordinationRequest)!);
            }

            return found;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Opening a desk's SQLite file: created 0600 before SQLite opens it, WAL, <c>synchronous=FULL</c>, the schema.</summary>
internal static class SqliteDesk
{
    public static async Task<SqliteConnection> OpenAsync(string databasePath, string schema, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Kizuna.Core.Storage.PrivateDirectory.CreateFile(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;\n" + schema;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CoordinationRequest))]
[JsonSerializable(typeof(Kizuna.Core.Readiness.ReadinessReport))]
internal sealed partial class DeskStorageJson : JsonSerializerContext;
