using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Warnings;

/// <summary>
/// The node's missile warning path: a sensor report is read and fused; a new warning version is
/// stored durably, and only then queued on the warning lane of every client its label permits;
/// what each client was written and acknowledged is recorded; a client that connects is sent
/// again every current warning version it may see and has not acknowledged.
/// </summary>
public sealed class WarningDesk : IWarningReceipts
{
    private readonly SensorReportIntake _intake;
    private readonly IWarningStore _store;
    private readonly EventRouter _router;
    private readonly LabelPolicy _labels;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _issuing = new(1, 1);

    public WarningDesk(SensorReportIntake intake, IWarningStore store, EventRouter router, LabelPolicy labels, KizunaMetrics metrics, ILogger<WarningDesk> logger, TimeProvider time)
    {
        _intake = intake;
        _store = store;
        _router = router;
        _labels = labels;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    /// <summary>
    /// A warning is current for this long after its last version was issued: resent on connect and
    /// by the sweep only while current, so a client that connects is not sent the whole history.
    /// The same span as fusion keeps a launch open (<see cref="WarningFusionOptions.Retention"/>).
    /// </summary>
    public static readonly TimeSpan CurrentFor = WarningFusionOptions.Default.Retention;

    public static bool IsReport(CotEvent evt) => string.Equals(evt.Type, SensorReportReader.ReportType, StringComparison.Ordinal);

    public static bool IsAcknowledgement(CotEvent evt) => string.Equals(evt.Type, WarningCot.AcknowledgementType, StringComparison.Ordinal);

    /// <summary>
    /// Reads and fuses one report whose label was accepted. A refused report is logged, counted
    /// and told to the sender, and never fused. Returns the version issued, if any.
    /// </summary>
    public async Task<WarningVersion?> ReportAsync(CotEvent evt, ConfidentialityLabel label, ClientSession sender, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        // One report at a time from fusion to the warning lane, so versions go out in order.
        await _issuing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = _intake.Offer(evt, label, now);
            if (outcome.Refusal is { } refusal)
            {
                _metrics.ReportRefused(refusal);
                Log.ReportRefused(_logger, sender.Id, sender.RemoteEndpoint, refusal, outcome.Reason!);
                sender.Deliver(Notice(sender, evt.Uid, refusal.ToString(), outcome.Reason!, now), Lane.Control);
                return null;
            }

            if (outcome.Fusion.Version is not { } version)
            {
                return null;
            }

            // Stored before anyone is told.
            await _store.AppendAsync(version, cancellationToken).ConfigureAwait(false);
            var shared = WarningEvent(version, now);
            var recipients = _router.PublishWarning(shared);
            _metrics.WarningIssued();
            Log.WarningIssued(_logger, version.Label.Banner, recipients);
            return version;
        }
        finally
        {
            _issuing.Release();
        }
    }

