using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Sessions;
using Kizuna.Server.Cli;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
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
    /// <summary>
    /// At most this many bytes not yet sent may wait in a CoT socket's kernel buffer (Linux
    /// <c>TCP_NOTSENT_LOWAT</c>). Without a limit the kernel grows the buffer of a client that
    /// reads slower than the picture arrives to megabytes (tcp_wmem), and a missile warning
    /// queues behind all of it; with it, the backlog stays in the connection's own queue, where
    /// the warning lane goes first and old picture updates are dropped. Why this size and what it
    /// measured: docs/dev/send-buffers.md.
    /// </summary>
    public const int UnsentBytesLimit = 256 * 1024;

    public override Task OnConnectedAsync(ConnectionContext context)
    {
        var remote = context.RemoteEndPoint?.ToString() ?? "unknown";
        LimitUnsentBytes(context);
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

    private static void LimitUnsentBytes(ConnectionContext context)
    {
        const int IpProtoTcp = 6;
        const int TcpNotSentLowat = 25;
        if (!OperatingSystem.IsLinux() || context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return;
        }

        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpNotSentLowat, BitConverter.GetBytes(UnsentBytesLimit));
        }
        catch (SocketException)
        {
            // An older kernel without the option: the default buffers still work, only slower for warnings.
        }
    }
}
