using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Labels;
using Kizuna.Federation;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Tests;

/// <summary>Operating federation: the trilateral demo, <c>GET /api/federation</c>, <c>kizuna federation status</c>, the links in <c>/metrics</c>.</summary>
public sealed class FederationOperationsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kizuna-fedops-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    [Fact]
    public async Task The_trilateral_demo_starts_three_linked_nodes_and_their_operators_see_each_link_up_then_down()
    {
        var logs = new Dictionary<string, CapturedLogs>(StringComparer.Ordinal);
        // Three nodes start one after another on a shared machine: a budget of three.
        using var cts = new CancellationTokenSource(3 * TestNode.Timeout);
        var demo = await TrilateralDemo.StartAsync(_root, basePort: 0, cts.Token, (org, logging) =>
        {
            var captured = new CapturedLogs();
            lock (logs)
            {
                logs[org] = captured;
            }

            logging.ClearProviders();
            logging.AddProvider(captured);
            logging.SetMinimumLevel(LogLevel.Debug);
        });
        try
        {
            Assert.Equal(["JJOC", "USFJ", "ROK-JCS"], demo.Nodes.Select(n => n.Organization));
            foreach (var node in demo.Nodes)
            {
                await logs[node.Organization].WaitForAsync(e => e.EventId.Id == 4002, TestNode.Timeout);
            }

            // Link up, logged with its stable event id: two at the hub, one at each other node.
            await logs["USFJ"].WaitForAsync(e => e.EventId.Id == 4501, 2, TestNode.Timeout);
            await logs["JJOC"].WaitForAsync(e => e.EventId.Id == 4501 && e.Message.Contains("(USFJ, USA)", StringComparison.Ordinal), TestNode.Timeout);
            await logs["ROK-JCS"].WaitForAsync(e => e.EventId.Id == 4501 && e.Message.Contains("(USFJ, USA)", StringComparison.Ordinal), TestNode.Timeout);
            await demo.WaitForLinksAsync(TestNode.Timeout);

            // Each node has its identities; the Korean one also the Green Pine feed the printed send line uses.
            var rok = demo.Nodes[2];
            var feed = Assert.Single(rok.Identities, i => i.Role == "sensor-feed");
            Assert.Equal("ROKAF-OC", feed.Organization);
            Assert.All(demo.Nodes.SelectMany(n => n.Identities), i => Assert.True(File.Exists(Path.Combine(i.Directory, "client.pem")), i.Directory));
            var instructions = demo.Instructions();
            Assert.Contains($"send {TrilateralDemo.ExampleReport} --to {rok.Node.Endpoint("cot-tls")} --identity {feed.Directory}", instructions, StringComparison.Ordinal);
            Assert.Contains($"federation status --url http://{demo.Hub.Node.Endpoint("http")}", instructions, StringComparison.Ordinal);

            // The hub's operators: the API, the command and the metrics agree.
            var hubHttp = new Uri($"http://{demo.Hub.Node.Endpoint("http")}/");
            using var http = new HttpClient { BaseAddress = hubHttp, Timeout = TestNode.Timeout };
            var status = await http.GetFromJsonAsync(FederationApi.Path, FederationJsonContext.Default.FederationStatusJson);
            Assert.NotNull(status);
            Assert.True(status.Enabled);
            Assert.Equal(demo.Hub.Node.Federation!.NodeId, status.NodeId);
            Assert.Equal(["JJOC", "ROK-JCS"], status.Links.Select(l => l.PartnerOrganization));
            Assert.All(status.Links, l => Assert.Equal("up", l.State));
            Assert.All(status.Links, l => Assert.NotNull(l.Since));
            Assert.Equal(demo.Nodes[0].Node.Federation!.NodeId, status.Links[0].PartnerNodeId);

            var (code, table) = await FederationStatusCommand.RunAsync(hubHttp, cts.Token);
            Assert.Equal(0, code);
            Assert.Contains("2 partners, 2 up", table, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^JJOC +kizuna-[0-9a-f]{16} +up ", table);
            Assert.Matches(@"(?m)^ROK-JCS +kizuna-[0-9a-f]{16} +up ", table);

            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains($"kizuna_federation_link_up{{partner=\"JJOC\",partner_node=\"{status.Links[0].PartnerNodeId}\"}} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("kizuna_federation_link_up{partner=\"ROK-JCS\"", metrics, StringComparison.Ordinal);
            foreach (var family in new[] { "lag_events", "lag_seconds", "outbox_depth", "sent_total", "acknowledged_total", "expired_total", "withheld_total" })
            {
                Assert.Contains($"kizuna_federation_{family}{{partner=\"JJOC\"", metrics, StringComparison.Ordinal);
            }

            // JJOC's node stops: the hub logs the link down (4502) and reports it down.
            await demo.Nodes[0].Node.StopAsync();
            await logs["USFJ"].WaitForAsync(e => e.EventId.Id == 4502 && e.Message.Contains("(JJOC)", StringComparison.Ordinal), TestNode.Timeout);
            status = await http.GetFromJsonAsync(FederationApi.Path, FederationJsonContext.Default.FederationStatusJson);
            Assert.Equal(["down", "up"], status!.Links.Select(l => l.State));
            (_, table) = await FederationStatusCommand.RunAsync(hubHttp, cts.Token);
            Assert.Matches(@"(?m)^JJOC +kizuna-[0-9a-f]{16} +down ", table);
            Assert.Contains("kizuna_federation_link_up{partner=\"JJOC\"", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            await demo.DisposeAsync();
        }

        Assert.DoesNotContain(logs.Values.SelectMany(l => l.Entries), e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Federation_links_are_served_to_the_hosting_organizations_node_operators_and_refused_to_everyone_else()
    {
        await using var node = await TestNode.StartAsync(nodeOrg: "JJOC", federation: true, metricsLoopback: false);
        var watch = node.Issue("jjoc-watch");
        var operatorFiles = node.IssueUnchecked(new IdentityClaims("jjoc-op", "JPN", "JJOC", Operators.Role, "SECRET", []));
        var foreignOperator = node.IssueUnchecked(new IdentityClaims("usfj-op", "USA", "USFJ", Operators.Role, "SECRET", []));

        using (var client = node.CreateHttpsClient(watch))
        {
            var refused = await client.GetAsync(FederationApi.Path);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("node-operator", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var client = node.CreateHttpsClient(foreignOperator))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(FederationApi.Path)).StatusCode);
        }

        using (var client = node.CreateHttpClient())
        {
            // Loopback is not enough once --metrics-loopback is off.
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(FederationApi.Path)).StatusCode);
        }

        using (var client = node.CreateHttpsClient(operatorFiles))
        {
            var status = await client.GetFromJsonAsync(FederationApi.Path, FederationJsonContext.Default.FederationStatusJson);
            Assert.True(status!.Enabled);
            Assert.Equal(node.Node.Federation!.NodeId, status.NodeId);
            Assert.Equal("JJOC", status.Organization);
            Assert.Empty(status.Links);
        }
    }

    [Fact]
    public async Task A_node_without_federation_says_so_to_its_operators_and_the_status_command_explains_it()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.CreateHttpClient();
        var status = await client.GetFromJsonAsync(FederationApi.Path, FederationJsonContext.Default.FederationStatusJson);
        Assert.False(status!.Enabled);
        Assert.Null(status.NodeId);
        Assert.Empty(status.Links);
        Assert.DoesNotContain("kizuna_federation_", await client.GetStringAsync("/metrics"), StringComparison.Ordinal);

        var (code, output) = await FederationStatusCommand.RunAsync(node.Http, CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Contains("Federation is off on this node (JJOC)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_status_command_says_no_node_answers_when_nothing_listens_there()
    {
        // A port that was free a moment ago and is closed again.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, output) = await FederationStatusCommand.RunAsync(new Uri($"http://127.0.0.1:{port}/"), CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains($"no node answers at http://127.0.0.1:{port}/", output, StringComparison.Ordinal);
        Assert.Contains("Is `kizuna serve` running", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "http://127.0.0.1:8080/")]
    [InlineData("0.0.0.0:9000", "http://127.0.0.1:9000/")]
    [InlineData("http://node.example:8080/api", "http://node.example:8080/")]
    public void The_status_command_asks_the_http_setting_on_loopback_when_it_is_a_wildcard(string setting, string expected)
        => Assert.Equal(new Uri(expected), FederationStatusCommand.BaseUri(setting));
}
