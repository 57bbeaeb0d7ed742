using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// The warning path through a real node, driven by the shipped examples in docs/examples/warning:
/// reports of two nations fuse into one warning; it reaches every entitled client on the warning
/// lane, is stored first, acknowledged, sent again on reconnect until acknowledged, and becomes
/// a public CAP alert.
/// </summary>
public sealed class WarningTests
{
    private static Task<CotEvent> ExpectWarningAsync(CotTestClient client, int version)
        => client.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType && e.Detail.Element(WarningCot.WarningElement)?.Attribute("version") == version.ToString(System.Globalization.CultureInfo.InvariantCulture), $"warning version {version}");

    [Fact]
    public async Task Reports_of_two_nations_about_one_launch_become_one_warning_that_every_entitled_client_receives_and_acknowledges()
    {
        await using var node = await TestNode.StartAsync();
        await using var japanSensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var usSensor = await node.ConnectSensorAsync("usa-sensor-desk", "USFJ");
        var rokFiles = node.Issue("rok-watch", org: "ROK-JCS");
        await using var rok = await node.ConnectTlsAsync(rokFiles);

        await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        var first = await ExpectWarningAsync(rok, 1);
        await usSensor.SendAsync(WarningExamples.Read("02-usa-tpy2-track.xml"));
        var second = await ExpectWarningAsync(rok, 2);
        await ExpectWarningAsync(japanSensor, 2);
        await ExpectWarningAsync(usSensor, 2);

        Assert.Equal(first.Uid, second.Uid); // one warning, updated
        var element = second.Detail.Element(WarningCot.WarningElement)!;
        var warningId = element.Attribute("id")!;
        Assert.Equal("false", element.Attribute("exercise"));

        // Stored durably before anyone was told: both versions are in the warning store.
        var stored = await node.Node.Warnings.VersionsAsync(warningId, CancellationToken.None);
        Assert.Equal([1, 2], stored.Select(v => v.Version).ToArray());

        // The ROK watch acknowledges version 2; a ping after it proves the node has recorded it.
        await rok.SendAsync(WarningCot.Acknowledgement(warningId, 2, "rok-watch", DateTime.UtcNow));
        await rok.SendAsync(CotText.Ping("after-ack"));
        await rok.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");

        using var http = node.CreateHttpsClient(rokFiles);
        var versions = await http.GetFromJsonAsync($"/api/warnings/{warningId}", ApiJsonContext.Default.ListWarningJson);
        var v2 = versions!.Single(v => v.Version == 2);
        var receipt = Assert.Single(v2.Receipts, r => r.Recipient == "rok-watch");
        Assert.Equal("ROK-JCS", receipt.Organization);
        Assert.NotNull(receipt.DeliveredAt);
        Assert.NotNull(receipt.AcknowledgedAt);
        Assert.Equal(1, node.Node.Metrics.WarningsAcknowledged);
    }

    [Fact]
    public async Task A_report_after_a_restart_joins_the_warning_it_belongs_to_and_continues_its_versions()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        string warningId;
        await using (var first = await TestNode.StartAsync(dataDir: dataDir))
        {
            first.KeepDataDir = true;
            await using var japanSensor = await first.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
            await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
            var v1 = await ExpectWarningAsync(japanSensor, 1);
            warningId = v1.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        }

        await using var restarted = await TestNode.StartAsync(dataDir: dataDir);
        await using var usSensor = await restarted.ConnectSensorAsync("usa-sensor-desk", "USFJ");
        await usSensor.SendAsync(WarningExamples.Read("02-usa-tpy2-track.xml"));
        var v2 = await ExpectWarningAsync(usSensor, 2);

        Assert.Equal(warningId, v2.Detail.Element(WarningCot.WarningElement)!.Attribute("id"));
        Assert.Equal("JPN/FPS5-SADO,USA/TPY2-SHARIKI", v2.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"));
        var stored = await restarted.Node.Warnings.VersionsAsync(warningId, CancellationToken.None);
        Assert.Equal([1, 2], stored.Select(v => v.Version).ToArray());
    }

    [Fact]
    public async Task A_node_given_a_warning_directory_stores_its_warnings_there_and_finds_them_after_a_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        var warningDir = Path.Combine(Path.GetTempPath(), "kizuna-test-warnings-" + Guid.NewGuid().ToString("N"));
        try
        {
            string warningId;
            await using (var first = await TestNode.StartAsync(dataDir: dataDir, warningDir: warningDir))
            {
                first.KeepDataDir = true;
                await using var japanSensor = await first.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
                await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
                var v1 = await ExpectWarningAsync(japanSensor, 1);
                warningId = v1.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
                Assert.Contains(first.Logs.Entries, e => e.EventId.Id == 4002 && e.Message.Contains(Path.GetFullPath(warningDir), StringComparison.Ordinal));
            }

            Assert.True(File.Exists(Path.Combine(warningDir, "warnings.db")));
            Assert.False(File.Exists(Path.Combine(dataDir, "warnings.db")));
            Assert.True(File.Exists(Path.Combine(dataDir, "kizuna.db"))); // the event history stays in the data directory

            await using var restarted = await TestNode.StartAsync(dataDir: dataDir, warningDir: warningDir);
            var stored = await restarted.Node.Warnings.VersionsAsync(warningId, CancellationToken.None);
            Assert.Equal([1], stored.Select(v => v.Version).ToArray());
        }
        finally
        {
            if (Directory.Exists(warningDir))
                Directory.Delete(warningDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_japan_only_report_never_reaches_korea_through_a_warning_and_korea_keeps_its_own_view_to_the_cancellation()
    {
        await using var node = await TestNode.StartAsync();
        await using var japanSensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var usSensor = await node.ConnectSensorAsync("usa-sensor-desk", "USFJ");
        await using var rok = await node.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await usSensor.SendAsync(WarningExamples.Read("02-usa-tpy2-track.xml"));
        var shared = await ExpectWarningAsync(rok, 2);
        await japanSensor.SendAsync(WarningExamples.Read("03-jpn-aegis-update.xml")); // releasable to JPN only
        var third = await ExpectWarningAsync(jjoc, 3);
        Assert.Equal("JPN", third.ReleasableTo);
        Assert.Contains("JPN/DDG-MAYA", third.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"), StringComparison.Ordinal);

        // Korea gets its own view of version 3: fused from what it may see, so it says what version 2 said.
        var korean = await ExpectWarningAsync(rok, 3);
        Assert.Equal(shared.ReleasableTo, korean.ReleasableTo);
        Assert.Equal(shared.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"), korean.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"));
        Assert.Equal(shared.Point, korean.Point);

        // The United States withdraws: Japan's sensors still support the warning, so it stays
        // open; Korea's view now fuses 01 alone.
        await usSensor.SendAsync(WarningExamples.Read("04-cancel.xml"));
        var withdrawnForKorea = await ExpectWarningAsync(rok, 4);
        Assert.Equal("launch", withdrawnForKorea.Detail.Element(WarningCot.WarningElement)!.Attribute("stage"));
        Assert.Equal("JPN/FPS5-SADO", withdrawnForKorea.Detail.Element(WarningCot.WarningElement)!.Attribute("sensors"));
        Assert.Equal("launch", (await ExpectWarningAsync(jjoc, 4)).Detail.Element(WarningCot.WarningElement)!.Attribute("stage"));

        // Japan withdraws too, releasable to all: no support is left, and both are told it is cancelled.
        await japanSensor.SendAsync(WarningExamples.Read("05-jpn-cancel.xml"));
        Assert.Equal("cancelled", (await ExpectWarningAsync(rok, 5)).Detail.Element(WarningCot.WarningElement)!.Attribute("stage"));
        Assert.Equal("cancelled", (await ExpectWarningAsync(jjoc, 5)).Detail.Element(WarningCot.WarningElement)!.Attribute("stage"));

        // Nothing Japan-only ever reached the ROK watch: not the label, not the sensor.
        Assert.DoesNotContain(rok.Received, e => e.Type == WarningCot.WarningType && (e.ReleasableTo == "JPN" || (e.Detail.Element(WarningCot.WarningElement)?.Attribute("sensors") ?? "").Contains("DDG-MAYA", StringComparison.Ordinal)));

        // Over HTTP too: the ROK watch's history is its own view at every version.
        using var http = node.CreateHttpsClient(node.Issue("rok-api", org: "ROK-JCS"));
        var id = korean.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        var history = await http.GetFromJsonAsync($"/api/warnings/{id}", ApiJsonContext.Default.ListWarningJson);
        Assert.Equal([1, 2, 3, 4, 5], history!.Select(v => v.Version).ToArray());
        Assert.Equal(["", "", "KOR", "KOR", "KOR"], history!.Select(v => v.View).ToArray());
        Assert.All(history!, v => Assert.Contains("KOR", v.Label.ReleasableTo));
    }

    [Fact]
    public async Task A_client_that_reconnects_gets_every_warning_it_has_not_acknowledged_again()
    {
        await using var node = await TestNode.StartAsync();
        await using var japanSensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        var rokFiles = node.Issue("rok-watch", org: "ROK-JCS");
        var jjocFiles = node.Issue("jjoc-watch");
        string warningId;
        await using (var rok = await node.ConnectTlsAsync(rokFiles))
        await using (var jjoc = await node.ConnectTlsAsync(jjocFiles))
        {
            await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
            await ExpectWarningAsync(rok, 1);
            var seen = await ExpectWarningAsync(jjoc, 1);
            warningId = seen.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
            await jjoc.SendAsync(WarningCot.Acknowledgement(warningId, 1, "jjoc-watch", DateTime.UtcNow));
            await jjoc.SendAsync(CotText.Ping("after-ack"));
            await jjoc.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");
        }

        await using var rokAgain = await node.ConnectTlsAsync(rokFiles);
        await ExpectWarningAsync(rokAgain, 1);

        await using var jjocAgain = await node.ConnectTlsAsync(jjocFiles);
        await japanSensor.SendAsync(CotText.Labelled("resend-barrier", "BARRIER", "UNCLASSIFIED", "USA,JPN,KOR"));
        await jjocAgain.ExpectUidAsync("resend-barrier");
        Assert.DoesNotContain(jjocAgain.Received, e => e.Type == WarningCot.WarningType);
    }

    [Fact]
    public async Task An_organization_that_does_not_acknowledge_is_sent_the_warning_again_and_escalated_up_its_national_chain()
    {
        await using var node = await TestNode.StartAsync(warningResend: TimeSpan.FromMilliseconds(300), warningEscalate: TimeSpan.FromMilliseconds(600));
        await using var sensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var component = await node.ConnectTlsAsync("gcc-watch", org: "JGSDF-GCC");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        var first = await ExpectWarningAsync(component, 1);
        var id = first.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        foreach (var client in new[] { sensor, jjoc })
        {
            await ExpectWarningAsync(client, 1);
            await client.SendAsync(WarningCot.Acknowledgement(id, 1, "ack", DateTime.UtcNow));
        }

        // The component never acknowledges: it gets the warning again, and its commander (JJOC) is told.
        await component.ExpectAsync(e => e.Uid == first.Uid, "the warning sent again");
        var escalation = await jjoc.ExpectOrSeenAsync(e => e.Detail.Element(WarningCot.WarningElement)?.Attribute("escalatedFrom") == "JGSDF-GCC", "the escalation");
        Assert.Equal(WarningCot.WarningType, escalation.Type);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1015 && e.Message.Contains("JGSDF-GCC", StringComparison.Ordinal), TestNode.Timeout);

        using var http = node.CreateHttpsClient(node.Issue("jjoc-reader"));
        var versions = await http.GetFromJsonAsync($"/api/warnings/{id}", ApiJsonContext.Default.ListWarningJson);
        var v1 = Assert.Single(versions!);
        Assert.Equal(["JGSDF-GCC"], v1.NotAcknowledgedBy);
        Assert.Contains("JGSDF-GCC", v1.EscalatedFor);
    }

    [Fact]
    public async Task Escalation_fires_when_the_nodes_clock_passes_the_deadline_and_not_before()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var node = await TestNode.StartAsync(warningResend: TimeSpan.FromSeconds(30), warningEscalate: TimeSpan.FromMinutes(2), time: clock);
        await using var sensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var component = await node.ConnectTlsAsync("gcc-watch", org: "JGSDF-GCC");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        var first = await ExpectWarningAsync(component, 1);
        var id = first.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        foreach (var client in new[] { sensor, jjoc })
        {
            await ExpectWarningAsync(client, 1);
            await client.SendAsync(WarningCot.Acknowledgement(id, 1, "ack", DateTime.UtcNow));
        }

        await node.Logs.WaitForAsync(e => e.EventId.Id == 1012, 2, TestNode.Timeout);
        Assert.DoesNotContain(node.Logs.Entries, e => e.EventId.Id == 1015);

        // Past two minutes on the node's clock, with no wall-clock wait: the sweep resends, then escalates.
        for (var step = 0; step < 6; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(35));
        }

        var escalation = await jjoc.ExpectOrSeenAsync(e => e.Detail.Element(WarningCot.WarningElement)?.Attribute("escalatedFrom") == "JGSDF-GCC", "the escalation");
        Assert.Equal(WarningCot.WarningType, escalation.Type);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1015 && e.Message.Contains("JGSDF-GCC", StringComparison.Ordinal), TestNode.Timeout);
    }

    [Fact]
    public async Task An_exercise_report_becomes_a_warning_marked_exercise_and_its_cap_alert_says_exercise()
    {
        await using var node = await TestNode.StartAsync();
        await using var korea = await node.ConnectSensorAsync("rok-sensor-desk", "ROKN-FLEET");
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");

        await korea.SendAsync(WarningExamples.Read("exercise-freedom-edge.xml"));
        var warning = await ExpectWarningAsync(jjoc, 1);
        Assert.Equal("e", warning.Opex);
        Assert.Equal("true", warning.Detail.Element(WarningCot.WarningElement)!.Attribute("exercise"));
        Assert.StartsWith("EXERCISE", warning.Detail.Element("remarks")!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_warning_is_listed_in_the_cap_feed_and_served_as_a_cap_alert()
    {
        await using var node = await TestNode.StartAsync();
        await using var japanSensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var usSensor = await node.ConnectSensorAsync("usa-sensor-desk", "USFJ");
        await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await usSensor.SendAsync(WarningExamples.Read("02-usa-tpy2-track.xml"));
        var warning = await ExpectWarningAsync(japanSensor, 2);
        var id = warning.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;

        using var http = node.CreateHttpClient(); // CAP is public: no identity needed
        var feed = await http.GetStringAsync("/api/cap");
        Assert.Contains($"/api/cap/{id}.1.xml", feed, StringComparison.Ordinal);
        Assert.Contains($"/api/cap/{id}.2.xml", feed, StringComparison.Ordinal);

        var alert = await http.GetAsync($"/api/cap/{id}.2.xml");
        Assert.Equal(HttpStatusCode.OK, alert.StatusCode);
        var xml = await alert.Content.ReadAsStringAsync();
        Assert.Contains("<msgType>Update</msgType>", xml, StringComparison.Ordinal);
        Assert.Contains("<language>ja-JP</language>", xml, StringComparison.Ordinal);
        Assert.Contains("<language>ko-KR</language>", xml, StringComparison.Ordinal);
        Assert.Empty(CapRulesCheck(xml));

        // The warning's own name serves its newest public alert; a version that does not exist is 404.
        Assert.Equal(xml, await http.GetStringAsync($"/api/cap/{id}.xml"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/cap/{id}.9.xml")).StatusCode);
    }

    [Fact]
    public async Task A_report_from_an_unknown_sensor_is_refused_with_its_reason_and_never_fused()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await sender.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml").Replace("sensor=\"FPS5-SADO\"", "sensor=\"NO-SUCH-RADAR\"", StringComparison.Ordinal));

        var notice = await sender.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice");
        Assert.Equal(nameof(ReportRefusal.UnknownSensor), notice.Detail.Element("__refusal")!.Attribute("reason"));
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1010, TestNode.Timeout);
        Assert.Equal(1, node.Node.Metrics.ReportRefusalCount(ReportRefusal.UnknownSensor));
        Assert.Empty(await node.Node.Warnings.LatestVersionsAsync(CancellationToken.None));
    }

    private static IReadOnlyList<string> CapRulesCheck(string xml) => Kizuna.Core.Warnings.Cap.CapRules.Check(xml);
}
