using System.Globalization;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Api;

/// <summary>
/// The HTTP API: history queries, the latest picture, who am I, the alliance profile, health and
/// metrics. Every event it returns has passed the access decision for the caller; health and
/// metrics carry only counts and fixed names. Every endpoint needs an identity unless it is marked
/// <c>.AllowAnonymous()</c> (<see cref="KizunaAuthentication"/>).
/// </summary>
public static class EventsApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public static void MapKizunaApi(this WebApplication app)
    {
        app.MapGet("/healthz", (KizunaMetrics metrics, IEventStore store, IServiceProvider services) =>
            Results.Ok(Hosting.ScaleOut.Health(metrics, store, services))).AllowAnonymous();

        // Only for the node's operators: its counters (denials by exit, refusals by reason) say
        // things about traffic no partner should learn.
        app.MapGet("/metrics", (KizunaMetrics metrics) => Results.Text(metrics.ToPrometheusText(), "text/plain; version=0.0.4; charset=utf-8"))
            .RequireAuthorization(KizunaAuthentication.Operators);

        app.MapGet("/api/events", async (HttpContext context, IEventStore store, LabelPolicy labels, NodeIdentity node, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            if (!TryParseQuery(context.Request.Query, out var query, out var error))
            {
                return Results.BadRequest(new ErrorJson(error));
            }

            var view = new AccessView(caller, labels, node.Principal);
            var events = await store.QueryAsync(query with { Visible = view.Admits, Filter = labels.FilterFor(caller) }, cancellationToken).ConfigureAwait(false);
            return Results.Ok(events.Select(view.Json).ToList());
        });

        // The picture at a past time (the console's replay): each uid's newest event with a time at
        // or before then that the caller may see, stale ones included for an hour.
        app.MapGet("/api/events/state", async (HttpContext context, IEventStore store, LabelPolicy labels, NodeIdentity node, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            if (!context.Request.Query.TryGetValue("at", out var atText) || !TryParseTime(atText.ToString(), out var at))
            {
                return Results.BadRequest(new ErrorJson(TimeExpected("at", "2026-11-22T09:00:00Z")));
            }

            var view = new AccessView(caller, labels, node.Principal);
            var state = await store.StateAtAsync(at!.Value, StaleShownFor, labels.FilterFor(caller), view.Admits, cancellationToken).ConfigureAwait(false);
            return Results.Ok(state.Select(view.Json).ToList());
        });

        // The latest picture as routing holds it (the same state a connecting client is replayed),
        // so an event another client has received is listed at once, before storage has written it.
        // Each uid's newest version the caller may see (a newer one it may not see is not shown,
        // nor does it hide the older one). Denials are not counted: a count per request would tell
        // whoever reads the metrics how much a caller was not shown.
        app.MapGet("/api/events/latest", (HttpContext context, LatestState latest, TimeProvider time) =>
        {
            var caller = Caller.Of(context);
            var visible = new List<EventJson>();
            foreach (var shared in latest.Snapshot(time.GetUtcNow().UtcDateTime, caller, out _))
            {
                visible.Add(EventJson.From(new StoredEvent(shared.Event, shared.ReceivedAt, shared.Sender), shared.Label));
            }

            return Results.Ok(visible);
        });

        app.MapGet("/api/whoami", (HttpContext context, LabelPolicy labels, NodeIdentity node) =>
            Results.Ok(WhoAmIJson.For(Caller.Of(context), labels, node.Principal)));

        app.MapGet("/api/profile", (LabelPolicy labels) => Results.Ok(ProfileJson.From(labels.Profile)));
    }

    /// <summary>How long after going stale an entity is still part of a replayed picture (drawn faded).</summary>
    public static readonly TimeSpan StaleShownFor = TimeSpan.FromHours(1);

    /// <summary>Reads uid, type, since, until (ISO 8601) and limit (1..10000); says which one is wrong.</summary>
    public static bool TryParseQuery(IQueryCollection parameters, out EventQuery query, out string error)
    {
        query = new EventQuery();
        error = string.Empty;
        DateTime? since = null, until = null;
        var limit = DefaultLimit;

        if (parameters.TryGetValue("since", out var sinceText) && !TryParseTime(sinceText.ToString(), out since))
        {
            error = TimeExpected("since", "2026-11-22T09:00:00Z");
            return false;
        }

        if (parameters.TryGetValue("until", out var untilText) && !TryParseTime(untilText.ToString(), out until))
        {
            error = TimeExpected("until", "2026-11-22T10:00:00Z");
            return false;
        }

        if (since > until)
        {
            error = "since: must not be after until";
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

    /// <summary>The times a query may name: CoT times are after 1970, and a day's margin at the end keeps every window computed from them (a replay's stale hour, say) in range.</summary>
    public static readonly DateTime EarliestTime = DateTime.UnixEpoch;

    /// <summary>See <see cref="EarliestTime"/>.</summary>
    public static readonly DateTime LatestTime = DateTime.SpecifyKind(DateTime.MaxValue.Date.AddDays(-1), DateTimeKind.Utc);

    private static string TimeExpected(string name, string example)
        => $"{name}: expected an ISO 8601 time from {EarliestTime:yyyy-MM-dd} to {LatestTime:yyyy-MM-dd}, such as {example}";

    private static bool TryParseTime(string text, out DateTime? time)
    {
        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            && parsed.UtcDateTime >= EarliestTime && parsed.UtcDateTime <= LatestTime;
        time = ok ? parsed.UtcDateTime : null;
        return ok;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>The role an identity needs to read <c>/metrics</c> over HTTPS (with the hosting organization).</summary>
    public const string OperatorRole = Operators.Role;

    public static readonly string MetricsRefused = Operators.Refused("metrics and federation links");

    /// <summary>
    /// One caller's view of history: the access decision on each stored event's label (the last
    /// word on what the store's filter let through). Denials are not counted: the store's filter
    /// keeps most hidden rows from being read at all, and a count per request would mirror the
    /// caller's query to whoever reads the metrics.
    /// </summary>
    private sealed class AccessView(Principal caller, LabelPolicy labels, Principal node)
    {
        public bool Admits(StoredEvent stored) => AccessControl.Permits(caller, labels.ReadStored(stored.Event, node));

        public EventJson Json(StoredEvent stored) => EventJson.From(stored, labels.ReadStored(stored.Event, node));
    }
}
