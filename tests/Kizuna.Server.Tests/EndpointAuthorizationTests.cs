using System.Net;
using System.Net.Http.Json;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Server.Tests;

/// <summary>
/// Authorization is required by default: the walk below calls every endpoint the node maps, with
/// no identity, so an endpoint added without thought is found closed (or, if someone marked it
/// anonymous, found on a list that must be changed on purpose).
/// </summary>
public sealed class EndpointAuthorizationTests
{
    /// <summary>The endpoints anyone may call, each for a reason written beside it.</summary>
    private static readonly string[] ExpectedAnonymous =
    [
        "GET /healthz", // counts and "ok": what a load balancer asks
        "GET /api/cap", // public warnings (CAP) are for everyone
        "GET /api/cap/{file}",
        "GET /", // the console's page (the placeholder when it is not built; otherwise static files)
        "GET /console/sign-in", // how a browser comes to have an identity
        "POST /console/sign-out", // must work for a session that has already ended
        "GET /Marti/api/version", // TAK clients poll it before they have a certificate
        "GET /Marti/api/version/config",
        // Enrollment (served only on its own --enroll listener): HTTP Basic with a one-time password is checked inside.
        "GET /Marti/api/tls/config",
        "GET /Marti/api/tls/profile/enrollment",
        "POST /Marti/api/tls/signClient/v2",
        "POST /Marti/api/tls/signClient",
        // The federation service (each of its methods, and gRPC's answers for unknown ones): its
        // peers are authenticated in the TLS handshake of its own listener, by federation trust.
        FederationService,
    ];

    private const string FederationService = "the federation service (gRPC)";

    [Fact]
    public async Task Every_endpoint_not_marked_anonymous_refuses_a_caller_without_identity_and_the_anonymous_ones_are_exactly_the_expected_set()
    {
        var emptyConsole = Directory.CreateTempSubdirectory("kizuna-no-console-");
        await using var node = await TestNode.StartAsync(metricsLoopback: false, federation: true, consoleDir: emptyConsole.FullName);
        var endpoints = node.Node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);

        var anonymous = new List<string>();
        var open = new List<string>();
        using var plain = node.CreateHttpClient();
        using var anonymousTls = node.CreateHttpsClient(files: null);
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                var name = IsFederationService(endpoint.RoutePattern) ? FederationService : $"{method} {endpoint.RoutePattern.RawText}";
                if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
                {
                    anonymous.Add(name);
                    continue;
                }

                foreach (var http in new[] { plain, anonymousTls })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), PathOf(endpoint.RoutePattern));
                    using var response = await http.SendAsync(request);
                    if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
                    {
                        open.Add($"{name} over {http.BaseAddress!.Scheme} answered {(int)response.StatusCode}");
                    }
                }
            }
        }

        Assert.True(open.Count == 0, "open to a caller without identity: " + string.Join("; ", open));
        var unexpected = anonymous.Distinct().Except(ExpectedAnonymous, StringComparer.Ordinal).ToList();
        var missing = ExpectedAnonymous.Except(anonymous, StringComparer.Ordinal).ToList();
        Assert.True(unexpected.Count == 0 && missing.Count == 0, $"marked anonymous but not expected: [{string.Join(", ", unexpected)}]; expected anonymous but not: [{string.Join(", ", missing)}]");
    }

    [Fact]
    public async Task A_refused_api_caller_is_told_in_json_how_to_identify()
    {
        await using var node = await TestNode.StartAsync();
        using var plain = node.CreateHttpClient();
        using var response = await plain.GetAsync(new Uri("/api/no-such-endpoint", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ErrorJson);
        Assert.Equal(Caller.NeedsIdentity, error!.Error);
    }

    private static bool IsFederationService(RoutePattern pattern)
        => pattern.RawText is { } text
           && (text.StartsWith("/com.atakmap.FederatedChannel/", StringComparison.Ordinal) || text.StartsWith("/{unimplementedService}/", StringComparison.Ordinal));

    /// <summary>A concrete path for a route pattern: each parameter becomes "x".</summary>
    private static Uri PathOf(RoutePattern pattern)
        => new("/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "x",
        })))), UriKind.Relative);
}
