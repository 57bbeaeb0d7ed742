using System.Net;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Federation;
using Kizuna.Federation.Wire;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Three nodes in-process, JJOC – USFJ (the hub) – ROK-JCS, each spoke dialling the hub through a
/// fault-injecting proxy: nothing lost, nothing twice, nothing leaks (docs/federation.md).
/// </summary>
public sealed class FederationOutboxTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kizuna-trilateral-" + Guid.NewGuid().ToString("N"));

    private TestNode _jjoc = null!;
    private TestNode _usfj = null!;
    private TestNode _rok = null!;
    private FaultProxy _jpnUsa = null!;
    private FaultProxy _korUsa = null!;

    private string DataDir(string name) => Path.Combine(_root, name);

    public async Task InitializeAsync()
    {
        string Export(string name, string org)
        {
            var file = Path.Combine(_root, name + ".bundle.json");
            FederationCommand.Export(DataDir(name), null, org, file);
            return file;
        }

        Directory.CreateDirectory(_root);
        FederationCommand.Trust(DataDir("jjoc"), null, "JJOC", Export("usfj", "USFJ"));
        FederationCommand.Trust(DataDir("rok"), null, "ROK-JCS", Export("usfj", "USFJ"));
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("jjoc", "JJOC"));
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("rok", "ROK-JCS"));
        _usfj = await StartHubAsync();
        _jpnUsa = new FaultProxy(_usfj.Node.Endpoint("federation")!);
        _korUsa = new FaultProxy(_usfj.Node.Endpoint("federation")!);
        _jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federateWith: [_jpnUsa.Endpoint]);
        _jjoc.KeepDataDir = true;
        _rok = await TestNode.StartAsync(dataDir: DataDir("rok"), nodeOrg: "ROK-JCS", federateWith: [_korUsa.Endpoint]);
        _rok.KeepDataDir = true;
        await UpAsync(_jjoc);
        await UpAsync(_rok);
    }

    private async Task<TestNode> StartHubAsync()
    {
        var hub = await TestNode.StartAsync(dataDir: DataDir("usfj"), nodeOrg: "USFJ", federation: true);
        hub.KeepDataDir = true;
        return hub;
    }

    public async Task DisposeAsync()
    {
        await _jjoc.DisposeAsync();
        await _rok.DisposeAsync();
        await _usfj.DisposeAsync();
        await _jpnUsa.DisposeAsync();
        await _korUsa.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    /// <summary>Until the node's (single) partner link is up.</summary>
    private static Task UpAsync(TestNode node) => UntilAsync(() => node.Node.Federation!.Links.Current.Count > 0, "the link is up");

    private static FederationLinkStatus StatusOf(TestNode node, string partner)
        => ((IFederationStatus)node.Node.Services.GetService(typeof(IFederationStatus))!).Links().Single(l => l.PartnerOrganization == partner);

    /// <summary>Waits for a condition the nodes reach by themselves, checking at each step, bounded.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Long);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    private static int Count(CotTestClient client, string uid) => client.Received.Count(e => e.Uid == uid);

    private static async Task ExpectAsync(CotTestClient client, string uid)
        => await client.ExpectOrSeenAsync(e => e.Uid == uid, uid).WaitAsync(Long);

    [Fact]
    public async Task An_event_released_to_all_three_reaches_Korea_through_the_hub_once_and_one_released_to_Japan_and_Korea_only_never_does_and_is_counted_withheld()
    {
        await using var japan = await _jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var korea = await _rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        var withheldBefore = StatusOf(_jjoc, "USFJ").Withheld;

        await japan.SendAsync(CotText.Labelled("jpn-kor-only", "NO PATH", "SECRET", "JPN,KOR"));
        await japan.SendAsync(CotText.Labelled("trilateral-1", "ALL THREE", "SECRET", "USA,JPN,KOR"));
        await ExpectAsync(korea, "trilateral-1");

        Assert.Equal(1, Count(korea, "trilateral-1"));
        Assert.Equal(0, Count(korea, "jpn-kor-only"));
        Assert.True(StatusOf(_jjoc, "USFJ").Withheld > withheldBefore, "the JPN,KOR event is counted as withheld at the JJOC–USFJ link");
        var stored = await _usfj.Node.Store.QueryAsync(new Core.Storage.EventQuery(Uid: "jpn-kor-only"), CancellationToken.None);
        Assert.Empty(stored);
    }

    [Fact]
    public async Task Random_labels_from_all_three_nations_on_all_three_nodes_reach_every_client_that_may_see_them_exactly_once_and_no_other()
    {
        var nodes = new[] { ("JPN", _jjoc), ("USA", _usfj), ("KOR", _rok) };
        var clients = new List<(string Node, string Nation, int Clearance, CotTestClient Client)>();
        foreach (var (nodeNation, node) in nodes)
        {
            var n = 0;
            foreach (var (org, nation, clearance) in new[] { ("JJOC", "JPN", "SECRET"), ("USFJ", "USA", "SECRET"), ("ROK-JCS", "KOR", "SECRET"), ("JJOC", "JPN", "CONFIDENTIAL") })
            {
                clients.Add((nodeNation, nation, clearance == "SECRET" ? 2 : 1, await node.ConnectTlsAsync($"{nodeNation.ToLowerInvariant()}-{org.ToLowerInvariant()}-{n++}", org: org, clearance: clearance)));
            }
        }

        try
        {
            var random = new Random(20261207);
            string[] levels = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"];
            string[] nations = ["USA", "JPN", "KOR"];
            var sent = new List<(string Uid, string From, int Sender, int Level, HashSet<string> Releasable)>();
            for (var k = 0; k < 60; k++)
            {
                var sender = random.Next(clients.Count);
                var (from, senderNation, _, client) = clients[sender];
                var releasable = nations.Where(_ => random.Next(2) == 0).Append(senderNation).ToHashSet();
                var level = random.Next(clients[sender].Clearance + 1);
                var uid = $"prop-{k}";
                sent.Add((uid, from, sender, level, releasable));
                await client.SendAsync(CotText.Labelled(uid, "P" + k, levels[level], string.Join(',', releasable)));
            }

            // A marker from every node, behind everything it sent on the same paths.
            for (var m = 0; m < nodes.Length; m++)
            {
                var sender = clients.FindIndex(c => c.Node == nodes[m].Item1 && c.Nation == nodes[m].Item1 && c.Clearance == 2);
                await clients[sender].Client.SendAsync(CotText.Labelled("marker-" + m, "MARK", "UNCLASSIFIED", "USA,JPN,KOR"));
                foreach (var (_, _, _, c) in clients.Where((_, i) => i != sender))
                {
                    await ExpectAsync(c, "marker-" + m);
                }
            }

            for (var i = 0; i < clients.Count; i++)
            {
                var (node, nation, clearance, client) = clients[i];
                foreach (var (uid, from, sender, level, releasable) in sent)
                {
                    var reaches = from == node
                        || ((from == "USA" || node == "USA") && releasable.Contains(node))
                        || (releasable.Contains("USA") && releasable.Contains(node));
                    var expected = i != sender && reaches && releasable.Contains(nation) && level <= clearance ? 1 : 0;
                    Assert.True(expected == Count(client, uid), $"{uid} ({level}, {string.Join(',', releasable)}) from {from}: client {nation}/{clearance} on {node} got it {Count(client, uid)} times, expected {expected}");
                }
            }
        }
        finally
        {
            foreach (var (_, _, _, client) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_Japan_US_link_cut_under_load_and_healed_loses_nothing_duplicates_nothing_and_the_lag_returns_to_zero()
    {
        await using var japan = await _jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var korea = await _rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var us = await _usfj.ConnectTlsAsync("usfj-watch", org: "USFJ");
        const int Total = 300;
        for (var k = 0; k < Total; k++)
        {
            if (k == Total / 3)
            {
                await ExpectAsync(korea, "load-" + (k - 1));
                _jpnUsa.Cut();
                await UntilAsync(() => StatusOf(_jjoc, "USFJ").State == "down", "the link is down");
            }

            if (k == 2 * Total / 3)
            {
                _jpnUsa.Heal();
            }

            await japan.SendAsync(CotText.Labelled("load-" + k, "L" + k, "SECRET", "USA,JPN,KOR"));
        }

        await ExpectAsync(korea, "load-" + (Total - 1));
        await ExpectAsync(us, "load-" + (Total - 1));
        for (var k = 0; k < Total; k++)
        {
            Assert.Equal(1, Count(korea, "load-" + k));
            Assert.Equal(1, Count(us, "load-" + k));
        }

        await UntilAsync(() => StatusOf(_jjoc, "USFJ") is { State: "up", LagEvents: 0 }, "the lag is zero");
        var status = StatusOf(_jjoc, "USFJ");
        Assert.Equal(status.Sent, status.Acknowledged + status.Expired + status.Withheld);
        Assert.Equal(0, status.OutboxDepth);
    }

    [Fact]
    public async Task A_hub_restarted_mid_stream_loses_nothing_and_duplicates_nothing()
    {
        await using var japan = await _jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var korea = await _rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        const int Total = 200;
        for (var k = 0; k < Total; k++)
        {
            if (k == Total / 2)
            {
                await ExpectAsync(korea, "restart-" + (k - 1));
                await _usfj.DisposeAsync();
                _usfj = await StartHubAsync();
                _jpnUsa.Target = _usfj.Node.Endpoint("federation")!;
                _korUsa.Target = _usfj.Node.Endpoint("federation")!;
            }

            await japan.SendAsync(CotText.Labelled("restart-" + k, "R" + k, "SECRET", "USA,JPN,KOR"));
        }

        await ExpectAsync(korea, "restart-" + (Total - 1));
        for (var k = 0; k < Total; k++)
        {
            Assert.Equal(1, Count(korea, "restart-" + k));
        }

        await UntilAsync(() => StatusOf(_jjoc, "USFJ") is { State: "up", LagEvents: 0 }, "the lag is zero");
        await UntilAsync(() => StatusOf(_usfj, "ROK-JCS") is { State: "up", LagEvents: 0 }, "the hub's lag to Korea is zero");
    }

    private static string KoreanReport(string id, string nation = "KOR")
        => WarningExamples.Read("01-jpn-fps5-launch.xml")
            .Replace("JPN-FPS5-SADO-20001", id, StringComparison.Ordinal)
            .Replace("sensor=\"FPS5-SADO\" nation=\"JPN\"", $"sensor=\"GREEN-PINE-1\" nation=\"{nation}\"", StringComparison.Ordinal);

    [Fact]
    public async Task A_ROK_sensor_report_on_the_Korean_node_becomes_a_warning_at_a_JJOC_client_on_the_Japanese_node_and_a_relayed_report_with_a_forged_origin_is_refused()
    {
        await using var japan = await _jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var sensor = await _rok.ConnectSensorAsync("rok-green-pine", "ROKAF-OC");

        await sensor.SendAsync(KoreanReport("KOR-GP1-1"));
        var warning = await japan.ExpectOrSeenAsync(e => e.Type == Core.Warnings.WarningCot.WarningType, "a warning issued by the Japanese node").WaitAsync(Long);
        Assert.Contains("KOR/GREEN-PINE-1", warning.Detail.Element(Core.Warnings.WarningCot.WarningElement)!.Attribute("sensors"), StringComparison.Ordinal);

        // The hub (as the peer of Japan's link) relays a Korean report naming itself as origin: it may not speak for Korea's sensor.
        var link = _jjoc.Node.Federation!.Links.Current.Single();
        var forgedEvent = CotXml.Decode(System.Text.Encoding.UTF8.GetBytes(KoreanReport("KOR-GP1-FORGED")), CotLimits.Default);
        var label = _jjoc.Node.Labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]);
        var forged = FederationMapper.ToFederated(forgedEvent, label, new EventOrigin(link.Peer.NodeId, 999_999), [new FederateProvenance { FederationServerId = link.Peer.NodeId, FederationServerName = "USFJ" }]);
        await _jjoc.Node.Federation.Links.Handler.OnReceivedAsync(link, forged, CancellationToken.None);
        await _jjoc.Logs.WaitForAsync(e => e.EventId.Id == 1010 && e.Message.Contains("SenderNationMismatch", StringComparison.Ordinal), Long);
        Assert.DoesNotContain(japan.Received, e => e.Type == Core.Warnings.WarningCot.WarningType && e.Detail.Element(Core.Warnings.WarningCot.WarningElement)?.Attribute("sensors")?.Contains("FORGED", StringComparison.Ordinal) == true);
    }
}
