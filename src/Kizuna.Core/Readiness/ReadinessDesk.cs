using Kizuna.Core.Audit;
using Kizuna.Core.Coordination;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Readiness;

/// <summary>What an identity reports (the body of <c>POST /api/readiness</c>).</summary>
public sealed record NewReadinessReport(string? Organization, string? Level, IReadOnlyDictionary<string, string>? Areas, DateTime? AvailableFrom, string? Remark, string? Label, string? SummaryLabel);

/// <summary>A report as one caller may see it: whole, or its summary alone (<see cref="DetailWithheld"/>).</summary>
public sealed record ReadinessSeen(ReadinessReport Report, bool DetailWithheld, bool Stale, TimeSpan Age, string ShownLabel);

/// <summary>The roll-up of one organization and everything below it on its national chain, as one caller may see it.</summary>
public sealed record ReadinessRollUp(
    string Organization,
    DateTime AsOf,
    TimeSpan Interval,
    ReadinessSeen? Own,
    IReadOnlyList<ReadinessSeen> Subordinates,
    string? Worst,
    IReadOnlyDictionary<string, int> Counts,
    TimeSpan? OldestAge,
    int Stale);

/// <summary>
/// Readiness reports and their roll-up along each national chain. An organization's identities
/// report its readiness (versioned; the newest counts); a headquarters sees its own and its
/// subordinates' newest reports with a summary (worst level, counts per level, the oldest report's
/// age, stale ones flagged after the profile's <c>readiness.reportEvery</c>), each report through the
/// access decision: its detail under its label, its overall level under its summary label.
/// </summary>
public sealed class ReadinessDesk(IReadinessStore store, LabelPolicy labels, TimeProvider time, ILogger<ReadinessDesk> logger, IAuditTrail? audit = null)
{
    public const int MaxRemark = 2000;

    private readonly IAuditTrail _audit = audit ?? NoAuditTrail.Instance;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Stores a new version of the caller's organization's report; the reason when refused.</summary>
    public async Task<(ReadinessReport? Report, string? Refusal, bool Forbidden)> ReportAsync(Principal who, NewReadinessReport body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(body);
        var organization = string.IsNullOrWhiteSpace(body.Organization) ? who.Organization : body.Organization;
        if (who.Kind != PrincipalKind.Certificate || !string.Equals(organization, who.Organization, StringComparison.Ordinal))
        {
            return Refuse(who, $"only an identity of {organization} reports its readiness", forbidden: true);
        }

        if (body.Level is null || ReadinessLevels.Severity(body.Level) < 0)
        {
            return Refuse(who, $"level is one of {string.Join(", ", ReadinessLevels.All)}");
        }

        var areas = body.Areas ?? new Dictionary<string, string>();
        foreach (var (area, level) in areas)
        {
            if (!ReadinessAreas.All.Contains(area, StringComparer.Ordinal) || ReadinessLevels.Severity(level) < 0)
            {
                return Refuse(who, $"areas are {string.Join(", ", ReadinessAreas.All)}, each with a level ({string.Join(", ", ReadinessLevels.All)})");
            }
        }

        if (body.Remark is { Length: > MaxRemark })
        {
            return Refuse(who, $"a remark is at most {MaxRemark} characters");
        }

        var label = labels.AcceptBanner(body.Label, who);
        if (!label.Accepted)
        {
            return Refuse(who, "label: " + label.Reason);
        }

        var summary = body.SummaryLabel is null ? label : labels.AcceptBanner(body.SummaryLabel, who);
        if (!summary.Accepted)
        {
            return Refuse(who, "summaryLabel: " + summary.Reason);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var latest = (await store.LatestAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => string.Equals(r.Organization, organization, StringComparison.Ordinal));
            var report = new ReadinessReport(
                organization, (latest?.Version ?? 0) + 1, body.Level, new SortedDictionary<string, string>(areas.ToDictionary(), StringComparer.Ordinal),
                body.AvailableFrom?.ToUniversalTime(), body.Remark, label.Label.Banner, summary.Label.Banner, who.Name, time.GetUtcNow().UtcDateTime);
            await store.AppendAsync(report, cancellationToken).ConfigureAwait(false);
            _audit.Record(new AuditEntry(AuditActs.ReadinessReported, who.Name, who.Organization, $"{organization} v{report.Version}", report.Label));
            Log.ReadinessReported(logger, organization, report.Version, who.Name);
            return (report, null, false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The roll-up of <paramref name="organization"/> as <paramref name="who"/> may see it.</summary>
    public async Task<ReadinessRollUp> RollUpAsync(Principal who, string organization, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var now = time.GetUtcNow().UtcDateTime;
        var interval = labels.Profile.ReadinessInterval;
        var chain = CoordinationRelations.Followed(labels.Profile, organization, DateOnly.FromDateTime(now));
        var seen = new List<ReadinessSeen>();
        foreach (var report in await store.LatestAsync(cancellationToken).ConfigureAwait(false))
        {
            if (chain.Contains(report.Organization) && See(who, report, now, interval) is { } visible)
            {
                seen.Add(visible);
            }
        }

        var counts = ReadinessLevels.All.ToDictionary(l => l, l => seen.Count(s => string.Equals(s.Report.Level, l, StringComparison.Ordinal)), StringComparer.Ordinal);
        return new ReadinessRollUp(
            organization,
            now,
            interval,
            seen.FirstOrDefault(s => string.Equals(s.Report.Organization, organization, StringComparison.Ordinal)),
            [.. seen.Where(s => !string.Equals(s.Report.Organization, organization, StringComparison.Ordinal)).OrderBy(s => s.Report.Organization, StringComparer.Ordinal)],
            seen.Count == 0 ? null : seen.MaxBy(s => ReadinessLevels.Severity(s.Report.Level))!.Report.Level,
            counts,
            seen.Count == 0 ? null : seen.Max(s => s.Age),
            seen.Count(s => s.Stale));
    }

    private ReadinessSeen? See(Principal who, ReadinessReport report, DateTime now, TimeSpan interval)
    {
        var age = now - report.ReportedAt;
        var stale = age > interval;
        if (labels.TryParseBanner(report.Label, out var label, out _) && AccessControl.Permits(who, label))
        {
            return new ReadinessSeen(report, false, stale, age, report.Label);
        }

        if (labels.TryParseBanner(report.SummaryLabel, out var summary, out _) && AccessControl.Permits(who, summary))
        {
            var summaryOnly = report with { Areas = new Dictionary<string, string>(), Remark = null };
            return new ReadinessSeen(summaryOnly, true, stale, age, report.SummaryLabel);
        }

        return null;
    }

    private (ReadinessReport?, string?, bool) Refuse(Principal who, string reason, bool forbidden = false)
    {
        Log.ReadinessRefused(logger, who.Name, who.Organization, reason);
        return (null, reason, forbidden);
    }
}
