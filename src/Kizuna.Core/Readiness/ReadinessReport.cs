namespace Kizuna.Core.Readiness;

/// <summary>The four-step readiness scale, best first (the API's names).</summary>
public static class ReadinessLevels
{
    public const string Ready = "ready";
    public const string ReadyWithLimitations = "ready-with-limitations";
    public const string Limited = "limited";
    public const string NotReady = "not-ready";

    public static IReadOnlyList<string> All { get; } = [Ready, ReadyWithLimitations, Limited, NotReady];

    /// <summary>0 for ready up to 3 for not ready; -1 for a name that is not a level.</summary>
    public static int Severity(string level) => All.ToList().IndexOf(level);
}

/// <summary>The areas a report may rate separately.</summary>
public static class ReadinessAreas
{
    public static IReadOnlyList<string> All { get; } = ["personnel", "equipment", "training", "sustainment"];
}

/// <summary>
/// One organization's readiness as reported: an overall level, a level per area, when it is
/// available from, a remark, and two labels: <see cref="Label"/> for the whole report and
/// <see cref="SummaryLabel"/> for its overall level and time alone, so a nation can release the
/// summary to a partner and keep the detail. Versioned per organization; the newest counts.
/// </summary>
public sealed record ReadinessReport(
    string Organization,
    int Version,
    string Level,
    IReadOnlyDictionary<string, string> Areas,
    DateTime? AvailableFrom,
    string? Remark,
    string Label,
    string SummaryLabel,
    string ReportedBy,
    DateTime ReportedAt);

/// <summary>Where readiness reports are kept durably (every version).</summary>
public interface IReadinessStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new version; durable when the task completes.</summary>
    Task AppendAsync(ReadinessReport report, CancellationToken cancellationToken);

    /// <summary>The newest version of every organization's report.</summary>
    Task<IReadOnlyList<ReadinessReport>> LatestAsync(CancellationToken cancellationToken);
}
