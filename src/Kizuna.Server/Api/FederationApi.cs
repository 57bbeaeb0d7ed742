using System.Text.Json.Serialization;
using Kizuna.Federation;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Api;

/// <summary>
/// <c>GET /api/federation</c>: this node's partner links as its operators see them (state, last
/// acknowledged position, lag in events and seconds, outbox depth, sent, acknowledged, expired and
/// withheld counts), from the registered <see cref="IFederationStatus"/>. Only for the node's
/// operators (<see cref="Operators"/>): how much flows to which partner is not for its clients.
/// </summary>
public static class FederationApi
{
    public const string Path = "/api/federation";

    public static void MapFederationApi(this WebApplication app)
    {
        app.MapGet(Path, async (HttpContext context, NodeSettings settings, NodeIdentity node) =>
            await Operators.IsOperatorAsync(context, settings, node).ConfigureAwait(false)
                ? Results.Json(Snapshot(context.RequestServices, node), FederationJsonContext.Default.FederationStatusJson)
                : Results.Json(new ErrorJson(Operators.Refused("federation links")), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden))
            .RequireAuthorization(KizunaAuthentication.Operators);
    }

    /// <summary>The document <c>GET /api/federation</c> answers.</summary>
    public static FederationStatusJson Snapshot(IServiceProvider services, NodeIdentity node)
    {
        var federation = services.GetService<FederationNode>();
        var links = services.GetService<IFederationStatus>()?.Links() ?? [];
        return new FederationStatusJson(
            federation is not null,
            federation?.NodeId,
            node.Principal.Organization,
            [.. links]);
    }
}

/// <summary>
/// This node and its links. <paramref name="Enabled"/>: federation is on (<c>--federation</c> or
/// <c>--federate-with</c>); <paramref name="NodeId"/>: this node's id, null when it is off.
/// </summary>
public sealed record FederationStatusJson(bool Enabled, string? NodeId, string Organization, List<FederationLinkStatus> Links);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FederationStatusJson))]
public sealed partial class FederationJsonContext : JsonSerializerContext;
