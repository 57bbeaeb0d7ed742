using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Kizuna.Core.Identity;
using Kizuna.Core.Routing;
using Kizuna.Server.Api;

namespace Kizuna.Server.Marti;

/// <summary>TAK Server's answer envelope: <c>{"version":"3","type":...,"data":...,"nodeId":...}</c>.</summary>
public sealed record MartiResponse<T>(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] T Data,
    [property: JsonPropertyName("nodeId")] string NodeId);

public sealed record MartiServerConfig(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("hostname")] string Hostname);

public sealed record MartiClientEndpoint(
    [property: JsonPropertyName("callsign")] string Callsign,
    [property: JsonPropertyName("uid")] string Uid,
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("lastEventTime")] string LastEventTime,
    [property: JsonPropertyName("lastStatus")] string LastStatus);

[JsonSerializable(typeof(MartiResponse<MartiServerConfig>))]
[JsonSerializable(typeof(MartiResponse<List<MartiClientEndpoint>>))]
internal sealed partial class MartiJsonContext : JsonSerializerContext;

/// <summary>
/// The endpoints TAK clients poll on the HTTPS port: the server's version (anyone may ask, as of
/// TAK Server) and the contacts the caller may see (the access decision on the latest state).
/// </summary>
public static class MartiApi
{
    public const string ApiVersion = "3";

    public static string Version { get; } = "Kizuna " + (typeof(MartiApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <summary>A stable id for this node: from its CA certificate, the same until the CA is replaced.</summary>
    public static string NodeId(NodeCertificateAuthority authority)
        => Convert.ToHexStringLower(SHA256.HashData(authority.CaCertificate.RawData))[..32];

    public static void MapMartiApi(this WebApplication app)
    {
        app.MapGet("/Marti/api/version", () => Results.Text(Version, "text/plain", System.Text.Encoding.UTF8)).AllowAnonymous();

        app.MapGet("/Marti/api/version/config", (HttpContext context, NodeCertificateAuthority authority) =>
            Results.Json(
                new MartiResponse<MartiServerConfig>(ApiVersion, "ServerConfig", new MartiServerConfig(Version, ApiVersion, context.Request.Host.Host), NodeId(authority)),
                MartiJsonContext.Default.MartiResponseMartiServerConfig)).AllowAnonymous();

        // The contacts: the newest non-stale version of every uid the caller may see that names a
        // callsign. A contact hidden from the caller is not there, nor is any sign that it is.
        app.MapGet("/Marti/api/clientEndPoints", async (HttpContext context, LatestState latest, TimeProvider time, NodeCertificateAuthority authority) =>
        {
            if (await Caller.PrincipalAsync(context).ConfigureAwait(false) is not { } caller)
            {
                return Caller.Unauthorized();
            }

            var contacts = new List<MartiClientEndpoint>();
            foreach (var shared in latest.Snapshot(time.GetUtcNow().UtcDateTime, caller, out _))
            {
                if (shared.Event.Detail.ContactCallsign is not { Length: > 0 } callsign || !shared.Event.Type.StartsWith("a-", StringComparison.Ordinal))
                {
                    continue;
                }

                contacts.Add(new MartiClientEndpoint(callsign, shared.Event.Uid, shared.Sender,
                    shared.ReceivedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), "Connected"));
            }

            return Results.Json(
                new MartiResponse<List<MartiClientEndpoint>>(ApiVersion, "com.bbn.marti.remote.ClientEndpoint", contacts, NodeId(authority)),
                MartiJsonContext.Default.MartiResponseListMartiClientEndpoint);
        });
    }
}
