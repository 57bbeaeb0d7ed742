using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Federation.Tests.Infrastructure;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Federation.Tests;

/// <summary>
/// Receipts back to the issuing nation: a launch a Korean sensor reports on the Korean node is a
/// warning each node issues to its own headquarters; what the Japanese and US headquarters did
/// with theirs travels back, through the hub, and is visible on the Korean node (docs/federation.md).
/// </summary>
public sealed class WarningReceiptTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = Trilateral.Long;
    private Trilateral _nodes = null!;

    public async Task InitializeAsync() => _nodes = await Trilateral.StartAsync();

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    private static string KoreanReport(string id)
        => WarningExamples.Read("01-jpn-fps5-launch.xml")
            .Replace("JPN-FPS5-SADO-20001", id, StringComparison.Ordinal)
            .Replace("sensor=\"FPS5-SADO\" nation=\"JPN\"", "sensor=\"GREEN-PINE-1\" nation=\"KOR\"", StringComparison.Ordinal);

    private static (string Id, int Version) Read(CotEvent warning)
    {
        var element = warning.Detail.Element(WarningCot.WarningElement)!;
        return (element.Attribute("id")!, int.Parse(element.Attribute("version")!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Task<CotEvent> WarningAsync(CotTestClient client, int version = 1)
        => client.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType && Read(e).Version == version, $"warning version {version}").WaitAsync(Long);

    private static Principal Reader(TestNode node, string org)
    {
        var organization = node.Node.Labels.Profile.FindOrganization(org)!;
        Assert.True(node.Node.Labels.TryCreatePrincipal(new IdentityClaims(org.ToLowerInvariant() + "-reader", organization.Nation, org, "operator", "SECRET", []), out var principal, out var reason), reason);
        return principal;
    }

    private static IPartnerReceipts ReceiptsOf(TestNode node) => (IPartnerReceipts)node.Node.Services.GetService(typeof(IPartnerReceipts))!;

    [Fact]
    public async Task The_receipts_of_the_Japanese_and_US_headquarters_for_a_Korean_launch_report_are_visible_on_the_Korean_node_through_the_hub()
    {
        await using var japan = await _nodes.Jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var us = await _nodes.Usfj!.ConnectTlsAsync("usfj-watch", org: "USFJ");
        await using var korea = await _nodes.Rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var sensor = await _nodes.Rok.ConnectSensorAsync("rok-green-pine", "ROKAF-OC");

        await sensor.SendAsync(KoreanReport("KOR-GP1-R1"));
        var (japanese, version) = Read(await WarningAsync(japan));
        await japan.SendAsync(WarningCot.Acknowledgement(japanese, version, "jjoc-watch", DateTime.UtcNow));
        await WarningAsync(us);
        var (korean, _) = Read(await WarningAsync(korea));

        var reader = Reader(_nodes.Rok, "ROK-JCS");
        var receipts = ReceiptsOf(_nodes.Rok);
        await Trilateral.UntilAsync(
            () => receipts.For(korean, reader) is var r
                  && r.Any(x => x is { IssuedBy: "JJOC", Organization: "JJOC", Recipient: "jjoc-watch", DeliveredAt: not null, AcknowledgedAt: not null })
                  && r.Any(x => x is { IssuedBy: "USFJ", Organization: "USFJ", Recipient: "usfj-watch", DeliveredAt: not null }),
            "Korea's node holds the Japanese acknowledgement and the US delivery");
        var jjoc = receipts.For(korean, reader).Single(x => x.IssuedBy == "JJOC");
        Assert.Equal(japanese, jjoc.WarningId);
        Assert.Equal(version, jjoc.Version);

        // The API's receipts view on the issuing nation's node.
        using var http = _nodes.Rok.CreateHttpsClient(_nodes.Rok.Issue("rok-api", "ROK-JCS"));
        var json = await http.GetStringAsync(new Uri($"/api/warnings/{korean}", UriKind.Relative));
        Assert.Contains("\"partnerReceipts\"", json, StringComparison.Ordinal);
        Assert.Contains("\"issuedBy\":\"JJOC\"", json, StringComparison.Ordinal);
        Assert.Contains("\"issuedBy\":\"USFJ\"", json, StringComparison.Ordinal);

        // Japan's node issued no report of this launch: no other nation's receipts come to it.
        Assert.Empty(ReceiptsOf(_nodes.Jjoc).For(japanese, Reader(_nodes.Jjoc, "JJOC")));
    }

    [Fact]
    public async Task A_receipt_for_a_version_labelled_for_Japan_only_never_leaves_the_Japanese_node()
    {
        await using var japan = await _nodes.Jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var korea = await _nodes.Rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var rokSensor = await _nodes.Rok.ConnectSensorAsync("rok-green-pine", "ROKAF-OC");
        await using var japaneseSensor = await _nodes.Jjoc.ConnectSensorAsync("maya-feed", "JMSDF-SDF");

        await rokSensor.SendAsync(KoreanReport("KOR-GP1-R2"));
        var (japanese, first) = Read(await WarningAsync(japan));
        await japan.SendAsync(WarningCot.Acknowledgement(japanese, first, "jjoc-watch", DateTime.UtcNow));
        var (korean, _) = Read(await WarningAsync(korea));

        // A Japan-only report joins the launch: Japan's next version is labelled REL JPN.
        await japaneseSensor.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml"));
        var second = await WarningAsync(japan, first + 1);
        Assert.Equal("JPN", second.ReleasableTo);
        await japan.SendAsync(WarningCot.Acknowledgement(japanese, first + 1, "jjoc-watch", DateTime.UtcNow));
        await Trilateral.UntilAsync(
            () => _nodes.Jjoc.Node.Store.QueryAsync(new EventQuery(Type: WarningReceiptItem.Type), CancellationToken.None).Result
                .Any(e => e.Event.Uid.EndsWith($"-{first + 1}-jjoc-watch-acknowledged", StringComparison.Ordinal)),
            "Japan's node keeps the receipt of the Japan-only version");

        // Behind it on the same links, a picture event every node may see.
        await japan.SendAsync(CotText.Labelled("marker-after-receipt", "MARK", "UNCLASSIFIED", "USA,JPN,KOR"));
        await korea.ExpectOrSeenAsync(e => e.Uid == "marker-after-receipt", "the marker").WaitAsync(Long);

        var reader = Reader(_nodes.Rok, "ROK-JCS");
        var held = ReceiptsOf(_nodes.Rok).For(korean, reader);
        Assert.Contains(held, r => r is { IssuedBy: "JJOC", AcknowledgedAt: not null } && r.Version == first);
        Assert.DoesNotContain(held, r => r.Version == first + 1);
        foreach (var node in new[] { _nodes.Usfj!, _nodes.Rok })
        {
            var kept = await node.Node.Store.QueryAsync(new EventQuery(Type: WarningReceiptItem.Type), CancellationToken.None);
            Assert.DoesNotContain(kept, e => e.Event.Uid.Contains($"-{japanese}-{first + 1}-", StringComparison.Ordinal));
        }
    }
}
