using Kizuna.Core.Audit;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Warnings;

/// <summary>Why an acknowledgement was not counted. Stable names: they are metric labels.</summary>
public enum AcknowledgementRefusal
{
    /// <summary>A <c>b-w-m-a</c> that cannot be read.</summary>
    Malformed,

    /// <summary>The sender has no identity (the anonymous listener), or is the node itself.</summary>
    NotIdentified,

    /// <summary>No such warning id and version, or none the sender may see.</summary>
    UnknownWarning,
}

/// <summary>
/// The node's missile warning path: a sensor report is read and fused; a new warning version is
/// stored durably, and only then queued on the warning lane of every client its label permits;
/// what each client was written and acknowledged is recorded; a client that connects is sent
/// again every current warning version it may see and has not acknowledged.
/// </summary>
public sealed partial class WarningDesk : IWarningReceipts, IDisposable
{
    private readonly SensorReportIntake _intake;
    private readonly IWarningStore _store;
    private readonly EventRouter _router;
    private readonly LabelPolicy _labels;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IAuditTrail _audit;
    // Reports are issued one at a time, in order, on a thread of their own (real-time priority
    // where permitted, IssuerPriority): woken, it runs at once, while the thread pool may be a
    // queue of picture work deep under load (docs/warnings.md, "Warning first").
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _issuing = [];
    private readonly Thread _issuer;

    public WarningDesk(SensorReportIntake intake, IWarningStore store, EventRouter router, LabelPolicy labels, KizunaMetrics metrics, ILogger<WarningDesk> logger, TimeProvider time, IAuditTrail? audit = null)
    {
        _audit = audit ?? NoAuditTrail.Instance;
        _intake = intake;
        _store = store;
        _router = router;
        _labels = labels;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        // Warnings are not part of the replayed picture: a client that connects is sent the ones it has not acknowledged instead.
        router.ExcludeFromPicture(WarningCot.WarningType);
        _issuer = new Thread(IssueLoop) { IsBackground = true, Name = "kizuna-warning-issuer" };
        _issuer.Start();
    }

    private void IssueLoop()
    {
        if (IssuerPriority.TryRaiseCurrentThread() is { } why)
        {
            Log.IssuerAtNormalPriority(_logger, why);
        }
        else
        {
            Log.IssuerAtRealTimePriority(_logger);
        }

        foreach (var work in _issuing.GetConsumingEnumerable())
        {
            work();
        }
    }

    /// <summary>Lets the issuing thread finish what is queued and end.</summary>
    public void Dispose() => _issuing.CompleteAdding();

    /// <summary>
    /// Raised on the issuing thread for every report the sensor authority accepted (before its
    /// warning, if any, is stored and goes out; a handler must not block), with the principal it
    /// was accepted from: federation forwards only reports a node vouched for this way (docs/federation.md).
    /// </summary>
    public event Action<CotEvent, ConfidentialityLabel, Principal>? ReportVouched;

    /// <summary>
    /// Raised for every delivery and acknowledgement the desk records (a delivery may be raised again
    /// on a resend), with the version it is of: federation sends receipts back to the nations whose
    /// sensor reports the warning fuses (docs/federation.md).
    /// </summary>
    public event Action<WarningReceipt, WarningVersion>? ReceiptRecorded;

    /// <summary>The fusion the desk feeds (which reports a warning fuses).</summary>
    public WarningFusion Fusion => _intake.Fusion;

    /// <summary>
    /// A warning is current for this long after its last version was issued: resent on connect and
    /// by the sweep only while current, so a client that connects is not sent the whole history.
    /// The same span as fusion keeps a launch open (<see cref="WarningFusionOptions.Retention"/>).
    /// </summary>
    public static readonly TimeSpan CurrentFor = WarningFusionOptions.Default.Retention;

    public static bool IsReport(CotEvent evt) => string.Equals(evt.Type, SensorReportReader.ReportType, StringComparison.Ordinal);

    public static bool IsAcknowledgement(CotEvent evt) => string.Equals(evt.Type, WarningCot.AcknowledgementType, StringComparison.Ordinal);

    /// <summary>
    /// Takes fusion up where the stored warnings left it, before the node accepts reports: the
    /// warnings still current come back with their reports, so a report after a restart joins
    /// its warning and continues its version numbers, and no new warning reuses a stored id.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in _intake.Catalog.ProblemsWith(_labels.Profile))
        {
            Log.SensorCatalogMismatch(_logger, _intake.Catalog.Id, problem);
        }

