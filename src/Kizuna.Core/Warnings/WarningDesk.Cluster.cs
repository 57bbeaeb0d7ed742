using System.Collections.Concurrent;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Scale-out: a version issued here is announced on the cluster bus (after it is stored and
/// queued to this instance's clients); a version another instance announced is read back from the
/// shared warning store and delivered to this instance's clients, each the view the same rule
/// picks for it (<see cref="WarningViews.For"/> over the warning's current views). A version is
/// delivered here once, however many times it is announced (an issuer that took over announces
/// again what its predecessor stored but had not marked announced), and not to a client the
/// store says already received it (sent on connect between the store and the announcement).
/// </summary>
public sealed partial class WarningDesk
{
    private readonly ConcurrentDictionary<(string WarningId, int Version), DateTime> _deliveredHere = new();

    private void ShareIssued(WarningVersion version)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        _deliveredHere[(version.WarningId, version.Version)] = now;
        if (_deliveredHere.Count > 4096)
        {
            foreach (var old in _deliveredHere.Where(d => now - d.Value > CurrentFor))
                _deliveredHere.TryRemove(old.Key, out _);
        }

        Announce(version.WarningId, version.Version);
    }

    /// <summary>Tells the other instances of a stored version and, once the bus holds the notice, records it announced (the next issuer need not).</summary>
    private void Announce(string warningId, int version)
    {
        if (_router.Cluster is not { } bus)
            return;
        var published = bus.PublishWarningIssued(warningId, version);
        if (_issuerStore is { } store)
            _ = MarkAnnouncedAsync(published, store, warningId, version);
    }

    private async Task MarkAnnouncedAsync(Task<bool> published, Kizuna.Core.Storage.IWarningIssuerStore store, string warningId, int version)
    {
        try
        {
            if (await published.ConfigureAwait(false))
                await store.MarkAnnouncedAsync(warningId, version, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not marked: the next issuer announces it again, and every instance delivers it once.
            Log.ClusterWarningUnread(_logger, warningId, version, ex.GetType().Name);
        }
    }

    /// <summary>Delivers a version another instance issued; runs on the pool, off the bus's consumer.</summary>
    public void DeliverIssuedElsewhere(string warningId, int version) => _ = DeliverHereAsync(warningId, version);

    /// <summary>Delivers a stored version to this instance's clients, unless it was delivered here already.</summary>
    private async Task DeliverHereAsync(string warningId, int version)
    {
        if (!_deliveredHere.TryAdd((warningId, version), _time.GetUtcNow().UtcDateTime))
            return;
        IReadOnlyList<WarningVersion> all;
        HashSet<string> received;
        try
        {
            all = await _store.VersionsAsync(warningId, CancellationToken.None).ConfigureAwait(false);
            // A client already sent this version (on connect, or through another instance) is not sent it again.
            received = (await _store.ReceiptsAsync(warningId, CancellationToken.None).ConfigureAwait(false))
                .Where(r => r.Version == version).Select(r => r.Recipient).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException or TimeoutException)
        {
            // The instance is stopping or the store is unreachable: the sweep and a reconnect send it later.
            Log.ClusterWarningUnread(_logger, warningId, version, ex.GetType().Name);
            return;
        }

        var current = all.GroupBy(v => v.Audience, StringComparer.Ordinal).Select(g => g.MaxBy(v => v.Version)!).ToList();
        var now = _time.GetUtcNow().UtcDateTime;
        var events = all.Where(v => v.Version == version).ToDictionary(v => v.Audience, v => WarningEvent(v, now), StringComparer.Ordinal);
        if (events.Count == 0)
        {
            return;
        }

        _router.DeliverWarningFromCluster(p => !received.Contains(p.Name) && WarningViews.For(p, current) is { } view && view.Version == version ? events.GetValueOrDefault(view.Audience) : null);
    }
}
