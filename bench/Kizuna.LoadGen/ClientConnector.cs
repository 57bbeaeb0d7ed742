using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.LoadGen;

/// <summary>Client TLS material: a client certificate and the CA that the server certificate must chain to.</summary>
internal sealed class ClientTls : IDisposable
{
    private ClientTls(X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        ClientCertificate = clientCertificate;
        Ca = ca;
    }

    public X509Certificate2 ClientCertificate { get; }
    public X509Certificate2 Ca { get; }

    public static ClientTls Load(string certPath, string keyPath, string caPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        // Round-trip through PKCS#12 so the private key is usable by SslStream everywhere.
        var cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
        return new ClientTls(cert, ca);
    }

    /// <summary>Accepts the server certificate when it chains to our CA; the host name is not checked (loopback).</summary>
    public bool Validate(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreWrongUsage;
        using var serverCert = new X509Certificate2(certificate);
        return chain.Build(serverCert);
    }

    public void Dispose()
    {
        ClientCertificate.Dispose();
        Ca.Dispose();
    }
}

/// <summary>Opens one client connection (plain TCP or TLS) as a Stream, within a timeout.</summary>
internal static class ClientConnector
{
    public static async Task<Stream> ConnectAsync(IPEndPoint target, ClientTls? tls, TimeSpan timeout, CancellationToken ct)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, timeoutCts.Token).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (tls is null)
            {
                return network;
            }

            var ssl = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = target.Address.ToString(),
                    ClientCertificates = [tls.ClientCertificate],
                    EnabledSslProtocols = SslProtocols.None,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, cert, _, _) => tls.Validate(cert),
                }, timeoutCts.Token).ConfigureAwait(false);
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return ssl;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
