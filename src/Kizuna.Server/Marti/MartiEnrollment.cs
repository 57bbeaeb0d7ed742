using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Marti;

/// <summary>
/// TAK certificate enrollment on the <c>--enroll</c> listener (8446 is customary): TLS with the
/// node's server certificate and no client certificate, HTTP Basic with a user name and a one-time
/// password from <c>kizuna certs enroll-token</c>. The certificate issued carries the identity the
/// token was issued for; of the signing request only its public key is used. Every refusal is
/// logged with its reason (4601) and answered with a status and the reason; attempts are limited per address.
/// </summary>
public static class MartiEnrollment
{
    public const string ConfigPath = "/Marti/api/tls/config";
    public const string SignPath = "/Marti/api/tls/signClient/v2";
    public const string LegacySignPath = "/Marti/api/tls/signClient";
    public const string ProfilePath = "/Marti/api/tls/profile/enrollment";
    private const string Prefix = "/Marti/api/tls/";
    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// On the enrollment listener only the enrollment endpoints answer (everything else 404); on
    /// every other listener the enrollment endpoints do not exist.
    /// </summary>
    public static void UseEnrollmentGate(this WebApplication app, Func<IPEndPoint?> enrollEndpoint)
    {
        app.Use(async (context, next) =>
        {
            var onEnroll = enrollEndpoint() is { } enroll && context.Connection.LocalPort == enroll.Port;
            var isEnrollment = context.Request.Path.StartsWithSegments(Prefix.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
            if (onEnroll != isEnrollment)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    public static void MapMartiEnrollment(this WebApplication app)
    {
        app.MapGet(ConfigPath, (LabelPolicy labels, NodeIdentity node) =>
            Results.Text(CertificateConfig(node.Principal.Organization), "application/xml", Encoding.UTF8)).AllowAnonymous();

        // TAK Server answers 204 when no enrollment profile is configured; Kizuna configures none.
        app.MapGet(ProfilePath, () => Results.NoContent()).AllowAnonymous();

        app.MapPost(SignPath, SignAsync).AllowAnonymous();
        app.MapPost(LegacySignPath, SignAsync).AllowAnonymous();
    }

    /// <summary>The name entries a signing request should carry (as TAK Server's <c>certificateConfig</c>); Kizuna ignores them when it signs.</summary>
    public static string CertificateConfig(string organization)
        => "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
           + "<ns2:certificateConfig xmlns=\"http://bbn.com/marti/xml/config\" xmlns:ns2=\"com.bbn.marti.config\">"
           + "<nameEntries><nameEntry name=\"O\" value=\"Kizuna\"/>"
           + $"<nameEntry name=\"OU\" value=\"{System.Security.SecurityElement.Escape(organization)}\"/></nameEntries>"
           + "</ns2:certificateConfig>";

    private static async Task SignAsync(HttpContext context, EnrollmentTokens tokens, EnrollmentAttempts attempts, NodeCertificateAuthority authority,
        LabelPolicy labels, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Kizuna.Server.Enrollment");
        var remote = context.Connection.RemoteIpAddress;
        var remoteText = $"{remote}:{context.Connection.RemotePort}";
        var user = "(none)";

        async Task Refuse(int status, string reason, string logged)
        {
            ServerLog.EnrollmentRefused(logger, remoteText, user, logged);
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"Kizuna enrollment\"";
            }

            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(reason, context.RequestAborted).ConfigureAwait(false);
        }

        if (!attempts.TryAttempt(remote))
        {
            ServerLog.EnrollmentRateLimited(logger, remoteText, attempts.Max, attempts.Window.TotalMinutes);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = ((int)attempts.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync("too many enrollment attempts from this address; try again later", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (!TryReadBasic(context.Request.Headers.Authorization.ToString(), out var name, out var password))
        {
            await Refuse(StatusCodes.Status401Unauthorized, "enrollment needs HTTP Basic authentication: the user name and one-time password from `kizuna certs enroll-token`",
                "no HTTP Basic credentials").ConfigureAwait(false);
            return;
        }

        user = name;
        string body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            await Refuse(StatusCodes.Status413PayloadTooLarge, ex.Message, ex.Message).ConfigureAwait(false);
            return;
        }

        if (!NodeCertificateAuthority.TryReadSigningRequest(body, out var publicKey, out var csrProblem))
        {
            await Refuse(StatusCodes.Status400BadRequest, csrProblem, csrProblem).ConfigureAwait(false);
            return;
        }

        if (!tokens.TryConsume(name, password, out var token, out var tokenProblem))
        {
            // The client learns only that the credentials do not enroll; the log says why.
            await Refuse(StatusCodes.Status401Unauthorized, "the user name and one-time password do not enroll (wrong, used or expired): ask the operator for a new token",
                tokenProblem).ConfigureAwait(false);
            return;
        }

        var claims = token.Claims;
        if (!labels.TryCreatePrincipal(claims, out var principal, out var claimProblem))
        {
            await Refuse(StatusCodes.Status403Forbidden, "the identity of this token no longer fits the alliance profile: ask the operator for a new token",
                $"the token's identity no longer fits the alliance profile: {claimProblem}").ConfigureAwait(false);
            return;
        }

        using X509Certificate2 certificate = authority.IssueClientForKey(claims, labels.PolicyId, publicKey);
        var clientUid = context.Request.Query["clientUid"].ToString();
        context.RecordNational(Kizuna.Core.Audit.AuditActs.CertificateIssued, principal, $"{certificate.SerialNumber} to {claims.Name} (enrollment)");
        ServerLog.EnrollmentIssued(logger, claims.Name, principal.Nation, principal.Organization, principal.Role, principal.Clearance, remoteText, certificate.SerialNumber,
            clientUid.Length == 0 ? "(none)" : clientUid[..Math.Min(clientUid.Length, 128)]);

        var signed = PemBody(certificate.RawData);
        var ca = PemBody(authority.CaCertificate.RawData);
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/xml", StringComparison.OrdinalIgnoreCase) && !accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync(
                $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><enrollment><signedCert>{signed}</signedCert><ca>{ca}</ca></enrollment>",
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Exactly application/json: node-tak parses the body as JSON only then.
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("signedCert", signed);
            json.WriteString("ca0", ca);
            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Base64 DER in 64-character lines, without the PEM armour (as TAK Server answers).</summary>
    public static string PemBody(byte[] der)
    {
        var b64 = Convert.ToBase64String(der);
        var sb = new StringBuilder();
        for (var i = 0; i < b64.Length; i += 64)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }

            sb.Append(b64, i, Math.Min(64, b64.Length - i));
        }

        return sb.ToString();
    }

    public static bool TryReadBasic(string header, out string name, out string password)
    {
        name = password = string.Empty;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == decoded.Length - 1)
        {
            return false;
        }

        name = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new InvalidDataException($"the signing request body is larger than {MaxBodyBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new InvalidDataException($"the signing request body is larger than {MaxBodyBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.ASCII.GetString(buffer.ToArray());
    }
}
