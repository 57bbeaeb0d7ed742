using Kizuna.Core.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kizuna.Storage.Postgres;

/// <summary>
/// The node's issued and revoked client certificates in PostgreSQL, shared by its instances and
/// the CLI (docs/scale-out.md): a revocation made anywhere holds on every instance within a
/// revocation watcher's tick. Synchronous (Npgsql's synchronous API): the CLI, the start and a
/// once-a-second poll call it, never a connection's path.
/// </summary>
public sealed class PostgresCertificateRecords : ISharedCertificateRecords, IDisposable
{
    private const string Component = "certificates";

    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE certificates_issued (
            serial text COLLATE "C" PRIMARY KEY,
            name text NOT NULL,
            nation text NOT NULL,
            organization text NOT NULL,
            role text NOT NULL,
            clearance text NOT NULL,
            issued_at timestamptz NOT NULL,
            not_after timestamptz NOT NULL,
            certificate text
        );
        CREATE TABLE certificates_revoked (
            serial text COLLATE "C" PRIMARY KEY,
            name text NOT NULL,
            revoked_at timestamptz NOT NULL,
            reason text NOT NULL
        );
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;

    private PostgresCertificateRecords(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Opens the records and creates or upgrades their tables.</summary>
    public static async Task<PostgresCertificateRecords> OpenAsync(string connectionString, ILogger? logger, CancellationToken cancellationToken)
        => new(await PostgresSchema.OpenAsync(connectionString, Component, Migrations, logger, cancellationToken).ConfigureAwait(false));

    public void RecordIssued(IssuedCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand(
            """
            INSERT INTO certificates_issued (serial, name, nation, organization, role, clearance, issued_at, not_after, certificate)
            VALUES (@serial, @name, @nation, @organization, @role, @clearance, @issued, @notAfter, @certificate) ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("serial", certificate.Serial.ToUpperInvariant());
        command.Parameters.AddWithValue("name", certificate.Name);
        command.Parameters.AddWithValue("nation", certificate.Nation);
        command.Parameters.AddWithValue("organization", certificate.Organization);
        command.Parameters.AddWithValue("role", certificate.Role);
        command.Parameters.AddWithValue("clearance", certificate.Clearance);
        command.Parameters.AddWithValue("issued", PostgresSchema.Utc(certificate.IssuedAt));
        command.Parameters.AddWithValue("notAfter", PostgresSchema.Utc(certificate.NotAfter));
        command.Parameters.AddWithValue("certificate", (object?)certificate.Certificate ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<IssuedCertificate> Issued()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT serial, name, nation, organization, role, clearance, issued_at, not_after, certificate FROM certificates_issued ORDER BY issued_at, serial", connection);
        using var reader = command.ExecuteReader();
        var issued = new List<IssuedCertificate>();
        while (reader.Read())
        {
            issued.Add(new IssuedCertificate(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetFieldValue<DateTime>(6), reader.GetFieldValue<DateTime>(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return issued;
    }

    public IReadOnlyList<RevokedCertificate> Revoke(IReadOnlyList<RevokedCertificate> revocations)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        var added = new List<RevokedCertificate>();
        if (revocations.Count == 0)
            return added;
        using var connection = _dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        foreach (var revocation in revocations)
        {
            using var command = new NpgsqlCommand(
                "INSERT INTO certificates_revoked (serial, name, revoked_at, reason) VALUES (@serial, @name, @at, @reason) ON CONFLICT DO NOTHING", connection, transaction);
            command.Parameters.AddWithValue("serial", revocation.Serial.ToUpperInvariant());
            command.Parameters.AddWithValue("name", revocation.Name);
            command.Parameters.AddWithValue("at", PostgresSchema.Utc(revocation.RevokedAt));
            command.Parameters.AddWithValue("reason", revocation.Reason);
            if (command.ExecuteNonQuery() == 1)
                added.Add(revocation);
        }

        transaction.Commit();
        return added;
    }

    public IReadOnlyList<RevokedCertificate> Revoked()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT serial, name, revoked_at, reason FROM certificates_revoked ORDER BY revoked_at, serial", connection);
        using var reader = command.ExecuteReader();
        var revoked = new List<RevokedCertificate>();
        while (reader.Read())
            revoked.Add(new RevokedCertificate(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2), reader.GetString(3)));
        return revoked;
    }

    public void Dispose() => _dataSource.Dispose();
}
