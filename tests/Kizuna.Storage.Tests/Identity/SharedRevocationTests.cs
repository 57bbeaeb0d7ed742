using Kizuna.Core.Identity;
using Kizuna.Storage.Postgres;
using Kizuna.Storage.Tests.Contracts;
using Kizuna.Storage.Tests.Engines;
using Npgsql;

namespace Kizuna.Storage.Tests.Identity;

/// <summary>
/// Revocations shared in a clustered node's PostgreSQL are one-way: an instance that read one
/// keeps it when the row is deleted by hand, and one revoked meanwhile is read whatever the
/// list's length.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class SharedRevocationTests(EnginesFixture engines) : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "kizuna-revocation-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_revocation_deleted_from_the_database_still_holds_and_one_added_in_its_place_is_read()
    {
        var database = await engines.Postgres.NewSchemaAsync();
        using var records = await PostgresCertificateRecords.OpenAsync(database, null, CancellationToken.None);
        using var other = await PostgresCertificateRecords.OpenAsync(database, null, CancellationToken.None);
        var registry = new CertificateRegistry(Path.Combine(_dataDir, "certs"));
        registry.ShareWith(records);
        var now = DateTime.UtcNow;
        other.Revoke([new RevokedCertificate("0A01", "lost-laptop", now, "lost")]);
        Assert.True(registry.PullShared());
        Assert.NotNull(registry.RevocationOf("0a01"));

        // By hand: one row deleted, another revoked through another instance, before the next read.
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var delete = new NpgsqlCommand("DELETE FROM certificates_revoked WHERE serial = '0A01'", connection);
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        other.Revoke([new RevokedCertificate("0B02", "left-the-watch", now, "left")]);
        var version = registry.RevocationVersion();
        Assert.True(registry.PullShared());
        Assert.NotEqual(version, registry.RevocationVersion());
        Assert.NotNull(registry.RevocationOf("0B02"));
        Assert.NotNull(registry.RevocationOf("0A01"));
        Assert.False(registry.PullShared());
    }
}
