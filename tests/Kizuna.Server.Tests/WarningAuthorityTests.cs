using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Who may speak on the warning path (issue 15): only a sensor feed of a sensor's operator (or
/// granted the sensor) reports for it, under its own nation; one nation's cancellation does not
/// close what another still supports; only who may see a version acknowledges it; receipts are
/// shown by view.
/// </summary>
public sealed class WarningAuthorityTests
{
    private static Task<CotEvent> ExpectWarningAsync(CotTestClient client, int version)
        => client.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType && e.Detail.Element(WarningCot.WarningElement)?.Attribute("version") == version.ToString(System.Globalization.CultureInfo.InvariantCulture), $"warning version {version}");

    private static async Task<string> ExpectRefusalAsync(CotTestClient client)
        => (await client.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice")).Detail.Element("__refusal")!.Attribute("reason")!;

    /// <summary>The Sado radar's launch report as a Korean Green Pine radar would send it, in the state given.</summary>
    private static string GreenPine(string state)
        => WarningExamples.Read("01-jpn-fps5-launch.xml")
            .Replace("JPN-FPS5-SADO-20001", "KOR-GREEN-PINE-1-" + state, StringComparison.Ordinal)
            .Replace("sensor=\"FPS5-SADO\" nation=\"JPN\"", "sensor=\"GREEN-PINE-1\" nation=\"KOR\"", StringComparison.Ordinal)
            .Replace("state=\"launch\"", $"state=\"{state}\"", StringComparison.Ordinal);

    [Fact]
    public async Task A_report_for_a_japanese_radar_from_anyone_but_its_sensor_feed_is_refused_counted_and_makes_no_warning_and_no_cap_alert()
    {
        await using var node = await TestNode.StartAsync();
        var report = WarningExamples.Read("01-jpn-fps5-launch.xml");

        await using (var anonymous = await node.ConnectTcpAsync())
        await using (var rokWatch = await node.ConnectTlsAsync("rok-watch", org: "ROK-JCS"))
        await using (var jjocWatch = await node.ConnectTlsAsync("jjoc-watch"))
        await using (var rokFeed = await node.ConnectSensorAsync("rok-feed", "ROKAF-OC"))
        await using (var usFeed = await node.ConnectSensorAsync("us-feed", "USFJ", "FPS5-SADO"))
        {
            // Labelled so the anonymous client (JJOC's default, Japan only) passes the label door.
            await anonymous.SendAsync(report.Replace("releasableTo=\"USA,JPN,KOR\"", "releasableTo=\"JPN\"", StringComparison.Ordinal));
            await rokWatch.SendAsync(report);
            await jjocWatch.SendAsync(report);
            // The anonymous listener's door refuses it before the warning path sees it.
            Assert.Equal(nameof(SendRefusal.NotPictureUpdate), await ExpectRefusalAsync(anonymous));
            Assert.Equal(nameof(ReportRefusal.NotSensorFeed), await ExpectRefusalAsync(rokWatch));
            Assert.Equal(nameof(ReportRefusal.NotSensorFeed), await ExpectRefusalAsync(jjocWatch));

            // A cancellation is a report like any other.
            await rokFeed.SendAsync(WarningExamples.Read("05-jpn-cancel.xml"));
            Assert.Equal(nameof(ReportRefusal.NotSensorOperator), await ExpectRefusalAsync(rokFeed));

            // Granted the sensor, but not of its nation.
            await usFeed.SendAsync(report);
            Assert.Equal(nameof(ReportRefusal.SenderNationMismatch), await ExpectRefusalAsync(usFeed));
        }

        Assert.Equal(2, node.Node.Metrics.ReportRefusalCount(ReportRefusal.NotSensorFeed));
        Assert.Equal(1, node.Node.Metrics.SenderRefusalCount(SendRefusal.NotPictureUpdate));
        Assert.Equal(1, node.Node.Metrics.ReportRefusalCount(ReportRefusal.NotSensorOperator));
        Assert.Equal(1, node.Node.Metrics.ReportRefusalCount(ReportRefusal.SenderNationMismatch));
        Assert.Equal(4, node.Logs.Entries.Count(e => e.EventId.Id == 1010));
        Assert.Empty(await node.Node.Warnings.LatestVersionsAsync(CancellationToken.None));
        using var http = node.CreateHttpClient();
        Assert.DoesNotContain("/api/cap/W-", await http.GetStringAsync("/api/cap"), StringComparison.Ordinal);

        // The radar's own feed is heard.
        await using var feed = await node.ConnectSensorAsync("sado-feed");
        await feed.SendAsync(report);
        await ExpectWarningAsync(feed, 1);
    }

    [Fact]
    public async Task A_korean_sensors_cancellation_does_not_close_a_warning_japanese_sensors_support_and_a_later_japanese_report_still_warns()
    {
        await using var node = await TestNode.StartAsync();
        await using var japan = await node.ConnectSensorAsync("jpn-feed", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var korea = await node.ConnectSensorAsync("rok-feed", "ROKAF-OC");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await japan.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await ExpectWarningAsync(jjoc, 1);

        // Korea's radar withdraws what it never supported: nothing changes, and nothing is refused.
        await korea.SendAsync(GreenPine("cancelled"));
        await korea.SendAsync(CotText.Ping("after-cancel"));
        await korea.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");

        await japan.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml"));
        var update = await ExpectWarningAsync(jjoc, 2);
        Assert.Equal("launch", update.Detail.Element(WarningCot.WarningElement)!.Attribute("stage"));
        Assert.Contains("JPN/DDG-MAYA", update.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"), StringComparison.Ordinal);
        Assert.DoesNotContain(korea.Received, e => e.Type == RefusalNotice.Type);
    }

    [Fact]
    public async Task An_acknowledgement_counts_only_from_an_identity_that_may_see_the_version_and_others_are_refused_counted_and_not_stored()
    {
        await using var node = await TestNode.StartAsync();
        await using var japan = await node.ConnectSensorAsync("jpn-feed", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var rok = await node.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var anonymous = await node.ConnectTcpAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await japan.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await japan.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml")); // Japan-only from version 2 on; Korea gets its view of 2
        await ExpectWarningAsync(rok, 2);
        await japan.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml")
            .Replace("JPN-DDG-MAYA-301", "JPN-DDG-MAYA-302", StringComparison.Ordinal)
            .Replace("confidence=\"0.9\"", "confidence=\"0.95\"", StringComparison.Ordinal)); // version 3: the full view only
        var japanOnly = await ExpectWarningAsync(jjoc, 3);
        Assert.Equal("JPN", japanOnly.ReleasableTo);
        var id = japanOnly.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;

        // Korea acknowledges version 3, which it may not see and never received; anonymous
        // acknowledges anything; Korea makes up an id.
        await rok.SendAsync(WarningCot.Acknowledgement(id, 3, "rok-watch", DateTime.UtcNow));
        Assert.Equal(nameof(AcknowledgementRefusal.UnknownWarning), await ExpectRefusalAsync(rok));
        await anonymous.SendAsync(WarningCot.Acknowledgement(id, 1, "anon", DateTime.UtcNow));
        Assert.Equal(nameof(SendRefusal.NotPictureUpdate), await ExpectRefusalAsync(anonymous));
        await rok.SendAsync(WarningCot.Acknowledgement("W-20000101T000000Z-99", 1, "rok-watch", DateTime.UtcNow));
        Assert.Equal(nameof(AcknowledgementRefusal.UnknownWarning), await ExpectRefusalAsync(rok));

        // JJOC may see version 3: its acknowledgement counts.
        await jjoc.SendAsync(WarningCot.Acknowledgement(id, 3, "jjoc-watch", DateTime.UtcNow));
        await jjoc.SendAsync(CotText.Ping("after-ack"));
        await jjoc.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");

        var receipts = await node.Node.Warnings.ReceiptsAsync(id, CancellationToken.None);
        Assert.DoesNotContain(receipts, r => r.AcknowledgedAt is not null && r.Recipient != "jjoc-watch");
        Assert.Contains(receipts, r => r.AcknowledgedAt is not null && r.Recipient == "jjoc-watch" && r.Version == 3);
        Assert.Empty(await node.Node.Warnings.ReceiptsAsync("W-20000101T000000Z-99", CancellationToken.None));
        Assert.Equal(2, node.Node.Metrics.AcknowledgementRefusalCount(AcknowledgementRefusal.UnknownWarning));
        Assert.Equal(1, node.Node.Metrics.SenderRefusalCount(SendRefusal.NotPictureUpdate));
        Assert.Equal(1, node.Node.Metrics.WarningsAcknowledged);
        Assert.Equal(2, node.Logs.Entries.Count(e => e.EventId.Id == 1033));

        // The HTTP path makes the same check.
        using var http = node.CreateHttpsClient(node.Issue("rok-api", org: "ROK-JCS"));
        using var refused = await http.PostAsJsonAsync($"/api/warnings/{id}/ack", new AckJson(3), ApiJsonContext.Default.AckJson);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task A_korean_reader_of_the_korean_view_never_sees_the_receipt_of_a_japanese_reader_of_the_full_view()
    {
        await using var node = await TestNode.StartAsync();
        await using var japan = await node.ConnectSensorAsync("jpn-feed", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var us = await node.ConnectSensorAsync("usa-feed", "USFJ");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");
        await using var rok = await node.ConnectTlsAsync("rok-watch", org: "ROK-JCS");

        await japan.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await us.SendAsync(WarningExamples.Read("02-usa-tpy2-track.xml"));
        await ExpectWarningAsync(rok, 2);
        await japan.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml"));
        var full = await ExpectWarningAsync(jjoc, 3);
        await ExpectWarningAsync(rok, 3); // Korea's view of version 3
        var id = full.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        await jjoc.SendAsync(WarningCot.Acknowledgement(id, 3, "jjoc-watch", DateTime.UtcNow));
        await rok.SendAsync(WarningCot.Acknowledgement(id, 3, "rok-watch", DateTime.UtcNow));
        foreach (var client in new[] { jjoc, rok })
        {
            await client.SendAsync(CotText.Ping("after-ack"));
            await client.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");
        }

        using var korean = node.CreateHttpsClient(node.Issue("rok-api", org: "ROK-JCS"));
        var seenByKorea = (await korean.GetFromJsonAsync($"/api/warnings/{id}", ApiJsonContext.Default.ListWarningJson))!.Single(v => v.Version == 3);
        Assert.Equal("KOR", seenByKorea.View);
        Assert.Contains(seenByKorea.Receipts, r => r.Recipient == "rok-watch");
        Assert.DoesNotContain(seenByKorea.Receipts, r => r.Organization == "JJOC");

        using var japanese = node.CreateHttpsClient(node.Issue("jjoc-api"));
        var seenByJapan = (await japanese.GetFromJsonAsync($"/api/warnings/{id}", ApiJsonContext.Default.ListWarningJson))!.Single(v => v.Version == 3);
        Assert.Contains(seenByJapan.Receipts, r => r.Recipient == "jjoc-watch");
    }

    [Fact]
    public async Task An_exercise_report_only_ever_makes_an_exercise_cap_alert()
    {
        await using var node = await TestNode.StartAsync();
        await using var korea = await node.ConnectSensorAsync("rok-sensor-desk", "ROKN-FLEET");
        await korea.SendAsync(WarningExamples.Read("exercise-freedom-edge.xml"));
        var warning = await ExpectWarningAsync(korea, 1);
        var id = warning.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;

        using var http = node.CreateHttpClient();
        var xml = await http.GetStringAsync($"/api/cap/{id}.xml");
        Assert.Contains("<status>Exercise</status>", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<status>Actual</status>", xml, StringComparison.Ordinal);
    }
}
