using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Sessions;
using Kizuna.Server.Cli;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Kizuna.Server.Hosting;

/// <summary>
/// Adapts a Kestrel connection (plain TCP, or TLS with a verified client certificate) to the
/// core's <see cref="CotConnection"/>. A TLS client is the principal its certificate names; the
/// plain listener has no identity, so its clients are anonymous members of the hosting
/// organization, at its default classification and releasing to its nation only.
/// </summary>
public sealed class CotConnectionHandler(
    CotConnection connection,
    ClientAuthenticator authenticator,
    LabelPolicy labels,
    NodeSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<CotConnectionHandler> logger) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext context)
    {
        var remote = context.RemoteEndPoint?.ToString() ?? "unknown";
        var certificate = context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
        if (certificate is null)
        {
            return connection.RunAsync(context.Transport, labels.Anonymous(settings.NodeOrg, "tcp:" + remote), remote, "cot-tcp", lifetime.ApplicationStopping);
        }

        // The handshake already checked it; a revocation in between still counts.
        if (!authenticator.TryAuthenticate(certificate, out var principal, out var reason))
        {
            ServerLog.ConnectionRefused(logger, remote, reason);
            context.Abort();
            return Task.CompletedTask;
        }

        return connection.RunAsync(context.Transport, principal, remote, "cot-tls", lifetime.ApplicationStopping);
    }
}
