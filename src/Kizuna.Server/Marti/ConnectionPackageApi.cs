using System.Text.Json.Serialization;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Server.Api;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Marti;

/// <summary>What the console sends to make a connection package: the holder's identity and where clients connect.</summary>
public sealed record ConnectionPackageRequestJson(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("organization")] string? Organization,
    [property: JsonPropertyName("nation")] string? Nation,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("clearance")] string? Clearance,
    [property: JsonPropertyName("host")] string? Host,
    [property: JsonPropertyName("port")] int? Port,
    [property: JsonPropertyName("itak")] bool? Itak);

[JsonSerializable(typeof(ConnectionPackageRequestJson))]
internal sealed partial class ConnectionPackageJsonContext : JsonSerializerContext;

/// <summary>
/// <c>POST /api/connection-packages</c>: the console's way for an operator to do what
/// <c>kizuna certs package</c> does: issue a client certificate for an identity the profile allows
/// and answer the connection package (the zip ATAK and WinTAK import; <c>itak</c>: iTAK's flat zip).
/// Only an identity of the hosting organization with the role <c>node-operator</c> may (its
/// certificate, or a console session signed in as it; a caller on loopback without one may not:
/// this issues identities). Each package is logged (4620) with the operator and the holder.
/// </summary>
public static class ConnectionPackageApi
{
    public const string Path = "/api/connection-packages";

    public static void MapConnectionPackageApi(this WebApplication app)
    {
        app.MapPost(Path, async (HttpContext context, LabelPolicy labels, NodeIdentity node, NodeCertificateAuthority authority, ILogger<MartiSync> logger) =>
        {
            var caller = Caller.Of(context);
            if (!string.Equals(caller.Role, Operators.Role, StringComparison.Ordinal) || !string.Equals(caller.Organization, node.Principal.Organization, StringComparison.Ordinal))
            {
                var reason = $"connection packages are made only by the node's operators: an identity of {node.Principal.Organization} issued with `kizuna certs client --role {Operators.Role}`";
                ServerLog.ConnectionPackageRefused(logger, caller.Name, reason);
                return Results.Json(new ErrorJson(reason), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden);
            }

            ConnectionPackageRequestJson? request;
            try
            {
                request = await context.Request.ReadFromJsonAsync(ConnectionPackageJsonContext.Default.ConnectionPackageRequestJson, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
            {
                request = null;
            }

            if (!TryClaims(request, labels, out var claims, out var host, out var port, out var problem))
            {
                ServerLog.ConnectionPackageRefused(logger, caller.Name, problem);
                return Results.BadRequest(new ErrorJson(problem));
            }

            using var zip = new MemoryStream();
            try
            {
                ConnectionPackage.Build(authority, claims, labels.PolicyId, host, port, zip, flat: request!.Itak == true);
            }
            catch (ArgumentException ex)
            {
                // The certificate authority's own check of the name (characters a subject may not hold, length).
                ServerLog.ConnectionPackageRefused(logger, caller.Name, "name: " + ex.Message);
                return Results.BadRequest(new ErrorJson("name: " + ex.Message));
            }

            ServerLog.ConnectionPackageIssued(logger, caller.Name, claims.Name, claims.Nation, claims.Organization, claims.Role, claims.Clearance, host, port);
            context.Response.Headers.CacheControl = "no-store";
            return Results.File(zip.ToArray(), "application/zip", $"kizuna-{ConnectionPackage.ClientStoreFile(claims.Name)[..^4]}{(request!.Itak == true ? "-itak" : string.Empty)}.zip");
        });
    }

    /// <summary>The same checks as <c>kizuna certs package</c>: an organization of the profile, claims it allows, a host and a port (the name is the authority's to check).</summary>
    private static bool TryClaims(ConnectionPackageRequestJson? request, LabelPolicy labels, out IdentityClaims claims, out string host, out int port, out string problem)
    {
        claims = null!;
        host = request?.Host?.Trim() ?? string.Empty;
        port = request?.Port ?? 8089;
        problem = string.Empty;
        if (request is null)
        {
            problem = "the body is a JSON object: name, organization, host, and optionally nation, role, clearance, port, itak";
            return false;
        }

        if (labels.Profile.FindOrganization(request.Organization ?? string.Empty) is not { } organization)
        {
            problem = $"organization: '{request.Organization}' is not an organization of the alliance profile";
            return false;
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            problem = $"host: '{host}' is not a host name or IP address";
            return false;
        }

        if (port is < 1 or > 65535)
        {
            problem = $"port: {port} is not a port";
            return false;
        }

        var nation = request.Nation?.Trim().ToUpperInvariant() ?? (organization.IsCombined ? null : organization.Nation);
        if (nation is null)
        {
            problem = $"nation: {organization.Id} is a combined command of {string.Join(", ", organization.Nations)}; say which nation the holder belongs to";
            return false;
        }

        claims = new IdentityClaims(request.Name?.Trim() ?? string.Empty, nation, organization.Id, request.Role?.Trim() is { Length: > 0 } role ? role : "operator",
            request.Clearance?.Trim().ToUpperInvariant() ?? organization.DefaultClassification, []);
        if (!labels.TryCreatePrincipal(claims, out _, out var reason)
            || !SensorAuthority.TryCheckAuthorizations(claims.Authorizations, claims.Role, SensorCatalog.LoadDefault(), out reason))
        {
            problem = reason;
            return false;
        }

        return true;
    }
}
