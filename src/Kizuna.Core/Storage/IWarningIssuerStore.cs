using Kizuna.Core.Warnings;

namespace Kizuna.Core.Storage;

/// <summary>A sensor report an instance that does not hold the warning lease accepted and stored for the one that does.</summary>
/// <param name="Id">The store's id of the stored report (what <see cref="IWarningIssuerStore.Done"/> takes).</param>
/// <param name="Sender">The name of the principal the report was accepted from (for the audit trail).</param>
/// <param name="Organization">That principal's organization.</param>
public sealed record ForwardedReport(long Id, SensorReport Report, string Sender, string Organization);

/// <summary>
/// What one issuer of warnings per node needs, when several instances share one warning store
/// (scale-out, docs/dev/warning-lease.md): the lease that says which instance fuses and issues,
/// the sensor reports the others accepted and stored for it, and which stored versions were
/// announced to every instance.
/// </summary>
/// <remarks>
/// Threads as <see cref="IWarningStore"/>: the blocking members are for the warning desk's issuing
/// thread only, the asynchronous ones for any other.
/// </remarks>
public interface IWarningIssuerStore : IAsyncDisposable
{
    /// <summary>Opens the store and creates or upgrades its schema (after the warning store's).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Takes the lease for <paramref name="holder"/> until <paramref name="until"/>, or renews it:
    /// true when <paramref name="holder"/> held it, or no one did, or its holder's expiry is not
    /// after <paramref name="now"/>; false when another holds it.
    /// </summary>
    Task<bool> TryHoldAsync(string holder, DateTime now, DateTime until, CancellationToken cancellationToken);

    /// <summary>Gives the lease up (an orderly stop), so another instance takes it at once.</summary>
    Task ReleaseAsync(string holder, CancellationToken cancellationToken);

    /// <summary>Stores an accepted report for the lease holder, durably, blocking the calling thread (the issuing thread).</summary>
    void StoreForIssuer(SensorReport report, string sender, string organization, CancellationToken cancellationToken);

    /// <summary>The stored reports not yet <see cref="Done"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ForwardedReport>> ForwardedAsync(int limit, CancellationToken cancellationToken);

    /// <summary>A stored report was fused and its warning, if any, stored: forget it (blocking, the issuing thread).</summary>
    void Done(long id, CancellationToken cancellationToken);

    /// <summary>Records that a stored version was announced to every instance (on the bus).</summary>
    Task MarkAnnouncedAsync(string warningId, int version, CancellationToken cancellationToken);

    /// <summary>The stored versions issued at or after <paramref name="since"/> that were never marked announced, oldest first.</summary>
    Task<IReadOnlyList<(string WarningId, int Version)>> UnannouncedSinceAsync(DateTime since, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets the announcements and the stored reports recorded before <paramref name="before"/>
    /// (the lease holder calls it now and then with a cutoff well past the window a new issuer
    /// looks back over, and past fusion's); returns how many records went. A failure is logged by
    /// the store and thrown.
    /// </summary>
    Task<long> PruneAsync(DateTime before, CancellationToken cancellationToken);
}
