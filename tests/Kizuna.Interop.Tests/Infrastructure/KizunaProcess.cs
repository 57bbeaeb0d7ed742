using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>Files written by <c>kizuna certs client</c>, and the identity the certificate carries.</summary>
public sealed record ClientCertificate(string Name, string CertificatePem, string KeyPem, string CaPem, string Pkcs12, ClientIdentity Identity);

/// <summary>What <c>kizuna certs client</c> is asked to put in a certificate: organization, nation, clearance, role.</summary>
public sealed record ClientIdentity(string Organization, string Nation, string Clearance, string Role = "operator")
{
    /// <summary>JSDF Joint Operations Command, Japan.</summary>
    public static ClientIdentity Jjoc(string clearance = "SECRET") => new("JJOC", "JPN", clearance);

    /// <summary>US Forces Japan.</summary>
    public static ClientIdentity Usfj(string clearance = "SECRET") => new("USFJ", "USA", clearance);

    /// <summary>ROK Joint Chiefs of Staff.</summary>
    public static ClientIdentity RokJcs(string clearance = "SECRET") => new("ROK-JCS", "KOR", clearance);

    /// <summary>The sensor feed of the J/FPS-5 radars (JASDF Air Defense Command, their operator in the sensor catalog).</summary>
    public static ClientIdentity JapanRadarFeed() => new("JASDF-ADC", "JPN", "SECRET", "sensor-feed");
}

/// <summary>
/// One real Kizuna node, started as a child process (<c>dotnet kizuna.dll serve</c>) in a
/// temporary data directory on free loopback ports, and stopped on dispose. Client
/// certificates are issued by the node's own CLI before it starts.
/// </summary>
public sealed class KizunaProcess : IAsyncLifetime
{
    /// <summary>Bound on the node's start (a cold start compiles and opens SQLite).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Certificates issued before the node starts, with explicit identities; tests ask for them
    /// by name. The JJOC ones are the general-purpose clients; usfj and rok are the foreign
    /// nations' clients for the label tests.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, ClientIdentity Identity)> PreissuedClients =
    [
        ("alpha", ClientIdentity.Jjoc()),
        ("bravo", ClientIdentity.Jjoc()),
        ("charlie", ClientIdentity.Jjoc()),
        ("delta", ClientIdentity.Jjoc()),
        ("echo", ClientIdentity.Jjoc()),
        ("foxtrot", ClientIdentity.Jjoc()),
        ("golf", ClientIdentity.Jjoc("CONFIDENTIAL")),
        ("usfj", ClientIdentity.Usfj()),
        ("rok", ClientIdentity.RokJcs()),
        ("sado-feed", ClientIdentity.JapanRadarFeed()),
    ];

    private readonly Dictionary<string, ClientCertificate> _certificates = new(StringComparer.Ordinal);
    private ChildProcess? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kizuna-interop-" + Guid.NewGuid().ToString("N")[..12]);

    public int CotTcpPort { get; private set; }
    public int CotTlsPort { get; private set; }
    public int HttpPort { get; private set; }
    public int HttpsPort { get; private set; }

    /// <summary>TAK certificate enrollment (<c>--enroll</c>): HTTPS, no client certificate.</summary>
    public int EnrollPort { get; private set; }

    /// <summary>Plain HTTP: health and metrics only; the API answers 401 here.</summary>
    public Uri HttpBase => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>HTTPS: the API, for a caller with a client certificate.</summary>
    public Uri HttpsBase => new($"https://127.0.0.1:{HttpsPort}/");

    /// <summary>The node's CA certificate (certs/ca.pem in its data directory).</summary>
    public string CaPem => Path.Combine(DataDirectory, "certs", "ca.pem");

    /// <summary>The node's process, for its output in failure messages.</summary>
    public ChildProcess Process => _process ?? throw new InvalidOperationException("The node has not started.");

    public ClientCertificate Client(string name) =>
        _certificates.TryGetValue(name, out var certificate)
            ? certificate
            : throw new InvalidOperationException($"No certificate issued for {name}; pre-issued: {string.Join(", ", PreissuedClients.Select(c => c.Name))}.");

