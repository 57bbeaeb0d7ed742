using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>How the host plugs federation in: services, the listener's TLS, the gRPC endpoint and its port gate.</summary>
public static class FederationHosting
{
    /// <summary>gRPC paths of the service: <c>/com.atakmap.FederatedChannel/...</c>.</summary>
    public const string ServicePath = "/com.atakmap.FederatedChannel";

    /// <summary>Registers the node (built by <paramref name="create"/>), gRPC, and one dialler per <c>--federate-with</c> target.</summary>
    public static void AddKizunaFederation(this IServiceCollection services, FederationOptions options, Func<IServiceProvider, FederationNode> create)
    {
        services.AddSingleton(create);
        services.AddSingleton(sp => sp.GetRequiredService<FederationNode>().Links);
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageBytes;
            o.MaxSendMessageSize = options.MaxMessageBytes;
            o.EnableDetailedErrors = false;
        });
        for (var i = 0; i < options.FederateWith.Count; i++)
        {
            var index = i;
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<FederationNode>().Dialers[index]);
        }
    }

    /// <summary>
    /// The federation listener: HTTP/2 over TLS with the node certificate; a client certificate
    /// is required and must be a partner node's (<see cref="FederationTrust"/>), else the
    /// handshake fails and the reason is logged (4503).
    /// </summary>
    public static void UseFederationTls(this ListenOptions listen, FederationNode node)
    {
        var logger = node.Loggers.CreateLogger("Kizuna.Federation.Tls");
        listen.Protocols = HttpProtocols.Http2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = node.Certificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            ClientCertificateValidation = (certificate, _, _) =>
            {
                if (node.Trust.TryAuthenticate(certificate, asServer: false, out _, out var reason))
                {
                    return true;
                }

                FederationLog.PeerRefused(logger, certificate.Subject, reason);
                return false;
            },
        });
    }

    /// <summary>
    /// The federation port serves only the federation service, and the service is served only
    /// there (not on the HTTPS API's port, whose clients are people). Call first in the pipeline.
    /// </summary>
    public static void UseFederationPortGate(this IApplicationBuilder app, Func<IPEndPoint?> federationEndpoint)
    {
        app.Use((context, next) =>
        {
            var onFederationPort = federationEndpoint() is { } endpoint && context.Connection.LocalPort == endpoint.Port;
            var isFederationCall = context.Request.Path.StartsWithSegments(ServicePath, StringComparison.Ordinal);
            if (onFederationPort != isFederationCall)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    public static void MapKizunaFederation(this IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<FederatedChannelService>();
}
