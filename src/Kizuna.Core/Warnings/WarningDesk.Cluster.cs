using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Scale-out: a version issued here is announced on the cluster bus (after it is stored and
/// queued to this instance's clients); a version another instance announced is read back from the
/// shared warning store and delivered to this instance's clients, each the view the same rule
/// picks for it (<see cref="WarningViews.For"/> over the warning's current views).
/// </summary>
public sealed partial class WarningDesk
{
    private void ShareIssued(WarningVersion version) => _router.Cluster?.PublishWarningIssued(version.WarningId, version.Version);

    /// <summary>Delivers a version another instance issued; runs on the pool, off the bus's consumer.</summary>
    public void DeliverIssuedElsewhere(string warningId, int version) => _ = DeliverIssuedElsewhereAsync(warningId, version);

    private async Task DeliverIssuedElsewhereAsync(string warningId, int version)
    {
        IReadOnlyList<WarningVersion> all;
        try
        {
            all = await _store.VersionsAsync(warningId, CancellationToken.None).ConfigureAwait(false);
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

        _router.DeliverWarningFromCluster(p => WarningViews.For(p, current) is { } view && view.Version == version ? events.GetValueOrDefault(view.Audience) : null);
    }
}