    public async Task InitializeAsync()
    {
        InteropPaths.RequireNodeModules();
        if (!File.Exists(InteropPaths.KizunaDll))
        {
            throw new InvalidOperationException($"{InteropPaths.KizunaDll} is missing: build tests/Kizuna.Interop.Tests.");
        }

        Directory.CreateDirectory(DataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the node refuses a data directory other users can read
        }
        // One at a time: the first creates the CA, and each appends to the CA's registry file.
        foreach (var (name, identity) in PreissuedClients)
        {
            _certificates[name] = await IssueClientCertificateAsync(name, identity);
        }

        (CotTcpPort, CotTlsPort, HttpPort, HttpsPort, EnrollPort) = FreePorts();
        _process = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [
                InteropPaths.KizunaDll, "serve",
                "--data-dir", DataDirectory,
                "--cot-tcp", $"127.0.0.1:{CotTcpPort}",
                "--cot-tls", $"127.0.0.1:{CotTlsPort}",
                "--http", $"127.0.0.1:{HttpPort}",
                "--https", $"127.0.0.1:{HttpsPort}",
                "--enroll", $"127.0.0.1:{EnrollPort}",
            ],
            DataDirectory);
        await _process.WaitForLineAsync(line => line.Contains("Node ready", StringComparison.Ordinal), StartTimeout, "\"Node ready\" line");
    }

    /// <summary>Runs <c>kizuna certs client</c> against this node's data directory, with an explicit identity.</summary>
    public async Task<ClientCertificate> IssueClientCertificateAsync(string name, ClientIdentity identity)
    {
        var outDir = Path.Combine(DataDirectory, "issued", name);
        Directory.CreateDirectory(outDir);
        await using var certs = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [
                InteropPaths.KizunaDll, "certs", "client", "--name", name, "--out", outDir, "--data-dir", DataDirectory,
                "--org", identity.Organization, "--nation", identity.Nation,
                "--clearance", identity.Clearance, "--role", identity.Role,
            ],
            DataDirectory);
        var code = await certs.WaitForExitAsync(StartTimeout);
        var certificate = new ClientCertificate(
            name,
            Path.Combine(outDir, "client.pem"),
            Path.Combine(outDir, "client.key"),
            Path.Combine(outDir, "ca.pem"),
            Path.Combine(outDir, "client.p12"),
            identity);
        if (code != 0)
        {
            throw certs.Failure($"exited with code {code}");
        }

        foreach (var file in new[] { certificate.CertificatePem, certificate.KeyPem, certificate.CaPem })
        {
            if (!File.Exists(file))
            {
                throw certs.Failure($"did not write {file}");
            }
        }

        return certificate;
    }

    /// <summary>Runs <c>kizuna certs enroll-token</c> against this node's data directory; returns the one-time password it printed.</summary>
    public async Task<string> IssueEnrollmentTokenAsync(string name, ClientIdentity identity, string valid = "15m")
    {
        await using var certs = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [
                InteropPaths.KizunaDll, "certs", "enroll-token", "--name", name, "--data-dir", DataDirectory,
                "--org", identity.Organization, "--nation", identity.Nation,
                "--clearance", identity.Clearance, "--role", identity.Role, "--valid", valid, "--host", "127.0.0.1",
            ],
            DataDirectory);
        var code = await certs.WaitForExitAsync(StartTimeout);
        if (code != 0)
        {
            throw certs.Failure($"exited with code {code}");
        }

        var line = certs.StandardOutputLines.FirstOrDefault(l => l.TrimStart().StartsWith("password", StringComparison.Ordinal))
            ?? throw certs.Failure("printed no password line");
        return line.Trim()["password".Length..].Trim();
    }

    /// <summary>Arguments for tak-client.mjs that connect with a certificate issued by this node.</summary>
    public string[] TakClientArguments(ClientCertificate certificate) =>
    [
        "--host", "127.0.0.1",
        "--port", CotTlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--cert", certificate.CertificatePem,
        "--key", certificate.KeyPem,
        "--ca", certificate.CaPem,
    ];

    /// <summary>
    /// An HTTPS client of the node's API that presents <paramref name="certificate"/> and trusts
    /// the server only when its certificate chains to the node's ca.pem and names 127.0.0.1.
    /// </summary>
    public HttpClient CreateHttpsClient(ClientCertificate certificate)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(CaPem);
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, server, _, errors) =>
            {
                // The name must match; only the chain is judged here, against the node's CA alone.
                if (server is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(server);
            },
        };
        using var pem = X509Certificate2.CreateFromPemFile(certificate.CertificatePem, certificate.KeyPem);
        // An ephemeral PEM key cannot sign a TLS handshake on every platform; a PKCS#12 round trip can.
        handler.ClientCertificates.Add(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = HttpsBase, Timeout = NodeScript.NetworkTimeout };
    }

    /// <summary>A plain HTTP client of the node: health and metrics, and 401 for the API.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = HttpBase, Timeout = NodeScript.NetworkTimeout };

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static (int, int, int, int, int) FreePorts()
    {
        // Hold all five at once so they differ, then release them for the node.
        var listeners = Enumerable.Range(0, 5).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2], ports[3], ports[4]);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
