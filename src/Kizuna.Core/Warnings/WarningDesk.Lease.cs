using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Scale-out: one issuer of warnings per node (docs/dev/warning-lease.md). The instance that holds
/// the <see cref="WarningIssuerLease"/> fuses and issues; another accepts a sensor report (reads
/// it, checks its sender), stores it for the issuer and tells the bus; the issuer fuses what was
/// stored for it and forgets each report once its warning is stored. An instance that takes the
/// lease restores fusion from the store, announces what its predecessor stored and never
/// announced, and works through the reports stored for it.
/// </summary>
public sealed partial class WarningDesk
{
    private const int ForwardedBatch = 256;
    private WarningIssuerLease? _lease;
    private IWarningIssuerStore? _issuerStore;
    private int _forwardedQueued;

    /// <summary>Whether this instance issues warnings now: always without a lease (one instance), else while it holds the lease.</summary>
    public bool IsIssuer => _lease is not { } lease || lease.IsHeld;

    /// <summary>Makes this desk one of several of a node: it issues only while it holds <paramref name="lease"/>.</summary>
    public void ShareIssuingWith(WarningIssuerLease lease, IWarningIssuerStore store)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(store);
        _issuerStore = store;
        _lease = lease;
        lease.Acquired += () => OnIssuingThread(TakeOver);
        lease.Renewed += ForwardedReportsWaiting;
    }

    /// <summary>Another instance stored a report for the issuer (or the lease was renewed): work through them soon, if this is the issuer.</summary>
    public void ForwardedReportsWaiting()
    {
        if (_lease is { IsHeld: true } && Interlocked.Exchange(ref _forwardedQueued, 1) == 0)
            OnIssuingThread(WorkThroughForwarded);
    }

    private void OnIssuingThread(Action work)
    {
        try
        {
            _issuing.Add(work);
        }
        catch (InvalidOperationException)
        {
            // The node is stopping.
        }
    }

    /// <summary>On the issuing thread: stores an accepted report for the issuer when this instance is not it; false when it is.</summary>
    private bool StoredForIssuer(SensorReport report, IRecipient sender, CancellationToken cancellationToken)
    {
        if (_lease is not { } lease || lease.IsHeld)
            return false;
        try
        {
            _issuerStore!.StoreForIssuer(report, sender.Principal.Name, sender.Principal.Organization, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            Log.ReportNotForwarded(_logger, sender.Principal.Name, ex.Message);
            throw;
        }

        _router.Cluster?.PublishReportStored();
        return true;
    }

    /// <summary>On the issuing thread, when this instance has just taken the lease.</summary>
    private void TakeOver()
    {
        try
        {
            RestoreAsync(CancellationToken.None).GetAwaiter().GetResult();
            var since = _time.GetUtcNow().UtcDateTime - CurrentFor;
            var unannounced = _issuerStore!.UnannouncedSinceAsync(since, CancellationToken.None).GetAwaiter().GetResult();
            foreach (var (warningId, version) in unannounced)
            {
                DeliverHereAsync(warningId, version).GetAwaiter().GetResult();
                Announce(warningId, version);
            }

            Log.WarningIssuerTookOver(_logger, _intake.Fusion.Warnings().Count, unannounced.Count);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ForwardedReportsFailed(_logger, ex.Message);
        }

        Interlocked.Exchange(ref _forwardedQueued, 1);
        WorkThroughForwarded();
    }

    /// <summary>On the issuing thread: fuses the reports stored for the issuer, oldest first, each forgotten once its warning is stored.</summary>
    private void WorkThroughForwarded()
    {
        Volatile.Write(ref _forwardedQueued, 0);
        try
        {
            IReadOnlyList<ForwardedReport> batch;
            do
            {
                batch = _issuerStore!.ForwardedAsync(ForwardedBatch, CancellationToken.None).GetAwaiter().GetResult();
                foreach (var forwarded in batch)
                {
                    if (!IsIssuer)
                        return;
                    IssueFused(forwarded.Report, forwarded.Sender, forwarded.Organization, _time.GetTimestamp(), CancellationToken.None);
                    _issuerStore.Done(forwarded.Id, CancellationToken.None);
                }
            }
            while (batch.Count == ForwardedBatch);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ForwardedReportsFailed(_logger, ex.Message);
        }
    }
}
