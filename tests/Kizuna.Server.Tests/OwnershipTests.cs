using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Sqlite;

namespace Kizuna.Server.Tests;

/// <summary>
/// Data ownership and what a partner can learn: a uid belongs to the organization that first sent
/// it; each reader's latest state is the newest version it may see; the history query reads no row
/// the caller may not see and counts none; metrics are for the node's operators only.
/// </summary>
public sealed class OwnershipTests
{
    private static bool IsRefusalOf(CotEvent evt, string uid)
        => evt.Type == RefusalNotice.Type && evt.Detail.Element("__refusal")?.Attribute("uid") == uid;

    [Fact]
    public async Task Another_organization_can_neither_update_nor_relabel_a_uid_and_is_told_why()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-owner");
        await using var usfj = await node.ConnectTlsAsync("usfj-other", org: "USFJ");
        await using var rok = await node.ConnectTlsAsync("rok-reader", org: "ROK-JCS");

        await jjoc.SendAsync(CotText.Labelled("jjoc-unit-1", "JPN-ONLY-REMARKS", "UNCLASSIFIED", "USA,JPN"));
        await usfj.ExpectUidAsync("jjoc-unit-1");

        // The same uid, re-sent by USFJ with a wider release: refused, and USFJ hears why.
        await usfj.SendAsync(CotText.Labelled("jjoc-unit-1", "JPN-ONLY-REMARKS", "UNCLASSIFIED", "USA,JPN,KOR"));
        var refusal = await usfj.ExpectAsync(e => IsRefusalOf(e, "jjoc-unit-1"), "the ownership refusal");
        Assert.Equal(EventRouter.UidOwnedRefusal, refusal.Detail.Element("__refusal")!.Attribute("reason"));