    /// <summary>Records an acknowledgement; a malformed one is refused with the reason, to the sender too.</summary>
    public async Task AcknowledgeAsync(CotEvent evt, ClientSession sender, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (!WarningCot.TryReadAcknowledgement(evt, out var warningId, out var version, out var reason))
        {
            Log.AcknowledgementRefused(_logger, sender.Id, sender.RemoteEndpoint, reason!);
            sender.Deliver(Notice(sender, evt.Uid, "MalformedAcknowledgement", reason!, now), Lane.Control);
            return;
        }

        await RecordAcknowledgementAsync(sender.Principal, warningId, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records that <paramref name="who"/> acknowledged a warning version: the one path for a CoT
    /// <c>b-w-m-a</c> and the console's <c>POST /api/warnings/{id}/ack</c>.
    /// </summary>
    public async Task RecordAcknowledgementAsync(Principal who, string warningId, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var now = _time.GetUtcNow().UtcDateTime;
        await _store.RecordAcknowledgementAsync(new WarningReceipt(warningId, version, who.Name, who.Organization, who.Nation, null, now), cancellationToken).ConfigureAwait(false);
        _metrics.WarningAcknowledged();
        Log.WarningAcknowledged(_logger, who.Name, who.Organization);
    }

    /// <summary>A connection's writer put a warning version on the wire: record the delivery (not awaited by the writer).</summary>
    public void Written(ClientSession session, WarningVersion version)
    {
        var p = session.Principal;
        _ = RecordDeliveryAsync(new WarningReceipt(version.WarningId, version.Version, p.Name, p.Organization, p.Nation, _time.GetUtcNow().UtcDateTime, null));
    }

    /// <summary>
    /// Sends a client that has just connected every current warning version it may see and has
    /// not acknowledged: a warning goes again on every reconnect until it is acknowledged.
    /// </summary>
    public async Task ResendAsync(ClientSession session, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var version in await CurrentAsync(now, cancellationToken).ConfigureAwait(false))
        {
            if (!AccessControl.Permits(session.Principal, version.Label))
            {
                continue;
            }

            var receipts = await _store.ReceiptsAsync(version.WarningId, cancellationToken).ConfigureAwait(false);
            var acknowledged = receipts.Any(r => r.Version == version.Version && r.AcknowledgedAt is not null
                                                 && string.Equals(r.Recipient, session.Principal.Name, StringComparison.Ordinal));
            if (!acknowledged)
            {
                session.Deliver(WarningEvent(version, now), Lane.Warning);
            }
        }
    }

    /// <summary>
    /// One pass over the current warning versions: every connected client that may see one and
    /// has not acknowledged it, and was last sent it more than <paramref name="resendAfter"/> ago,
    /// is sent it again; an organization whose clients received a version and none acknowledged
    /// it within <paramref name="escalateAfter"/> is escalated once up its national chain (its
    /// commanders' connected clients get the warning, marked with the silent organization).
    /// </summary>
    public async Task SweepAsync(TimeSpan resendAfter, TimeSpan escalateAfter, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var sessions = _router.Sessions;
        foreach (var version in await CurrentAsync(now, cancellationToken).ConfigureAwait(false))
        {
            var receipts = (await _store.ReceiptsAsync(version.WarningId, cancellationToken).ConfigureAwait(false))
                .Where(r => r.Version == version.Version).ToList();
            var acknowledged = receipts.Where(r => r.AcknowledgedAt is not null).Select(r => r.Recipient).ToHashSet(StringComparer.Ordinal);

            foreach (var session in sessions)
            {
                var last = receipts.FirstOrDefault(r => string.Equals(r.Recipient, session.Principal.Name, StringComparison.Ordinal))?.DeliveredAt;
                if (!acknowledged.Contains(session.Principal.Name) && last is { } sent && now - sent >= resendAfter
                    && AccessControl.Permits(session.Principal, version.Label))
                {
                    session.Deliver(WarningEvent(version, now), Lane.Warning);
                }
            }

            if (now - version.IssuedAt < escalateAfter)
            {
                continue;
            }

            var ackedOrganizations = receipts.Where(r => r.AcknowledgedAt is not null).Select(r => r.Organization).ToHashSet(StringComparer.Ordinal);
            foreach (var silent in receipts.Where(r => r.DeliveredAt is not null && !ackedOrganizations.Contains(r.Organization)).Select(r => r.Organization).Distinct(StringComparer.Ordinal))
            {
                // Recorded first and only once, restarts included: an organization is escalated once per version.
                if (await _store.RecordEscalationAsync(new WarningEscalation(version.WarningId, version.Version, silent, now), cancellationToken).ConfigureAwait(false))
                {
                    Escalate(version, silent, now, sessions);
                }
            }
        }
    }

    private void Escalate(WarningVersion version, string silent, DateTime now, IReadOnlyList<ClientSession> sessions)
    {
        var escalation = new SharedEvent(WarningCot.ToEvent(version, _labels, now, escalatedFrom: silent), version.Label, "node", now)
        {
            EscalationOf = version,
            EscalatedFrom = silent,
        };
        foreach (var superior in _labels.Profile.ChainAbove(silent, DateOnly.FromDateTime(now)))
        {
            var told = 0;
            foreach (var session in sessions)
            {
                if (string.Equals(session.Principal.Organization, superior.Id, StringComparison.Ordinal) && AccessControl.Permits(session.Principal, version.Label))
                {
                    session.Deliver(escalation, Lane.Warning);
                    told++;
                }
            }

            Log.WarningEscalated(_logger, silent, superior.Id, told);
        }
    }

    /// <summary>The latest version of every warning still current (newest first: the store's order).</summary>
    private async Task<IEnumerable<WarningVersion>> CurrentAsync(DateTime now, CancellationToken cancellationToken)
        => (await _store.LatestVersionsAsync(cancellationToken).ConfigureAwait(false)).TakeWhile(v => now - v.IssuedAt < CurrentFor);

    /// <summary>A version as the warning lane carries it: the node's b-w-m-w event, with the version for its receipt.</summary>
    private SharedEvent WarningEvent(WarningVersion version, DateTime now)
        => new(WarningCot.ToEvent(version, _labels, now), version.Label, "node", now) { Warning = version };

    private SharedEvent Notice(ClientSession sender, string uid, string reasonName, string reason, DateTime now)
        => new(RefusalNotice.Create(uid, reasonName, reason, now), _labels.DefaultFor(sender.Principal), "node", now);

    private async Task RecordDeliveryAsync(WarningReceipt receipt)
    {
        try
        {
            await _store.RecordDeliveryAsync(receipt, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.WarningReceiptLost(_logger, ex, receipt.Recipient);
        }
    }
}
