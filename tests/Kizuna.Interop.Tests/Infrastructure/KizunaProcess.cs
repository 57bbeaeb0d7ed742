using System.Net;
using System.Net.Sockets;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>Files written by <c>kizuna certs client</c>.</summary>
public sealed record ClientCertificate(string Name, string CertificatePem, string KeyPem, string CaPem, string Pkcs12);

/// <summary>
/// One real Kizuna node, started as a child process (<c>dotnet kizuna.dll serve</c>) in a
/// temporary data directory on free loopback ports, and stopped on dispose. Client
/// certificates are issued by the node's own CLI before it starts.
/// </summary>
public sealed class KizunaProcess : IAsyncLifetime
{
    /// <summary>Bound on the node's start (a cold start compiles and opens SQLite).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Certificates issued before the node starts; tests ask for them by name.</summary>
    public static readonly string[] PreissuedClients = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

    private readonly Dictionary<string, ClientCertificate> _certificates = new(StringComparer.Ordinal);
    private ChildProcess? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kizuna-interop-" + Guid.NewGuid().ToString("N")[..12]);

    public int CotTcpPort { get; private set; }
    public int CotTlsPort { get; private set; }
    public int HttpPort { get; private set; }

    public Uri HttpBase => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>The node's process, for its output in failure messages.</summary>
    public ChildProcess Process => _process ?? throw new InvalidOperationException("The node has not started.");

    public ClientCertificate Client(string name) =>
        _certificates.TryGetValue(name, out var certificate)
            ? certificate
            : throw new InvalidOperationException($"No certificate issued for {name}; pre-issued: {string.Join(", ", PreissuedClients)}.");

    public async Task InitializeAsync()
    {
        InteropPaths.RequireNodeModules();
        if (!File.Exists(InteropPaths.KizunaDll))
        {
            throw new InvalidOperationException($"{InteropPaths.KizunaDll} is missing: build tests/Kizuna.Interop.Tests.");
        }

        Directory.CreateDirectory(DataDirectory);
        foreach (var name in PreissuedClients)
        {
            _certificates[name] = await IssueClientCertificateAsync(name);
        }

        (CotTcpPort, CotTlsPort, HttpPort) = FreePorts();
        _process = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [
                InteropPaths.KizunaDll, "serve",
                "--data-dir", DataDirectory,
                "--cot-tcp", $"127.0.0.1:{CotTcpPort}",
                "--cot-tls", $"127.0.0.1:{CotTlsPort}",
                "--http", $"127.0.0.1:{HttpPort}",
                "--https", "",
            ],
            DataDirectory);
        await _process.WaitForLineAsync(line => line.Contains("Node ready", StringComparison.Ordinal), StartTimeout, "\"Node ready\" line");
    }

    /// <summary>Runs <c>kizuna certs client</c> against this node's data directory.</summary>
    public async Task<ClientCertificate> IssueClientCertificateAsync(string name)
    {
        var outDir = Path.Combine(DataDirectory, "issued", name);
        Directory.CreateDirectory(outDir);
        await using var certs = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [InteropPaths.KizunaDll, "certs", "client", "--name", name, "--out", outDir, "--data-dir", DataDirectory],
            DataDirectory);
        var code = await certs.WaitForExitAsync(StartTimeout);
        var certificate = new ClientCertificate(
            name,
            Path.Combine(outDir, "client.pem"),
            Path.Combine(outDir, "client.key"),
            Path.Combine(outDir, "ca.pem"),
            Path.Combine(outDir, "client.p12"));
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

    /// <summary>Arguments for tak-client.mjs that connect with a certificate issued by this node.</summary>
    public string[] TakClientArguments(ClientCertificate certificate) =>
    [
        "--host", "127.0.0.1",
        "--port", CotTlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--cert", certificate.CertificatePem,
        "--key", certificate.KeyPem,
        "--ca", certificate.CaPem,
    ];

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

    private static (int, int, int) FreePorts()
    {
        // Hold all three at once so they differ, then release them for the node.
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
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