        // Korea gets a later event releasable to it, and never the re-labelled one.
        await jjoc.SendAsync(CotText.Labelled("barrier-1", "BARRIER", "UNCLASSIFIED", "USA,JPN,KOR"));
        await rok.ExpectUidAsync("barrier-1");
        Assert.DoesNotContain(rok.Received, e => e.Uid == "jjoc-unit-1");
        Assert.Equal(1, node.Node.Metrics.UidRefusals);
        Assert.Contains(node.Logs.Entries, e => e.EventId.Id == 1030);
        Assert.Equal("USA, JPN", string.Join(", ", Assert.Single(node.Node.Latest.Snapshot(DateTime.UtcNow), s => s.Event.Uid == "jjoc-unit-1").Label.ReleasableTo));
    }

    [Fact]
    public async Task An_anonymous_client_cannot_move_a_uid_an_identified_client_sent()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-owner");
        await using var witness = await node.ConnectTlsAsync("jjoc-witness");
        await using var anonymous = await node.ConnectTcpAsync();

        await jjoc.SendAsync(CotText.Position("track-7", "TRACK", lat: 35.68));
        await witness.ExpectUidAsync("track-7");

        await anonymous.SendAsync(CotText.Position("track-7", "TRACK", lat: 10.0));
        await anonymous.ExpectAsync(e => IsRefusalOf(e, "track-7"), "the ownership refusal");
        await anonymous.SendAsync(CotText.Position("anon-own-1", "ANON"));
        await witness.ExpectUidAsync("anon-own-1");

        Assert.DoesNotContain(witness.Received, e => e.Uid == "track-7" && e.Point.Lat == 10.0);
        Assert.Equal(35.68, Assert.Single(node.Node.Latest.Snapshot(DateTime.UtcNow), s => s.Event.Uid == "track-7").Event.Point.Lat);

        // Nor can an identified client of the hosting organization take over what anonymous clients sent.
        await jjoc.SendAsync(CotText.Position("anon-own-1", "ANON", lat: 1.0));
        await jjoc.ExpectAsync(e => IsRefusalOf(e, "anon-own-1"), "the ownership refusal");
    }

    [Fact]
    public async Task A_uids_owner_is_kept_across_a_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        await using (var first = await TestNode.StartAsync(dataDir: dataDir))
        {
            first.KeepDataDir = true;
            await using var jjoc = await first.ConnectTlsAsync("jjoc-owner");
            await jjoc.SendAsync(CotText.Position("kept-1", "KEPT"));
            await jjoc.SendAsync(CotText.Ping("barrier"));
            await jjoc.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
            await first.Node.StopAsync();
        }

        await using var restarted = await TestNode.StartAsync(dataDir: dataDir);
        await using var usfj = await restarted.ConnectTlsAsync("usfj-other", org: "USFJ");
        await usfj.SendAsync(CotText.Position("kept-1", "KEPT", lat: 1.0));
        await usfj.ExpectAsync(e => IsRefusalOf(e, "kept-1"), "the ownership refusal after a restart");
    }

    [Fact]
    public async Task A_hidden_newer_update_neither_erases_the_older_visible_version_nor_shows_itself()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-owner");
        await using var witness = await node.ConnectTlsAsync("jjoc-witness");
        var t0 = DateTime.UtcNow;

        await jjoc.SendAsync(CotText.Labelled("versioned-1", "SHARED", "UNCLASSIFIED", "USA,JPN", time: t0));
        await jjoc.SendAsync(CotText.Labelled("versioned-1", "NATIONAL", "UNCLASSIFIED", "JPN", time: t0.AddSeconds(1)));
        await witness.ExpectAsync(e => e.Uid == "versioned-1" && e.Detail.ContactCallsign == "NATIONAL", "the national version");

        // A US reader that connects later is replayed the version it may see, not nothing.
        await using var usfj = await node.ConnectTlsAsync("usfj-late", org: "USFJ");
        var replayed = await usfj.ExpectUidAsync("versioned-1");
        Assert.Equal("SHARED", replayed.Detail.ContactCallsign);

        var files = node.Issue("usfj-api", org: "USFJ");
        using var https = node.CreateHttpsClient(files);
        var latest = await https.GetFromJsonAsync<JsonElement>("/api/events/latest");
        var version = Assert.Single(latest.EnumerateArray(), e => e.GetProperty("uid").GetString() == "versioned-1");
        Assert.DoesNotContain("NATIONAL", version.GetRawText(), StringComparison.Ordinal);

        // The Japanese reader still sees the newest.
        await using var jpnLate = await node.ConnectTlsAsync("jjoc-late");
        Assert.Equal("NATIONAL", (await jpnLate.ExpectUidAsync("versioned-1")).Detail.ContactCallsign);
    }

    [Fact]
    public async Task The_history_query_neither_reads_nor_counts_rows_the_caller_may_not_see()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-owner");
        for (var k = 0; k < 40; k++)
        {
            await jjoc.SendAsync(CotText.Labelled($"hidden-{k}", "HIDDEN", "UNCLASSIFIED", "JPN"));
        }

        await jjoc.SendAsync(CotText.Labelled("shared-1", "SHARED", "UNCLASSIFIED", "USA,JPN,KOR"));
        await jjoc.SendAsync(CotText.Labelled("shared-2", "SHARED", "UNCLASSIFIED", "USA,JPN,KOR"));
        await jjoc.SendAsync(CotText.Ping("barrier"));
        await jjoc.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        var store = Assert.IsType<SqliteEventStore>(node.Node.Store);
        using var http = node.CreateHttpClient();
        var metricsBefore = await http.GetStringAsync("/metrics");
        var rowsBefore = store.RowsRead;

        using var https = node.CreateHttpsClient(node.Issue("rok-api", org: "ROK-JCS"));
        var events = await https.GetFromJsonAsync<JsonElement>("/api/events?limit=1000");
        Assert.Equal(["shared-1", "shared-2"], events.EnumerateArray().Select(e => e.GetProperty("uid").GetString()).Order(StringComparer.Ordinal));

        Assert.Equal(2, store.RowsRead - rowsBefore);
        var metricsAfter = await http.GetStringAsync("/metrics");
        Assert.Equal(WithheldApi(metricsBefore), WithheldApi(metricsAfter));
    }

    [Fact]
    public async Task Metrics_are_refused_to_anyone_but_the_nodes_operators()
    {
        await using var node = await TestNode.StartAsync(metricsLoopback: false);

        // No identity (loopback does not count here): refused, with how to get in.
        using var http = node.CreateHttpClient();
        var plain = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Contains("node-operator", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An identity without the operator role, and an operator of another organization: refused.
        using var ordinary = node.CreateHttpsClient(node.Issue("jjoc-watch"));
        Assert.Equal(HttpStatusCode.Forbidden, (await ordinary.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        using var foreign = node.CreateHttpsClient(node.IssueUnchecked(new IdentityClaims("rok-ops", "KOR", "ROK-JCS", "node-operator", "SECRET", [])));
        Assert.Equal(HttpStatusCode.Forbidden, (await foreign.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);

        using var operatorClient = node.CreateHttpsClient(node.IssueUnchecked(new IdentityClaims("jjoc-ops", "JPN", "JJOC", "node-operator", "SECRET", [])));
        var served = await operatorClient.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("kizuna_withheld_total", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string WithheldApi(string metrics)
        => metrics.Split('\n').Single(l => l.StartsWith("kizuna_withheld_total{exit=\"Api\"}", StringComparison.Ordinal));
}
