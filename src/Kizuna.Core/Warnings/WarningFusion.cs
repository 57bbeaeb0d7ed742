using System.Globalization;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings;

/// <summary>What became of a report offered to <see cref="WarningFusion"/>. Stable names: they are metric labels.</summary>
public enum FusionResult
{
    /// <summary>The report changed what a warning says: <see cref="FusionOutcome.Version"/> is the new version to publish.</summary>
    Published,

    /// <summary>The same report (nation, sensor and report id) was offered before.</summary>
    Duplicate,

    /// <summary>The report joined a warning but changes nothing it says (an older estimate, a repeat).</summary>
    NoChange,

    /// <summary>The report belongs to a warning that a cancellation has closed.</summary>
    Closed,

    /// <summary>A cancellation that matches no warning: it starts nothing.</summary>
    NothingToCancel,
}

/// <summary>
/// What <see cref="WarningFusion.Offer"/> did with a report: a new version to publish, or why
/// there is none. A new version number may bring several views (<see cref="WarningViews"/>):
/// <see cref="Issued"/> are the views that changed at this number, full view first;
/// <see cref="Current"/> the newest of every view after it, to decide who gets which.
/// </summary>
public readonly record struct FusionOutcome(FusionResult Result, string? WarningId, IReadOnlyList<WarningVersion> Issued, IReadOnlyList<WarningVersion> Current)
{
    public FusionOutcome(FusionResult result, string? warningId)
        : this(result, warningId, [], [])
    {
    }

    /// <summary>The first view issued (the full view when it changed), or null when none was.</summary>
    public WarningVersion? Version => Issued.Count > 0 ? Issued[0] : null;

    public bool HasVersion => Issued.Count > 0;
}

/// <summary>
/// Fuses sensor reports of several sensors and nations about one launch into one warning with a
/// stable id and numbered versions (docs/warnings.md has the rule and its limits). In memory and
/// thread-safe: one lock, held only while a report is fused. The warning desk stores every fused
/// report beside the versions, and <see cref="Restore"/> takes fusion up again after a restart.
/// </summary>
/// <remarks>
/// A warning's content is a function of the set of reports fused into it, never of their order:
/// the impact estimate comes from the latest report by detection time that has one (a landed
/// report's, once there is one), the stage from the furthest track state reported, the label
/// from all inputs. A version is issued whenever that content changes, so the last version of a
/// warning is the same however its reports arrived (only the number of versions between
/// differs), and a duplicate or a report that changes nothing issues none.
/// </remarks>
public sealed class WarningFusion
{
    private readonly LabelPolicy _labels;
    private readonly Func<ImpactEllipse, IReadOnlyList<string>> _affectedPrefectures;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<FusedLaunch> _launches = [];
    private int _issued;

    public WarningFusion(LabelPolicy labels, Func<ImpactEllipse, IReadOnlyList<string>> affectedPrefectures, TimeProvider timeProvider, WarningFusionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(affectedPrefectures);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _labels = labels;
        _affectedPrefectures = affectedPrefectures;
        _time = timeProvider;
        Options = options ?? WarningFusionOptions.Default;
    }

    public WarningFusionOptions Options { get; }

