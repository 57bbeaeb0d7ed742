using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Server.Api;

/// <summary>
/// Who is calling the HTTP API: the principal of the client certificate presented over HTTPS.
/// Plain HTTP carries no identity, so it reaches only health and metrics; every endpoint that
/// returns events or the alliance's structure needs a principal for the access decision.
/// </summary>
public static class Caller
{
    private const string ItemKey = "kizuna.principal";

    public const string NeedsIdentity =
        "this endpoint needs an identity: call it over HTTPS (--https, default 127.0.0.1:8443) with a client certificate issued by `kizuna certs client`";

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

        context.Items[ItemKey] = principal;
        return principal;
    }

    public static IResult Unauthorized() => Results.Json(new ErrorJson(NeedsIdentity), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status401Unauthorized);
}
