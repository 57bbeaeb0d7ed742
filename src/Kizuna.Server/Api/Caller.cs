using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.WebConsole;

namespace Kizuna.Server.Api;

/// <summary>
/// Who is calling the HTTP API: the principal of the client certificate presented over HTTPS,
/// or else that of a signed-in browser console (the <c>kizuna_console</c> cookie; over HTTPS, or
/// plain HTTP from loopback only). A console principal is the one its certificate gives, so every
/// access decision is the same either way. Plain HTTP otherwise carries no identity, so it reaches
/// only health, metrics and public CAP; every endpoint that returns events or the alliance's
/// structure needs a principal for the access decision.
/// </summary>
public static class Caller
{
    private const string ItemKey = "kizuna.principal";

    public const string NeedsIdentity =
        "this endpoint needs an identity: call it over HTTPS (--https, default 127.0.0.1:8443) with a client certificate issued by `kizuna certs client`, "
        + "or sign the browser console in with the link `kizuna console-token --name NAME` prints";

    public static async Task<Principal?> PrincipalAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var cached))
        {
            return (Principal?)cached;
        }

        Principal? principal = null;
        if (context.Request.IsHttps)
        {
            var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
            var authenticator = context.RequestServices.GetRequiredService<ClientAuthenticator>();
            if (certificate is not null && authenticator.TryAuthenticate(certificate, out var found, out _))
            {
                principal = found;
            }
        }

        // The certificate first; then a console session. A cookie sent by a page of another origin
        // (a cross-site POST or WebSocket) does not count.
        if (principal is null
            && context.Request.Cookies.TryGetValue(ConsoleSessions.CookieName, out var sessionId)
            && ConsoleSessions.TransportAllowsCookie(context)
            && ConsoleSessions.IsSameOrigin(context))
        {
            principal = context.RequestServices.GetRequiredService<ConsoleSessions>().Find(sessionId);
        }

        context.Items[ItemKey] = principal;
        return principal;
    }

    public static IResult Unauthorized() => Results.Json(new ErrorJson(NeedsIdentity), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status401Unauthorized);
}
