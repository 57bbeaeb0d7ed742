using System.Text;
using System.Text.Json.Serialization;
using Kizuna.Core.Identity;
using Kizuna.Server.Api;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Marti;

/// <summary>An empty Marti list (groups, missions).</summary>
public sealed record MartiEmpty;

/// <summary>TAK Server's video list answer, with no feeds.</summary>
public sealed record MartiVideoJson([property: JsonPropertyName("videoConnections")] IReadOnlyList<MartiEmpty> VideoConnections);

[JsonSerializable(typeof(MartiResponse<List<MartiEmpty>>))]
[JsonSerializable(typeof(MartiResponse<bool>))]
[JsonSerializable(typeof(MartiVideoJson))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class MartiPollJsonContext : JsonSerializerContext;

/// <summary>
/// What ATAK, WinTAK and iTAK ask the HTTPS port for when they connect, beyond the version and the
/// contacts (<see cref="MartiApi"/>), answered as TAK Server answers a server that has none of it:
/// no device profile for this connection (204), no groups (Kizuna filters by label, not by group),
/// no missions, no video feeds. Each needs the caller's identity; a 404 here made clients log
/// errors and retry on every connect.
/// </summary>
public static class MartiPolls
{
    public const string ConnectionProfilePath = "/Marti/api/device/profile/connection";

    public static void MapMartiPolls(this WebApplication app)
    {
        // TAK Server and goatak answer 204 when no device profile applies to the connecting client.
        app.MapGet(ConnectionProfilePath, (HttpContext context, ILogger<MartiSync> logger) =>
        {
            ServerLog.NothingToPoll(logger, Caller.Of(context).Name, context.Request.Path, StatusCodes.Status204NoContent);
            return Results.NoContent();
        });

        app.MapGet("/Marti/api/groups/all", (NodeCertificateAuthority authority) =>
            Results.Json(new MartiResponse<List<MartiEmpty>>(MartiApi.ApiVersion, "com.bbn.marti.remote.groups.Group", [], MartiApi.NodeId(authority)),
                MartiPollJsonContext.Default.MartiResponseListMartiEmpty, contentType: "application/json"));

        app.MapGet("/Marti/api/groups/groupCacheEnabled", (NodeCertificateAuthority authority) =>
            Results.Json(new MartiResponse<bool>(MartiApi.ApiVersion, "java.lang.Boolean", false, MartiApi.NodeId(authority)),
                MartiPollJsonContext.Default.MartiResponseBoolean, contentType: "application/json"));

        app.MapGet("/Marti/api/util/user/roles", () => Results.Json(new[] { "user" }, MartiPollJsonContext.Default.StringArray, contentType: "application/json"));

        app.MapGet("/Marti/api/missions", (NodeCertificateAuthority authority) =>
            Results.Json(new MartiResponse<List<MartiEmpty>>(MartiApi.ApiVersion, "Mission", [], MartiApi.NodeId(authority)),
                MartiPollJsonContext.Default.MartiResponseListMartiEmpty, contentType: "application/json"));

        app.MapGet("/Marti/vcm", () => Results.Text("<videoConnections/>", "application/xml", Encoding.UTF8));

        app.MapGet("/Marti/api/video", () => Results.Json(new MartiVideoJson([]), MartiPollJsonContext.Default.MartiVideoJson, contentType: "application/json"));
    }
}
