using Kizuna.Core.Identity;
using Kizuna.Core.Sessions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Kizuna.Server.Hosting;

/// <summary>
/// Adapts a Kestrel connection (plain TCP, or TLS with a verified client certificate) to the
/// core's <see cref="CotConnection"/>. The certificate subject is the sender's identity; the
/// plain listener has none, so its clients are known by their endpoint.
/// </summary>
public sealed class CotConnectionHandler(CotConnection connection, IHostApplicationLifetime lifetime) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext context)
    {
        var remote = context.RemoteEndPoint?.ToString() ?? "unknown";
        var certificate = context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
        var (identity, listener) = certificate is null
            ? ("tcp:" + remote, "cot-tcp")
            : (NodeCertificateAuthority.IdentityOf(certificate), "cot-tls");
        return connection.RunAsync(context.Transport, identity, remote, listener, lifetime.ApplicationStopping);
    }
}