        var since = _time.GetUtcNow().UtcDateTime - _intake.Fusion.Options.Retention;
        var launches = await _store.LaunchesSinceAsync(since, cancellationToken).ConfigureAwait(false);
        var ids = await _store.WarningIdsAsync(cancellationToken).ConfigureAwait(false);
        _intake.Fusion.Restore(launches.Select(l => (l.Latest, l.Reports)), ids);
        Log.FusionRestored(_logger, launches.Count, _intake.Fusion.Options.Retention.TotalHours, launches.Sum(l => l.Reports.Count));
    }

    /// <summary>
    /// Reads and fuses one report whose label was accepted. A refused report is logged, counted
    /// and told to the sender, and never fused. Returns the version issued, if any.
    /// </summary>
    public Task<WarningVersion?> ReportAsync(CotEvent evt, ConfidentialityLabel label, IRecipient sender, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<WarningVersion?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = _time.GetTimestamp();
        try
        {
            _issuing.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    done.TrySetCanceled(cancellationToken);
                    return;
                }

                try
                {
                    done.TrySetResult(Issue(evt, label, sender, read, cancellationToken));
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            }, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // The node is stopping (the desk was disposed).
            done.TrySetCanceled(CancellationToken.None);
        }

        return done.Task;
    }

    /// <summary>
    /// On the issuing thread, start to end: fusion, the durable append, the warning lane (which
    /// writes at once to every client whose writer is idle). The store's calls are its blocking
    /// ones (<see cref="IWarningStore.Append(IReadOnlyList{WarningVersion}, SensorReport, CancellationToken)"/>):
    /// they wait and write on this thread, so no step of the path waits for the thread pool.
    /// </summary>
    private WarningVersion? Issue(CotEvent evt, ConfidentialityLabel label, IRecipient sender, long read, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var outcome = _intake.Accept(evt, label, now, sender.Principal);
        if (outcome.Refusal is { } refusal)
        {
            _metrics.ReportRefused(refusal);
            Log.ReportRefused(_logger, sender.Id, sender.RemoteEndpoint, refusal, outcome.Reason!);
            _router.SendTo(sender, Notice(sender, evt.Uid, refusal.ToString(), outcome.Reason!, now), Lane.Control);
            return null;
        }

        // Vouched as soon as the sensor authority accepted it: a partner's node fuses it while this
        // one stores and publishes its own warning, so a hop does not wait for this node's disk.
        ReportVouched?.Invoke(evt, label, sender.Principal);
        if (StoredForIssuer(outcome.Report!, sender, cancellationToken))
        {
            return null;
        }

        return IssueFused(outcome.Report!, sender.Principal.Name, sender.Principal.Organization, read, cancellationToken);
    }

    /// <summary>On the issuing thread: fuses an accepted report and, if it changes a warning, stores and issues the new version.</summary>
    private WarningVersion? IssueFused(SensorReport report, string senderName, string senderOrganization, long read, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var outcome = _intake.Fuse(report);
        if (outcome.Fusion.Version is not { } version)
        {
            // A report that joined a warning without changing it still counts for later versions, after a restart too.
            if (outcome.Fusion.Result == FusionResult.NoChange)
            {
                _store.RecordReport(outcome.Fusion.WarningId!, outcome.Report!, cancellationToken);
            }

            return null;
        }

        // Stored before anyone is told, with the report that caused it (one commit). Each
        // client gets the view it may see, if that view changed at this version number.
        var issued = outcome.Fusion.Issued;
        var current = outcome.Fusion.Current;
        var storing = _time.GetTimestamp();
        _store.Append(issued, outcome.Report!, cancellationToken);
        var stored = _time.GetElapsedTime(storing);
        var events = issued.ToDictionary(v => v.Audience, v => WarningEvent(v, now), StringComparer.Ordinal);
        var recipients = _router.PublishWarning(
            [.. events.Values],
            p => WarningViews.For(p, current) is { } view && view.Version == version.Version ? events.GetValueOrDefault(view.Audience) : null);
        var queued = _time.GetElapsedTime(read);
        ShareIssued(version);
        _metrics.WarningIssued(stored, queued);
        _audit.Record(new AuditEntry(AuditActs.WarningIssued, senderName, senderOrganization, $"{version.WarningId} v{version.Version}", version.Label.Banner));
        Log.WarningIssued(_logger, version.Label.Banner, Math.Round(stored.TotalMilliseconds, 1), recipients, Math.Round(queued.TotalMilliseconds, 1));
        return version;
    }

    /// <summary>
    /// Records an acknowledgement; a malformed one, or one <see cref="RecordAcknowledgementAsync"/>
    /// refuses, is told to the sender with the reason and not stored.
    /// </summary>
    public async Task AcknowledgeAsync(CotEvent evt, IRecipient sender, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (!WarningCot.TryReadAcknowledgement(evt, out var warningId, out var version, out var reason))
        {
            _metrics.AcknowledgementRefused(AcknowledgementRefusal.Malformed);
            Log.AcknowledgementRefused(_logger, sender.Id, sender.RemoteEndpoint, reason!);
            _router.SendTo(sender, Notice(sender, evt.Uid, nameof(AcknowledgementRefusal.Malformed) + "Acknowledgement", reason!, now), Lane.Control);
            return;
        }

        if (await RecordAcknowledgementAsync(sender.Principal, warningId, version, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            _router.SendTo(sender, Notice(sender, evt.Uid, refusal.ToString(), Sentence(refusal), now), Lane.Control);
        }
    }

    /// <summary>
    /// Records that <paramref name="who"/> acknowledged a warning version: the one path, and the one
    /// check, for a CoT <c>b-w-m-a</c> and the console's <c>POST /api/warnings/{id}/ack</c>. It
    /// counts only from an identified principal that may see that version (every delivery was
    /// made by the same access decision); otherwise it is logged, counted and not stored, and the
    /// refusal is returned. Unknown and hidden versions are refused alike, so a refusal tells
    /// nothing of what exists.
    /// </summary>
    public async Task<AcknowledgementRefusal?> RecordAcknowledgementAsync(Principal who, string warningId, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(warningId);
        AcknowledgementRefusal? refusal = null;
        WarningVersion? seen = null;
        if (who.Kind != PrincipalKind.Certificate)
        {
            refusal = AcknowledgementRefusal.NotIdentified;
        }
        else if ((seen = WarningViews.HistoryFor(who, await _store.VersionsAsync(warningId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(v => v.Version == version)) is null)
        {
            refusal = AcknowledgementRefusal.UnknownWarning;
        }

        if (refusal is { } refused)
        {
            _metrics.AcknowledgementRefused(refused);
            Log.AcknowledgementNotCounted(_logger, who.Name, who.Organization, refused);
            return refused;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var receipt = new WarningReceipt(warningId, version, who.Name, who.Organization, who.Nation, null, now);
        await _store.RecordAcknowledgementAsync(receipt, cancellationToken).ConfigureAwait(false);
        ReceiptRecorded?.Invoke(receipt, seen!);

        _metrics.WarningAcknowledged();
        _audit.Record(new AuditEntry(AuditActs.WarningAcknowledged, who.Name, who.Organization, $"{warningId} v{version}", seen!.Label.Banner));
        Log.WarningAcknowledged(_logger, who.Name, who.Organization);
        return null;
    }

    private static string Sentence(AcknowledgementRefusal refusal) => refusal switch
    {
        AcknowledgementRefusal.NotIdentified => "an acknowledgement needs a client certificate: anonymous clients may not acknowledge",
        _ => "no warning with that id and version that you may see",
    };

    /// <summary>A writer put a warning version on the wire to <paramref name="recipient"/>: record the delivery (not awaited by the writer).</summary>
    public void Written(Principal recipient, WarningVersion version)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(version);
        _ = RecordDeliveryAsync(new WarningReceipt(version.WarningId, version.Version, recipient.Name, recipient.Organization, recipient.Nation, _time.GetUtcNow().UtcDateTime, null), version);
        _audit.Record(new AuditEntry(AuditActs.WarningDelivered, recipient.Name, recipient.Organization, $"{version.WarningId} v{version.Version}", version.Label.Banner));
    }

    /// <summary>
    /// Sends a client that has just connected every current warning version it may see and has
    /// not acknowledged: a warning goes again on every reconnect until it is acknowledged.
    /// </summary>
    public async Task ResendAsync(IRecipient recipient, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var views in await CurrentAsync(now, cancellationToken).ConfigureAwait(false))
        {
            if (WarningViews.For(recipient.Principal, views) is not { } version)
            {
                continue;
            }

            var receipts = await _store.ReceiptsAsync(version.WarningId, cancellationToken).ConfigureAwait(false);
            var acknowledged = receipts.Any(r => r.Version == version.Version && r.AcknowledgedAt is not null
                                                 && string.Equals(r.Recipient, recipient.Principal.Name, StringComparison.Ordinal));
            if (!acknowledged)
            {
                _router.SendTo(recipient, WarningEvent(version, now), Lane.Warning);
            }
        }
    }

    /// <summary>
    /// One pass over the current warnings: every connected client that has not acknowledged the
    /// view it may see, and was last sent it more than <paramref name="resendAfter"/> ago, is
    /// sent it again; an organization whose clients received a version and none acknowledged it
    /// within <paramref name="escalateAfter"/> is escalated once up its national chain (its
    /// commanders' connected clients get the warning, marked with the silent organization).
    /// </summary>
    public async Task SweepAsync(TimeSpan resendAfter, TimeSpan escalateAfter, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var recipients = _router.Recipients;
        foreach (var views in await CurrentAsync(now, cancellationToken).ConfigureAwait(false))
        {
            var receipts = await _store.ReceiptsAsync(views[0].WarningId, cancellationToken).ConfigureAwait(false);
            foreach (var recipient in recipients)
            {
                if (WarningViews.For(recipient.Principal, views) is not { } version)
                {
                    continue;
                }

                var mine = receipts.FirstOrDefault(r => r.Version == version.Version && string.Equals(r.Recipient, recipient.Principal.Name, StringComparison.Ordinal));
                if (mine is { AcknowledgedAt: null, DeliveredAt: { } sent } && now - sent >= resendAfter)
                {
                    _router.SendTo(recipient, WarningEvent(version, now), Lane.Warning);
                }
            }

            foreach (var version in views.Where(v => now - v.IssuedAt >= escalateAfter))
            {
                var ofVersion = receipts.Where(r => r.Version == version.Version).ToList();
                var ackedOrganizations = ofVersion.Where(r => r.AcknowledgedAt is not null).Select(r => r.Organization).ToHashSet(StringComparer.Ordinal);
                foreach (var silent in ofVersion.Where(r => r.DeliveredAt is not null && !ackedOrganizations.Contains(r.Organization)).Select(r => r.Organization).Distinct(StringComparer.Ordinal))
                {
                    // Recorded first and only once, restarts included: an organization is escalated once per version.
                    if (await _store.RecordEscalationAsync(new WarningEscalation(version.WarningId, version.Version, silent, now), cancellationToken).ConfigureAwait(false))
                    {
                        Escalate(version, silent, now, recipients);
                    }
                }
            }
        }
    }

    private void Escalate(WarningVersion version, string silent, DateTime now, IReadOnlyList<IRecipient> recipients)
    {
        var escalation = new SharedEvent(WarningCot.ToEvent(version, _labels, now, escalatedFrom: silent), version.Label, "node", now)
        {
            Payload = WarningDelivery.Escalation(version, silent),
        };
        foreach (var superior in _labels.Profile.ChainAbove(silent, DateOnly.FromDateTime(now)))
        {
            var told = 0;
            foreach (var recipient in recipients)
            {
                if (string.Equals(recipient.Principal.Organization, superior.Id, StringComparison.Ordinal) && AccessControl.Permits(recipient.Principal, version.Label))
                {
                    _router.SendTo(recipient, escalation, Lane.Warning);
                    told++;
                }
            }

            Log.WarningEscalated(_logger, silent, superior.Id, told);
            _audit.Record(new AuditEntry(AuditActs.WarningEscalated, AuditEntry.NodeActor, string.Empty, $"{version.WarningId} v{version.Version}: {silent} silent, told {superior.Id}", version.Label.Banner));
        }
    }

    /// <summary>The newest version of each view of every warning still current, one list per warning.</summary>
    private async Task<IEnumerable<IReadOnlyList<WarningVersion>>> CurrentAsync(DateTime now, CancellationToken cancellationToken)
        => (await _store.LatestVersionsIssuedSinceAsync(now - CurrentFor, cancellationToken).ConfigureAwait(false))
            .GroupBy(v => v.WarningId, StringComparer.Ordinal)
            .Where(g => g.Any(v => now - v.IssuedAt < CurrentFor))
            .Select(g => (IReadOnlyList<WarningVersion>)[.. g]);

    /// <summary>A version as the warning lane carries it: the node's b-w-m-w event, with the version for its receipt.</summary>
    private SharedEvent WarningEvent(WarningVersion version, DateTime now)
        => new(WarningCot.ToEvent(version, _labels, now), version.Label, "node", now) { Payload = WarningDelivery.Warning(version, this) };

    private SharedEvent Notice(IRecipient sender, string uid, string reasonName, string reason, DateTime now)
        => new(RefusalNotice.Create(uid, reasonName, reason, now), _labels.DefaultFor(sender.Principal), "node", now);

    private async Task RecordDeliveryAsync(WarningReceipt receipt, WarningVersion version)
    {
        try
        {
            await _store.RecordDeliveryAsync(receipt, CancellationToken.None).ConfigureAwait(false);
            ReceiptRecorded?.Invoke(receipt, version);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.WarningReceiptLost(_logger, ex, receipt.Recipient);
        }
    }
}
