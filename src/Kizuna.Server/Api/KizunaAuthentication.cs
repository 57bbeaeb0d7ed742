using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;
using Kizuna.Server.WebConsole;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace Kizuna.Server.Api;

/// <summary>
/// Who may call the HTTP endpoints, as ASP.NET Core authentication schemes and authorization
/// policies. Two schemes give a caller its Kizuna <see cref="Principal"/> (carried by a
/// <see cref="KizunaIdentity"/>): the client certificate presented over HTTPS, and a signed-in
/// browser console's cookie. The fallback policy requires one of them on every endpoint, so an
/// endpoint that says nothing is closed; the public ones say <c>.AllowAnonymous()</c>, and the
/// operators' views (<c>/metrics</c>) name <see cref="Operators"/>.
/// </summary>
public static class KizunaAuthentication
{
    /// <summary>The client certificate presented in the TLS handshake (HTTPS only).</summary>
    public const string CertificateScheme = "kizuna-certificate";

    /// <summary>The browser console's session cookie (<see cref="ConsoleSessions.CookieName"/>).</summary>
    public const string ConsoleScheme = "kizuna-console";

    /// <summary>
    /// The node's operators: a loopback caller (unless <see cref="NodeSettings.MetricsLoopback"/>
    /// is off), or an identity of the hosting organization with <see cref="EventsApi.OperatorRole"/>
    /// over HTTPS. <c>.RequireAuthorization(KizunaAuthentication.Operators)</c>.
    /// </summary>
    public const string Operators = "kizuna-operators";

    public static IServiceCollection AddKizunaAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ClientCertificateHandler>(CertificateScheme, null)
            .AddScheme<AuthenticationSchemeOptions, ConsoleCookieHandler>(ConsoleScheme, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(CertificateScheme, ConsoleScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(Operators, policy => policy.AddAuthenticationSchemes(CertificateScheme, ConsoleScheme).AddRequirements(new OperatorRequirement()));
        services.AddSingleton<IAuthorizationHandler, OperatorHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalBodies>();
        return services;
    }

    /// <summary>Carries the caller's Kizuna principal; name and role are claims too, for anything generic.</summary>
    public sealed class KizunaIdentity(Principal principal, string scheme)
        : ClaimsIdentity([new Claim(ClaimTypes.Name, principal.Name), new Claim(ClaimTypes.Role, principal.Role)], scheme)
    {
        public Principal Principal { get; } = principal;
    }

    private static AuthenticateResult Success(Principal principal, string scheme)
        => AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new KizunaIdentity(principal, scheme)), scheme));

    /// <summary>The certificate is read exactly as the handshake read it (CA, validity, revocation, identity, profile).</summary>
    private sealed class ClientCertificateHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ClientAuthenticator authenticator)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.IsHttps)
            {
                return AuthenticateResult.NoResult();
            }

            var certificate = await Context.Connection.GetClientCertificateAsync(Context.RequestAborted).ConfigureAwait(false);
            if (certificate is null)
            {
                return AuthenticateResult.NoResult();
            }

            return authenticator.TryAuthenticate(certificate, out var principal, out var reason)
                ? Success(principal, Scheme.Name)
                : AuthenticateResult.Fail(reason);
        }
    }

    /// <summary>
    /// A console session's cookie, over HTTPS or plain HTTP from loopback; a cookie sent by a page of
    /// another origin (a cross-site POST or WebSocket) does not count.
    /// </summary>
    private sealed class ConsoleCookieHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ConsoleSessions sessions)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Cookies.TryGetValue(ConsoleSessions.CookieName, out var id)
                || !ConsoleSessions.TransportAllowsCookie(Context)
                || !ConsoleSessions.IsSameOrigin(Context))
            {
                return AuthenticateResult.NoResult();
            }

            return await sessions.FindAsync(id, Context.RequestAborted).ConfigureAwait(false) is { } principal
                ? Success(principal, Scheme.Name)
                : AuthenticateResult.Fail("no such console session (ended, expired or revoked)");
        }
    }

    private sealed class OperatorRequirement : IAuthorizationRequirement;

    private sealed class OperatorHandler(NodeSettings settings, NodeIdentity node) : AuthorizationHandler<OperatorRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorRequirement requirement)
        {
            if (context.Resource is HttpContext http
                && ((settings.MetricsLoopback && http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address))
                    || (http.Request.IsHttps
                        && Caller.Find(context.User) is { } caller
                        && string.Equals(caller.Role, EventsApi.OperatorRole, StringComparison.Ordinal)
                        && string.Equals(caller.Organization, node.Principal.Organization, StringComparison.Ordinal))))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// A refusal says, in JSON, how to get in: 401 with <see cref="Caller.NeedsIdentity"/> for a caller
    /// without identity, 403 with <see cref="EventsApi.MetricsRefused"/> for the operators' views.
    /// </summary>
    private sealed class RefusalBodies : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded)
            {
                return _default.HandleAsync(next, context, policy, authorizeResult);
            }

            if (policy.Requirements.OfType<OperatorRequirement>().Any())
            {
                return Results.Json(new ErrorJson(EventsApi.MetricsRefused), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
            }

            return authorizeResult.Challenged
                ? Caller.Unauthorized().ExecuteAsync(context)
                : Results.Json(new ErrorJson("this identity may not call this endpoint"), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }
    }
}
