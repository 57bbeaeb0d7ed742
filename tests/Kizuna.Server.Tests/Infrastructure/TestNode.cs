using System.Net;
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

    public IPEndPoint CotTcp => Node.Endpoint("cot-tcp")!;
    public IPEndPoint CotTls => Node.Endpoint("cot-tls")!;
    public Uri Http => new($"http://{Node.Endpoint("http")}");

    public static async Task<TestNode> StartAsync(ConnectionOptions? connection = null, string? dataDir = null, TimeSpan? retention = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        var logs = new CapturedLogs();
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var settings = new NodeSettings
        {
            DataDir = dataDir,
            CotTcp = loopback,
            CotTls = loopback,
            Http = loopback,
            Https = null,
            Retention = retention,
        };
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
            connection).ConfigureAwait(false);
        return new TestNode(node, dataDir, logs);
    }

    public Task<CotTestClient> ConnectTcpAsync() => CotTestClient.ConnectAsync(CotTcp);

    public async Task<CotTestClient> ConnectTlsAsync(string name)
    {
        var dir = Path.Combine(DataDir, "clients", name);
        var files = Node.CertificateAuthority.IssueClient(name, dir);
        return await CotTestClient.ConnectTlsAsync(CotTls, files.CertificatePem, files.PrivateKeyPem, files.CaCertificatePem).ConfigureAwait(false);
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = Http, Timeout = Timeout };

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync().ConfigureAwait(false);
        var errors = Logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
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
