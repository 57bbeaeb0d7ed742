using System.Globalization;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Storage;

namespace Kizuna.Server.Api;

/// <summary>The HTTP API: history queries, the latest picture, health and metrics.</summary>
public static class EventsApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public static void MapKizunaApi(this WebApplication app)
    {
        app.MapGet("/healthz", (KizunaMetrics metrics) =>
            Results.Ok(new HealthJson("ok", metrics.ConnectionsOpen, metrics.EventsIn, metrics.EventsOut)));

        app.MapGet("/metrics", (KizunaMetrics metrics) =>
            Results.Text(metrics.ToPrometheusText(), "text/plain; version=0.0.4; charset=utf-8"));

        app.MapGet("/api/events", async (HttpRequest request, IEventStore store, CancellationToken cancellationToken) =>
        {
            if (!TryParseQuery(request.Query, out var query, out var error))
            {
                return Results.BadRequest(new ErrorJson(error));
            }

            var events = await store.QueryAsync(query, cancellationToken).ConfigureAwait(false);
            return Results.Ok(events.Select(EventJson.From).ToList());
        });

        app.MapGet("/api/events/latest", async (IEventStore store, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var events = await store.LatestAsync(time.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false);
            return Results.Ok(events.Select(EventJson.From).ToList());
        });
    }

    /// <summary>Reads uid, type, since, until (ISO 8601) and limit (1..10000); says which one is wrong.</summary>
    public static bool TryParseQuery(IQueryCollection parameters, out EventQuery query, out string error)
    {
        query = new EventQuery();
        error = string.Empty;
        DateTime? since = null, until = null;
        var limit = DefaultLimit;

        if (parameters.TryGetValue("since", out var sinceText) && !TryParseTime(sinceText.ToString(), out since))
        {
            error = "since: expected an ISO 8601 time such as 2026-11-22T09:00:00Z";
            return false;
        }

        if (parameters.TryGetValue("until", out var untilText) && !TryParseTime(untilText.ToString(), out until))
        {
            error = "until: expected an ISO 8601 time such as 2026-11-22T10:00:00Z";
            return false;
        }

        if (parameters.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            error = $"limit: expected a whole number from 1 to {MaxLimit}";
            return false;
        }

        query = new EventQuery(
            Uid: NullIfEmpty(parameters["uid"].ToString()),
            Type: NullIfEmpty(parameters["type"].ToString()),
            Since: since,
            Until: until,
            Limit: limit);
        return true;
    }

    private static bool TryParseTime(string text, out DateTime? time)
    {
        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed);
        time = ok ? parsed.UtcDateTime : null;
        return ok;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