    /// <summary>Fuses a report; returns the new version to publish, or why there is none.</summary>
    public FusionOutcome Offer(SensorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            Forget(now);

            var key = new ReportKey(report.Nation, report.Sensor, report.ReportId);
            foreach (var known in _launches)
            {
                if (known.Reports.ContainsKey(key))
                {
                    return new FusionOutcome(FusionResult.Duplicate, known.Id);
                }
            }

            var launch = Correlate(report);
            var isNew = launch is null;
            if (launch is null)
            {
                if (report.State == TrackState.Cancelled)
                {
                    return new FusionOutcome(FusionResult.NothingToCancel, null);
                }

                launch = new FusedLaunch(NewId(report), report.Exercise);
            }
            else if (launch.Closed)
            {
                return new FusionOutcome(FusionResult.Closed, launch.Id);
            }

            launch.Reports.Add(key, report);
            List<WarningVersion> views;
            try
            {
                views = Views(launch);
            }
            catch
            {
                // The prefecture function is someone else's code: if it fails, the report was never fused.
                launch.Reports.Remove(key);
                throw;
            }

            if (isNew)
            {
                _launches.Add(launch);
            }

            // A view is issued when it first exists (a nation the full view no longer releases to
            // gets its own view at once, so it always has a current version to hold, be resent and
            // acknowledge) and whenever it changes.
            var changed = views.Where(v => launch.Latest.GetValueOrDefault(v.Audience) is not { } last || !Same(last, v)).ToList();
            if (changed.Count == 0)
            {
                return new FusionOutcome(FusionResult.NoChange, launch.Id);
            }

            var number = launch.LastNumber + 1;
            var issued = changed.Select(v => v with { Version = number, IssuedAt = now }).ToList();
            foreach (var version in issued)
            {
                launch.Latest[version.Audience] = version;
            }

            launch.LastNumber = number;
            launch.Closed = launch.Latest[WarningViews.Everyone].Stage == WarningStage.Cancelled;
            return new FusionOutcome(FusionResult.Published, launch.Id, issued, [.. launch.Latest.Values]);
        }
    }

    /// <summary>
    /// Takes up fusion where a previous run of the node left it (before any report is offered):
    /// each stored warning comes back with its id, its newest version and its reports, so a
    /// report after a restart joins the warning it belongs to and the next version number
    /// follows the stored one. <paramref name="knownIds"/> are the ids of every stored warning,
    /// so a new id never repeats one.
    /// </summary>
    public void Restore(IEnumerable<(IReadOnlyList<WarningVersion> Latest, IReadOnlyList<SensorReport> Reports)> launches, IEnumerable<string> knownIds)
    {
        ArgumentNullException.ThrowIfNull(launches);
        ArgumentNullException.ThrowIfNull(knownIds);
        lock (_lock)
        {
            foreach (var id in knownIds)
            {
                var dash = id.LastIndexOf('-');
                if (dash >= 0 && int.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    _issued = Math.Max(_issued, n);
                }
            }

            foreach (var (latest, reports) in launches)
            {
                if (latest.FirstOrDefault(v => v.Audience.Length == 0) is not { } full || reports.Count == 0)
                {
                    continue;
                }

                // The stored launch replaces one held: an instance taking over as the node's issuer
                // goes on from what the last issuer stored, not from what it fused itself before.
                _launches.RemoveAll(l => l.Id == full.WarningId);

                var launch = new FusedLaunch(full.WarningId, full.Exercise) { Closed = full.Stage == WarningStage.Cancelled };
                foreach (var view in latest)
                {
                    launch.Latest[view.Audience] = view;
                    launch.LastNumber = Math.Max(launch.LastNumber, view.Version);
                }

                foreach (var report in reports)
                {
                    launch.Reports.TryAdd(new ReportKey(report.Nation, report.Sensor, report.ReportId), report);
                }

                _launches.Add(launch);
            }
        }
    }

    /// <summary>Every report fused into a warning the fusion still holds; empty for one it does not.</summary>
    public IReadOnlyList<SensorReport> ReportsOf(string warningId)
    {
        lock (_lock)
        {
            return _launches.FirstOrDefault(l => string.Equals(l.Id, warningId, StringComparison.Ordinal)) is { } launch ? [.. launch.Reports.Values] : [];
        }
    }

    /// <summary>The last version of the full view of every warning the fusion still holds, open and closed.</summary>
    public IReadOnlyList<WarningVersion> Warnings()
    {
        lock (_lock)
        {
            return [.. _launches.Select(l => l.Latest.GetValueOrDefault(WarningViews.Everyone)).OfType<WarningVersion>()];
        }
    }

    /// <summary>
    /// The warning a report belongs to: same exercise flag, launch time within the window and
    /// launch point within the distance of any report already fused into it. When several
    /// match, the one whose nearest report is closest in launch time, then in distance, then the
    /// oldest warning.
    /// </summary>
    private FusedLaunch? Correlate(SensorReport report)
    {
        FusedLaunch? best = null;
        var bestSeconds = double.MaxValue;
        var bestMeters = double.MaxValue;
        foreach (var launch in _launches)
        {
            // A closed warning stays closed: what its cancellations withdraw joins it and changes
            // nothing; a report that would support it again is new evidence and starts a new warning.
            if (launch.Exercise != report.Exercise || (launch.Closed && !WithdrawnIn(launch, report)))
            {
                continue;
            }

            foreach (var member in launch.Reports.Values)
            {
                var seconds = Math.Abs((member.LaunchTime - report.LaunchTime).TotalSeconds);
                if (seconds > Options.LaunchTimeWindow.TotalSeconds)
                {
                    continue;
                }

                var meters = Geo.DistanceMeters(member.LaunchPoint, report.LaunchPoint);
                if (meters > Options.LaunchDistanceMeters)
                {
                    continue;
                }

                if (seconds < bestSeconds || (seconds == bestSeconds && meters < bestMeters))
                {
                    best = launch;
                    bestSeconds = seconds;
                    bestMeters = meters;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// Every view of a launch as its reports now stand: the full view, then one for each nation
    /// the full view does not release to and at least one report does (profile order).
    /// </summary>
    private List<WarningVersion> Views(FusedLaunch launch)
    {
        var all = launch.Reports.Values.ToList();
        var full = Fuse(launch, all, WarningViews.Everyone);
        var views = new List<WarningVersion> { full };
        foreach (var nation in _labels.Profile.Nations)
        {
            if (full.Label.ReleasableTo.Contains(nation.Code, StringComparer.Ordinal))
            {
                continue;
            }

            var releasable = all.Where(r => r.Label.ReleasableTo.Contains(nation.Code, StringComparer.Ordinal)).ToList();
            if (releasable.Count > 0)
            {
                views.Add(Fuse(launch, releasable, nation.Code));
            }
        }

        return views;
    }

    /// <summary>What a warning says, from a set of its reports alone (version and issue time are set by the caller).</summary>
    private WarningVersion Fuse(FusedLaunch launch, IReadOnlyCollection<SensorReport> all, string audience)
    {
        // A nation's cancellation withdraws only that nation's support; while another nation's
        // reports support the warning, it says what they say. With no support left it is cancelled.
        var supporting = Supporting(all);
        var reports = supporting.Count > 0 ? supporting : all;
        var furthest = supporting.Count > 0 ? supporting.Max(r => r.State) : TrackState.Cancelled;

        // The launch estimate: the most confident report's; ties to the later detection, then the report key.
        var launchReport = reports.OrderByDescending(r => r.Confidence).ThenByDescending(r => r.DetectionTime).ThenBy(Key, StringComparer.Ordinal).First();

        // The impact estimate: the latest by detection time among landed reports once there are any, else among all.
        var landed = reports.Where(r => r.State == TrackState.Landed && r.PredictedImpact is not null).ToList();
        var impactReport = (landed.Count > 0 ? landed : reports.Where(r => r.PredictedImpact is not null))
            .OrderByDescending(r => r.DetectionTime).ThenByDescending(r => r.Confidence).ThenBy(Key, StringComparer.Ordinal).FirstOrDefault();
        var impact = impactReport?.PredictedImpact;
        IReadOnlyList<string> prefectures = impact is null ? [] : [.. _affectedPrefectures(impact).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

        var stage = furthest switch
        {
            TrackState.Cancelled => WarningStage.Cancelled,
            TrackState.Landed => prefectures.Count > 0 ? WarningStage.LandedInJapan : WarningStage.LandedOutsideJapan,
            TrackState.Overflight => WarningStage.Overflight,
            _ => prefectures.Count > 0 ? WarningStage.TakeShelter : WarningStage.Launch,
        };

        return new WarningVersion(
            launch.Id,
            0,
            stage,
            launch.Exercise,
            default,
            launchReport.LaunchTime,
            launchReport.LaunchPoint,
            impact,
            impactReport?.EstimatedImpactTime,
            reports.Max(r => r.Confidence),
            prefectures,
            [.. reports.Select(r => r.Nation + "/" + r.Sensor).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            _labels.Combine(all.Select(r => r.Label)),
            audience);
    }

    /// <summary>
    /// The reports not withdrawn: a cancellation withdraws every report of its nation detected at
    /// or before it (a later detection of that nation supports again). Depends on the set only.
    /// </summary>
    private static List<SensorReport> Supporting(IEnumerable<SensorReport> reports)
    {
        var list = reports as IReadOnlyCollection<SensorReport> ?? [.. reports];
        var cancelledUpTo = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var r in list.Where(r => r.State == TrackState.Cancelled))
        {
            cancelledUpTo[r.Nation] = cancelledUpTo.TryGetValue(r.Nation, out var t) && t > r.DetectionTime ? t : r.DetectionTime;
        }

        return [.. list.Where(r => r.State != TrackState.Cancelled && !(cancelledUpTo.TryGetValue(r.Nation, out var t) && r.DetectionTime <= t))];
    }

    /// <summary>Whether a report would be withdrawn by the cancellations already fused into a launch.</summary>
    private static bool WithdrawnIn(FusedLaunch launch, SensorReport report)
        => report.State == TrackState.Cancelled
           || launch.Reports.Values.Any(r => r.State == TrackState.Cancelled && string.Equals(r.Nation, report.Nation, StringComparison.Ordinal) && r.DetectionTime >= report.DetectionTime);

    private static string Key(SensorReport r) => r.Nation + "/" + r.Sensor + "/" + r.ReportId;

    private static bool Same(WarningVersion a, WarningVersion b)
        => a.Stage == b.Stage
           && a.Exercise == b.Exercise
           && a.LaunchTime == b.LaunchTime
           && a.LaunchPoint == b.LaunchPoint
           && Equals(a.PredictedImpact, b.PredictedImpact)
           && a.EstimatedImpactTime == b.EstimatedImpactTime
           && a.Confidence.Equals(b.Confidence)
           && a.AffectedPrefectures.SequenceEqual(b.AffectedPrefectures, StringComparer.Ordinal)
           && a.Sensors.SequenceEqual(b.Sensors, StringComparer.Ordinal)
           && a.Label.Equals(b.Label);

    /// <summary><c>W-yyyyMMddTHHmmssZ-n</c> from the first report's launch time and a counter; exercise warnings start <c>EX-</c>.</summary>
    private string NewId(SensorReport first)
    {
        var n = ++_issued;
        var id = string.Create(CultureInfo.InvariantCulture, $"W-{first.LaunchTime:yyyyMMdd'T'HHmmss'Z'}-{n}");
        return first.Exercise ? "EX-" + id : id;
    }

    /// <summary>Drops warnings whose reports are all older than the retention, so memory stays bounded.</summary>
    private void Forget(DateTime now)
    {
        var horizon = now - Options.Retention;
        _launches.RemoveAll(l => l.Reports.Values.All(r => r.LaunchTime < horizon && r.ReceivedAt < horizon));
    }

    private readonly record struct ReportKey(string Nation, string Sensor, string ReportId);

    private sealed class FusedLaunch(string id, bool exercise)
    {
        public string Id { get; } = id;
        public bool Exercise { get; } = exercise;
        public Dictionary<ReportKey, SensorReport> Reports { get; } = [];

        /// <summary>The newest version of each view, by audience.</summary>
        public Dictionary<string, WarningVersion> Latest { get; } = new(StringComparer.Ordinal);

        public int LastNumber { get; set; }
        public bool Closed { get; set; }

    }
}

/// <summary>The correlation rule's numbers and how long warnings are kept (docs/warnings.md says why these defaults).</summary>
public sealed record WarningFusionOptions
{
    public static WarningFusionOptions Default { get; } = new();

    /// <summary>Reports whose launch times differ by at most this much may be one launch: ±120 s.</summary>
    public TimeSpan LaunchTimeWindow { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Reports whose launch points lie at most this far apart may be one launch: 150 km.</summary>
    public double LaunchDistanceMeters { get; init; } = 150_000;

    /// <summary>How long a warning is kept after its last report's launch and receive times, open or closed: 12 hours.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(12);
}

/// <summary>Great-circle distance on a sphere of the mean Earth radius; good to 0.5 % for correlation.</summary>
internal static class Geo
{
    private const double EarthRadiusMeters = 6_371_008.8;

    public static double DistanceMeters(GeoPoint a, GeoPoint b)
    {
        var lat1 = double.DegreesToRadians(a.Lat);
        var lat2 = double.DegreesToRadians(b.Lat);
        var dLat = lat2 - lat1;
        var dLon = double.DegreesToRadians(b.Lon - a.Lon);
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }
}
