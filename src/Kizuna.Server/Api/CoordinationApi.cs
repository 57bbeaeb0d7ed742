using System.Text.Json;
using Kizuna.Core.Coordination;

namespace Kizuna.Server.Api;

/// <summary>
/// Coordination over HTTP, for identified callers: <c>POST /api/coordination</c> opens a request
/// from the caller's organization; <c>GET /api/coordination?org=&amp;state=</c> lists the requests
/// the caller may follow; <c>GET /api/coordination/{id}</c> one with its history;
/// <c>POST /api/coordination/{id}/{ack|accept|decline|counter|complete|withdraw}</c> a
/// transition (<c>{"reason": ...}</c> to decline, <c>{"proposal": ...}</c> to counter). Every
/// decision is the desk's (<see cref="CoordinationDesk"/>); a request the caller may not see does
/// not exist for it.
/// </summary>
public static class CoordinationApi
{
    private const int MaxBody = 16 * 1024;

    public static void MapCoordinationApi(this WebApplication app)
    {
        app.MapPost("/api/coordination", async (HttpContext context, CoordinationDesk desk, CancellationToken cancellationToken) =>
        {
            var body = await ReadAsync(context, DeskJsonContext.Default.CoordinationBodyJson, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return Results.BadRequest(new ErrorJson("expected a JSON body {\"to\", \"subject\", \"text\", \"priority\", \"replyBy\", \"label\"} (Content-Type: application/json)"));
            }

            var outcome = await desk.SendAsync(Caller.Of(context), new NewCoordinationRequest(body.To, body.Subject, body.Text, body.Priority, body.ReplyBy, body.Attachments, body.Label), cancellationToken).ConfigureAwait(false);
            return outcome.Request is { } request
                ? Results.Json(request, DeskJsonContext.Default.CoordinationRequest, statusCode: StatusCodes.Status201Created)
                : Refused(outcome);
        });

        app.MapGet("/api/coordination", async (HttpContext context, CoordinationDesk desk, string? org, string? state, CancellationToken cancellationToken) =>
        {
            if (state is not null && !CoordinationStates.All.Contains(state, StringComparer.Ordinal))
            {
                return Results.BadRequest(new ErrorJson($"state is one of {string.Join(", ", CoordinationStates.All)}"));
            }

            var found = await desk.ListAsync(Caller.Of(context), string.IsNullOrEmpty(org) ? null : org, state, 500, cancellationToken).ConfigureAwait(false);
            return Results.Json(found.ToList(), DeskJsonContext.Default.ListCoordinationRequest);
        });

        app.MapGet("/api/coordination/{id}", async (string id, HttpContext context, CoordinationDesk desk, CancellationToken cancellationToken) =>
            await desk.FindAsync(Caller.Of(context), id, cancellationToken).ConfigureAwait(false) is { } request
                ? Results.Json(request, DeskJsonContext.Default.CoordinationRequest)
                : Results.NotFound(new ErrorJson($"no coordination request {id}")));

        app.MapPost("/api/coordination/{id}/{action}", async (string id, string action, HttpContext context, CoordinationDesk desk, CancellationToken cancellationToken) =>
        {
            if (!TryAction(action, out var what))
            {
                return Results.NotFound(new ErrorJson("a transition is one of ack, accept, decline, counter, complete, withdraw"));
            }

            TransitionBodyJson? body = null;
            if (context.Request.ContentLength is > 0 || context.Request.HasJsonContentType())
            {
                body = await ReadAsync(context, DeskJsonContext.Default.TransitionBodyJson, cancellationToken).ConfigureAwait(false);
                if (body is null)
                {
                    return Results.BadRequest(new ErrorJson("expected a JSON body such as {\"reason\": \"...\"} or {\"proposal\": \"...\"}, or none"));
                }
            }

            var note = body?.Reason ?? body?.Proposal ?? body?.Note;
            var outcome = await desk.ActAsync(Caller.Of(context), id, what, note, cancellationToken).ConfigureAwait(false);
            return outcome.Request is { } request ? Results.Json(request, DeskJsonContext.Default.CoordinationRequest) : Refused(outcome);
        });
    }

    private static bool TryAction(string action, out CoordinationAction what)
    {
        what = action switch
        {
            "ack" => CoordinationAction.Ack,
            "accept" => CoordinationAction.Accept,
            "decline" => CoordinationAction.Decline,
            "counter" => CoordinationAction.Counter,
            "complete" => CoordinationAction.Complete,
            "withdraw" => CoordinationAction.Withdraw,
            _ => (CoordinationAction)(-1),
        };
        return (int)what >= 0;
    }

    private static IResult Refused(CoordinationOutcome outcome) => Results.Json(
        new RefusalJson(outcome.Reason!, outcome.Refusal!.Value.ToString()),
        DeskJsonContext.Default.RefusalJson,
        statusCode: outcome.Refusal switch
        {
            CoordinationRefusal.NotFound => StatusCodes.Status404NotFound,
            CoordinationRefusal.InvalidTransition => StatusCodes.Status409Conflict,
            CoordinationRefusal.WrongOrganization or CoordinationRefusal.NoRelationship or CoordinationRefusal.NotIdentified => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status400BadRequest,
        });

    /// <summary>A small JSON body, or null when it is missing, too large or not the expected shape.</summary>
    internal static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (!context.Request.HasJsonContentType() || context.Request.ContentLength is > MaxBody)
        {
            return null;
        }

        try
        {
            return await context.Request.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The body of <c>POST /api/coordination</c>.</summary>
public sealed record CoordinationBodyJson(string? To, string? Subject, string? Text, string? Priority, DateTime? ReplyBy, IReadOnlyList<string>? Attachments, string? Label);

/// <summary>The body of a transition: a reason to decline, a proposal to counter, a note otherwise.</summary>
public sealed record TransitionBodyJson(string? Reason, string? Proposal, string? Note);

/// <summary>A refusal: the sentence, and the refusal's stable name.</summary>
public sealed record RefusalJson(string Error, string Refusal);
