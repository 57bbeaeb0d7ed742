using System.Security.Claims;
using Kizuna.Core.Labels;

namespace Kizuna.Server.Api;

/// <summary>
/// Who is calling the HTTP API: the principal of the client certificate presented over HTTPS,
/// or else that of a signed-in browser console (the <c>kizuna_console</c> cookie; over HTTPS, or
/// plain HTTP from loopback only). A console principal is the one its certificate gives, so every
/// access decision is the same either way. The schemes that find it, and the fallback policy that
/// makes every endpoint without <c>.AllowAnonymous()</c> require it, are in
/// <see cref="KizunaAuthentication"/>; an endpoint reads it here.
/// </summary>
public static class Caller
{
    public const string NeedsIdentity =
        "this endpoint needs an identity: call it over HTTPS (--https, default 127.0.0.1:8443) with a client certificate issued by `kizuna certs client`, "
        + "or sign the browser console in with the link `kizuna console-token --name NAME` prints";

    /// <summary>
    /// The caller of an endpoint behind the identity policy (every endpoint not marked anonymous):
    /// authorization has already refused a request without one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The endpoint is marked anonymous, so nobody checked.</exception>
    public static Principal Of(HttpContext context)
        => Find(context.User) ?? throw new InvalidOperationException($"{context.Request.Path} read its caller but is not behind the identity policy (it is marked anonymous)");

    /// <summary>The certificate's principal first, then a console session's; null without either.</summary>
    public static Principal? Find(ClaimsPrincipal user)
    {
        Principal? console = null;
        foreach (var identity in user.Identities)
        {
            if (identity is KizunaAuthentication.KizunaIdentity kizuna)
            {
                if (kizuna.AuthenticationType == KizunaAuthentication.CertificateScheme)
                {
                    return kizuna.Principal;
                }

                console ??= kizuna.Principal;
            }
        }

        return console;
    }

    /// <summary>Kept for callers written before the schemes: the same as <see cref="Find"/> on the request's user.</summary>
    public static Task<Principal?> PrincipalAsync(HttpContext context) => Task.FromResult(Find(context.User));

    public static IResult Unauthorized() => Results.Json(new ErrorJson(NeedsIdentity), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status401Unauthorized);
}
