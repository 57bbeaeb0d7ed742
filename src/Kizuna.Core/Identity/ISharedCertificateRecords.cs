namespace Kizuna.Core.Identity;

/// <summary>
/// The issued and revoked certificates of a node whose instances share one database (scale-out,
/// docs/scale-out.md): a revocation made through any instance, or by the CLI against the
/// database, refuses the certificate on every instance. Synchronous: called by the CLI, at start,
/// and once a tick by the revocation watcher, never on a connection's path.
/// </summary>
public interface ISharedCertificateRecords
{
    void RecordIssued(IssuedCertificate certificate);

    IReadOnlyList<IssuedCertificate> Issued();

    /// <summary>Adds revocations (a serial already revoked keeps its first record); returns those newly revoked.</summary>
    IReadOnlyList<RevokedCertificate> Revoke(IReadOnlyList<RevokedCertificate> revocations);

    IReadOnlyList<RevokedCertificate> Revoked();
}
