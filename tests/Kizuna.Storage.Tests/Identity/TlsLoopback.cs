using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Identity;

namespace Kizuna.Storage.Tests.Identity;

/// <summary>
/// A TLS server and client over a loopback TcpListener: the server presents the node's
/// certificate, requires a client certificate and judges it with <see cref="NodeCertificateAuthority.ValidateClient"/>;
/// after the handshake the client sends one byte and the server echoes it. Every step is bounded
/// by one timeout; nothing sleeps.
/// </summary>
internal static class TlsLoopback
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public sealed record Result(bool ServerAccepted, string? ServerReason, string? ClientIdentity, bool ClientExchangedData);

    public static async Task<Result> HandshakeAsync(NodeCertificateAuthority authority, X509Certificate2 clientCertificate)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var server = RunServerAsync(listener, authority, timeout.Token);
            var exchanged = await RunClientAsync(port, authority, clientCertificate, timeout.Token);
            var (accepted, reason, identity) = await server;
            return new Result(accepted, reason, identity, exchanged);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<(bool Accepted, string? Reason, string? Identity)> RunServerAsync(
        TcpListener listener, NodeCertificateAuthority authority, CancellationToken cancellationToken)
    {
        using var connection = await listener.AcceptTcpClientAsync(cancellationToken);
        await using var tls = new SslStream(connection.GetStream());
        string? reason = null;
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = authority.ServerCertificate,
                ClientCertificateRequired = true,
                // The system trust store has no say: only the node CA counts.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        reason = "no client certificate";
                        return false;
                    }
                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return authority.ValidateClient(presented, out reason);
                },
            }, cancellationToken);
        }
        catch (AuthenticationException)
        {
            return (false, reason, null);
        }

        using var remote = X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
        var buffer = new byte[1];
        await tls.ReadExactlyAsync(buffer, cancellationToken);
        await tls.WriteAsync(buffer, cancellationToken);
        await tls.FlushAsync(cancellationToken);
        return (true, reason, NodeCertificateAuthority.IdentityOf(remote));
    }

    /// <summary>True when the client completed the handshake and got its byte echoed.</summary>
    private static async Task<bool> RunClientAsync(int port, NodeCertificateAuthority authority, X509Certificate2 clientCertificate, CancellationToken cancellationToken)
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        await using var tls = new SslStream(connection.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [clientCertificate],
                // Offer the certificate even when the server's list of acceptable CAs does not name
                // its issuer, so that the server, not the client, decides.
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsNodeServer(authority, certificate, errors),
            }, cancellationToken);

            // With TLS 1.3 the client finishes before the server has judged its certificate;
            // a refusal shows up here as a closed or reset connection.
            await tls.WriteAsync(new byte[] { 42 }, cancellationToken);
            await tls.FlushAsync(cancellationToken);
            var buffer = new byte[1];
            await tls.ReadExactlyAsync(buffer, cancellationToken);
            return buffer[0] == 42;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return false;
        }
    }

    private static bool IsNodeServer(NodeCertificateAuthority authority, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority.CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }
}
