using Kizuna.Core.Readiness;

namespace Kizuna.Server.Api;

/// <summary>
/// Readiness over HTTP: <c>POST /api/readiness</c> (an identity of the organization reports it)
/// and <c>GET /api/readiness?org=</c> (that organization, everything below it on its national
/// chain, and the summary; the caller's organization when none is named), each report as the
/// caller's labels allow (<see cref="ReadinessDesk"/>).
/// </summary>
public static class ReadinessApi
{
    public static void MapReadinessApi(this WebApplication app)
    {
        app.MapPost("/api/readiness", async (HttpContext context, ReadinessDesk desk, CancellationToken cancellationToken) =>
        {
            var body = await CoordinationApi.ReadAsync(context, DeskJsonContext.Default.ReadinessBodyJson, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return Results.BadRequest(new ErrorJson("expected a JSON body {\"org\", \"level\", \"areas\", \"availableFrom\", \"remark\", \"label\"} (Content-Type: application/json)"));
            }

            var (report, refusal, forbidden) = await desk.ReportAsync(
                Caller.Of(context), new NewReadinessReport(body.Org, body.Level, body.Areas, body.AvailableFrom, body.Remark, body.Label, body.SummaryLabel), cancellationToken).ConfigureAwait(false);
            return report is not null
                ? Results.Json(ReportJson.From(new ReadinessSeen(report, false, false, TimeSpan.Zero, report.Label)), DeskJsonContext.Default.ReadinessReportJson, statusCode: StatusCodes.Status201Created)
                : Results.Json(new ErrorJson(refusal!), ApiJsonContext.Default.ErrorJson, statusCode: forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest);
        });

        app.MapGet("/api/readiness", async (HttpContext context, ReadinessDesk desk, Kizuna.Core.Labels.LabelPolicy labels, string? org, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            var organization = string.IsNullOrEmpty(org) ? caller.Organization : org;
            if (labels.Profile.FindOrganization(organization) is null)
            {
                return Results.NotFound(new ErrorJson($"no organization {organization} in the alliance profile"));
            }

            var rollUp = await desk.RollUpAsync(caller, organization, cancellationToken).ConfigureAwait(false);
            return Results.Json(new ReadinessRollUpJson(
                rollUp.Organization,
                rollUp.AsOf,
                (long)rollUp.Interval.TotalSeconds,
                rollUp.Own is { } own ? ReportJson.From(own) : null,
                [.. rollUp.Subordinates.Select(ReportJson.From)],
                new ReadinessSummaryJson(rollUp.Worst, rollUp.Counts, rollUp.OldestAge is { } age ? (long)age.TotalSeconds : null, rollUp.Stale, rollUp.Counts.Values.Sum())),
                DeskJsonContext.Default.ReadinessRollUpJson);
        });
    }
}

/// <summary>The body of <c>POST /api/readiness</c>; <c>summaryLabel</c> (optional) releases the overall level more widely than the detail.</summary>
public sealed record ReadinessBodyJson(string? Org, string? Level, Dictionary<string, string>? Areas, DateTime? AvailableFrom, string? Remark, string? Label, string? SummaryLabel);

/// <summary>One report as the caller sees it; <c>detailWithheld</c>: only its summary label released it.</summary>
public sealed record ReadinessReportJson(
    string Org, int Version, string Level, IReadOnlyDictionary<string, string>? Areas, DateTime? AvailableFrom, string? Remark,
    string Label, string ReportedBy, DateTime ReportedAt, long AgeSeconds, bool Stale, bool DetailWithheld);

public sealed record ReadinessSummaryJson(string? Worst, IReadOnlyDictionary<string, int> Counts, long? OldestAgeSeconds, int Stale, int Reports);

public sealed record ReadinessRollUpJson(string Org, DateTime AsOf, long IntervalSeconds, ReadinessReportJson? Report, IReadOnlyList<ReadinessReportJson> Subordinates, ReadinessSummaryJson Summary);

internal static class ReportJson
{
    public static ReadinessReportJson From(ReadinessSeen seen)
    {
        var r = seen.Report;
        return new ReadinessReportJson(
            r.Organization, r.Version, r.Level, seen.DetailWithheld ? null : r.Areas, r.AvailableFrom, seen.DetailWithheld ? null : r.Remark,
            seen.ShownLabel, r.ReportedBy, r.ReportedAt, (long)seen.Age.TotalSeconds, seen.Stale, seen.DetailWithheld);
    }
}
