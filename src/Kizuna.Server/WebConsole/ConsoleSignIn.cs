using System.Net;
using System.Text.Encodings.Web;
using Kizuna.Core.Identity;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.WebConsole;

/// <summary>
/// Signing a browser in without a client certificate: <c>GET /console/sign-in?token=</c> uses up a
/// one-time token from <c>kizuna console-token</c>, reads the principal from the certificate the
/// token names exactly as a TLS handshake reads it (CA, validity, revocation, identity, profile),
/// starts a console session and sets its cookie; <c>POST /console/sign-out</c> ends it. Over plain
/// HTTP only from this machine (loopback); over HTTPS from anywhere, with a Secure cookie. Both are
/// anonymous: sign-in is how an identity is had, and sign-out must work for a session already ended.
/// </summary>
public static class ConsoleSignIn
{
    public const string SignInPath = "/console/sign-in";
    public const string SignOutPath = "/console/sign-out";

    public static void MapConsoleSignIn(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Server.Console");

        app.MapGet(SignInPath, async (HttpContext context, ConsoleTokens tokens, ConsoleSessions sessions) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            var remote = context.Connection.RemoteIpAddress;
            var endpoint = $"{remote}:{context.Connection.RemotePort}";
            if (!context.Request.IsHttps && (remote is null || !IPAddress.IsLoopback(remote)))
            {
                const string reason = "sign-in over plain HTTP works only from this machine (loopback): open the link on the node's host, or use HTTPS";
                ServerLog.ConsoleSignInRefused(logger, endpoint, reason);
                return Page(StatusCodes.Status403Forbidden, "Sign-in refused", reason);
            }

            var token = context.Request.Query["token"].ToString();
            if (token.Length == 0 || token.Length > 100)
            {
                return Page(StatusCodes.Status401Unauthorized, "Sign-in refused", "the link has no token: run `./kizuna console-token --name NAME` and open the URL it prints");
            }

            if (!tokens.TryConsume(token, out var record, out var refusal))
            {
                ServerLog.ConsoleSignInRefused(logger, endpoint, refusal);
                return Page(StatusCodes.Status401Unauthorized, "Sign-in refused", refusal);
            }

            // The principal comes from the certificate itself, through the same checks as a handshake.
            var (principal, notAfter, refused) = sessions.PrincipalOf(record.Serial, record.Name);
            if (principal is null)
            {
                ServerLog.ConsoleSignInRefused(logger, endpoint, refused!);
                return Page(StatusCodes.Status401Unauthorized, "Sign-in refused", refused!);
            }

            var id = await sessions.CreateAsync(principal, notAfter, context.RequestAborted).ConfigureAwait(false);
            context.Response.Cookies.Append(ConsoleSessions.CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                Secure = context.Request.IsHttps,
                MaxAge = ConsoleSessions.Lifetime,
            });
            ServerLog.ConsoleSignedIn(logger, principal.Name, principal.Organization, endpoint);
            context.RecordNational(Kizuna.Core.Audit.AuditActs.ConsoleSignedIn, principal, endpoint);
            return Results.Redirect("/");
        }).AllowAnonymous();

        app.MapPost(SignOutPath, async (HttpContext context, ConsoleSessions sessions) =>
        {
            if (!ConsoleSessions.IsSameOrigin(context))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            if (context.Request.Cookies.TryGetValue(ConsoleSessions.CookieName, out var id) && await sessions.EndAsync(id, context.RequestAborted).ConfigureAwait(false))
            {
                ServerLog.ConsoleSignedOut(logger, $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
            }

            context.Response.Cookies.Delete(ConsoleSessions.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });
            return Results.NoContent();
        }).AllowAnonymous();
    }

    /// <summary>A small page with the reason (escaped: it may name what the user typed).</summary>
    private static IResult Page(int status, string title, string reason)
    {
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Kizuna: {HtmlEncoder.Default.Encode(title)}</title></head>
            <body><h1>{HtmlEncoder.Default.Encode(title)}</h1><p data-testid="sign-in-reason">{HtmlEncoder.Default.Encode(reason)}</p>
            <p>A sign-in link comes from <code>./kizuna console-token --name NAME</code> on the node's host; it works once, for {ConsoleTokens.Lifetime.TotalMinutes:0} minutes.</p>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
