using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Sessions;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A real node in-process on free loopback ports, in a temporary data directory. Disposing it
/// stops the node and fails the test if the node logged an error the test did not expect.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestNode(KizunaNode node, string dataDir, CapturedLogs logs)
    {
        Node = node;
        DataDir = dataDir;
        Logs = logs;
    }

    public KizunaNode Node { get; }
    public string DataDir { get; }
    public CapturedLogs Logs { get; }

    /// <summary>Set by a test that starts a second node on the same data.</summary>
    public bool KeepDataDir { get; set; }

    /// <summary>Set by a test that provokes errors on purpose.</summary>
    public bool ErrorsExpected { get; set; }

    /// <summary>
    /// Categories whose error lines this test expects and does not count (a cut federation link
    /// makes gRPC log the streaming call it aborted); every other error still fails the test.
    /// </summary>
    public HashSet<string> ExpectedErrorCategories { get; } = new(StringComparer.Ordinal);

    public IPEndPoint CotTcp => Node.Endpoint("cot-tcp")!;
    public IPEndPoint CotTls => Node.Endpoint("cot-tls")!;
    public Uri Http => new($"http://{(Node.Endpoint("http")!.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, Node.Endpoint("http")!.Port) : Node.Endpoint("http"))}");
    public Uri Https => new($"https://localhost:{Node.Endpoint("https")!.Port}");

    public static async Task<TestNode> StartAsync(
        ConnectionOptions? connection = null,
        string? dataDir = null,
        TimeSpan? retention = null,
        string? profile = null,
        string nodeOrg = "JJOC",
        TimeSpan? warningResend = null,
        TimeSpan? warningEscalate = null,
        IPEndPoint? http = null,
        string? consoleDir = null,
        bool warningIntake = false,
        string? warningDir = null,
        bool metricsLoopback = true,
        bool federation = false,
        IReadOnlyList<DnsEndPoint>? federateWith = null,
        TimeSpan? handshakeTimeout = null,
        int? maxConnectionsPerAddress = null,
        int? intakeHandshakeSlots = null,
        bool enroll = false,
        TimeProvider? time = null,
        string? postgres = null,
        string? nats = null,
        Func<NodeSettings, NodeSettings>? configure = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        var logs = new CapturedLogs();
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var settings = new NodeSettings
        {
            DataDir = dataDir,
            CotTcp = loopback,
            CotTls = loopback,
            Http = http ?? loopback,
            Https = loopback,
            Retention = retention,
            Profile = profile,
            NodeOrg = nodeOrg,
            WarningResend = warningResend ?? NodeSettings.Defaults.WarningResend,
            WarningEscalate = warningEscalate ?? NodeSettings.Defaults.WarningEscalate,
            ConsoleDir = consoleDir,
            WarningIntake = warningIntake ? loopback : null,
            WarningDir = warningDir,
            MetricsLoopback = metricsLoopback,
            Federation = federation ? loopback : null,
            FederateWith = federateWith ?? [],
            HandshakeTimeout = handshakeTimeout ?? NodeSettings.Defaults.HandshakeTimeout,
            MaxConnectionsPerAddress = maxConnectionsPerAddress ?? NodeSettings.Defaults.MaxConnectionsPerAddress,
            IntakeHandshakeSlots = intakeHandshakeSlots ?? NodeSettings.Defaults.IntakeHandshakeSlots,
            Enroll = enroll ? loopback : null,
            Postgres = postgres,
            Nats = nats,
        };
        settings = configure?.Invoke(settings) ?? settings;
        using var cts = new CancellationTokenSource(Timeout);
        var node = await KizunaNode.StartAsync(
            settings,
            cts.Token,
            logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(logs);
                logging.SetMinimumLevel(LogLevel.Debug);
            },
            connection,
            time).ConfigureAwait(false);
        return new TestNode(node, dataDir, logs);
    }

    public Task<CotTestClient> ConnectTcpAsync() => CotTestClient.ConnectAsync(CotTcp);

    /// <summary>
    /// Issues a client certificate from the node's CA, as <c>kizuna certs client</c> does: the
    /// claims are checked against the node's profile first. Defaults: a JJOC (JPN) operator
    /// cleared SECRET.
    /// </summary>
    public ClientCertificateFiles Issue(string name, string org = "JJOC", string? nation = null, string clearance = "SECRET", params string[] authorizations)
    {
        var organization = Node.Labels.Profile.FindOrganization(org) ?? throw new ArgumentException($"no organization {org}", nameof(org));
        var claims = new IdentityClaims(name, nation ?? organization.Nation, org, "operator", clearance, authorizations);
        if (!Node.Labels.TryCreatePrincipal(claims, out _, out var reason))
        {
            throw new ArgumentException(reason);
        }

        return IssueUnchecked(claims);
    }

    /// <summary>Issues exactly these claims, unchecked: for tests of what the node refuses.</summary>
    public ClientCertificateFiles IssueUnchecked(IdentityClaims claims)
        => Node.CertificateAuthority.IssueClient(claims, Node.Labels.PolicyId, Path.Combine(DataDir, "clients", claims.Name + "-" + Guid.NewGuid().ToString("N")[..8]));

    public async Task<CotTestClient> ConnectTlsAsync(string name, string org = "JJOC", string? nation = null, string clearance = "SECRET")
        => await ConnectTlsAsync(Issue(name, org, nation, clearance)).ConfigureAwait(false);

    public Task<CotTestClient> ConnectTlsAsync(ClientCertificateFiles files)
        => CotTestClient.ConnectTlsAsync(CotTls, files.CertificatePem, files.PrivateKeyPem, files.CaCertificatePem);

    /// <summary>
    /// Issues a sensor feed's certificate (role <c>sensor-feed</c>), as <c>kizuna certs client
    /// --role sensor-feed [--authorization sensor:ID ...]</c> does. Default: a JASDF-ADC feed, the
    /// operator of the J/FPS-5 radars; <paramref name="sensors"/> grants sensors beyond its own.
    /// </summary>
    public ClientCertificateFiles IssueSensorFeed(string name, string org = "JASDF-ADC", params string[] sensors)
    {
        var organization = Node.Labels.Profile.FindOrganization(org) ?? throw new ArgumentException($"no organization {org}", nameof(org));
        var claims = new IdentityClaims(name, organization.Nation, org, Kizuna.Core.Warnings.SensorAuthority.SensorFeedRole, "SECRET", [.. sensors.Select(s => "sensor:" + s)]);
        if (!Node.Labels.TryCreatePrincipal(claims, out _, out var reason))
        {
            throw new ArgumentException(reason);
        }

        return IssueUnchecked(claims);
    }

    /// <summary>A sensor feed on the CoT TLS listener (<see cref="IssueSensorFeed"/>).</summary>
    public Task<CotTestClient> ConnectSensorAsync(string name, string org = "JASDF-ADC", params string[] sensors)
        => ConnectTlsAsync(IssueSensorFeed(name, org, sensors));

    /// <summary>A sensor feed on the warning intake (the node must be started with <c>warningIntake: true</c>).</summary>
    public Task<CotTestClient> ConnectIntakeAsync(string name, string org = "JASDF-ADC") => ConnectIntakeAsync(IssueSensorFeed(name, org));

    /// <summary>A TLS client on the warning intake with an identity already issued.</summary>
    public Task<CotTestClient> ConnectIntakeAsync(ClientCertificateFiles files)
    {
        return CotTestClient.ConnectTlsAsync(Node.Endpoint("warning-intake")!, files.CertificatePem, files.PrivateKeyPem, files.CaCertificatePem);
    }

    /// <summary>Plain HTTP: health and metrics only (no identity).</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = Http, Timeout = Timeout };

    /// <summary>HTTPS with a client certificate: the API answers for that principal.</summary>
    public HttpClient CreateHttpsClient(ClientCertificateFiles? files, bool followRedirects = true)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir, "certs", "ca.pem"));
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = followRedirects,
            UseCookies = false, // a test that sends a console cookie sets the header itself
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        if (files is not null)
        {
            using var loaded = X509Certificate2.CreateFromPemFile(files.CertificatePem, files.PrivateKeyPem);
            handler.ClientCertificates.Add(X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null));
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
        }

        return new HttpClient(handler) { BaseAddress = Https, Timeout = Timeout };
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync().ConfigureAwait(false);
        var errors = Logs.Entries.Where(e => e.Level >= LogLevel.Error && !ExpectedErrorCategories.Contains(e.Category)).ToList();
        try
        {
            if (!KeepDataDir)
            {
                Directory.Delete(DataDir, recursive: true);
            }
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }

        if (!ErrorsExpected && errors.Count > 0)
        {
            Assert.Fail("The node logged errors: " + string.Join(" | ", errors.Select(e => $"{e.EventId.Id} {e.Category}: {e.Message}")));
        }
    }
}
