using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// The warning intake (<c>--warning-intake</c>): a sensor's own TLS listener, read on a thread of
/// its own, that takes sensor reports and acknowledgements and nothing else.
/// </summary>
public sealed class WarningIntakeTests
{
    [Fact]
    public async Task A_report_on_the_intake_becomes_a_warning_at_every_entitled_client_and_the_sensor_gets_it_too()
    {
        await using var node = await TestNode.StartAsync(warningIntake: true);
        await using var rok = await node.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var sensor = await node.ConnectIntakeAsync("jpn-sensor-feed");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));

        var atRok = await rok.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning at the ROK watch");
        var atSensor = await sensor.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning back on the intake");
        Assert.Equal(atRok.Uid, atSensor.Uid);
        var id = atRok.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
        Assert.Single(await node.Node.Warnings.VersionsAsync(id, CancellationToken.None));

        // An acknowledgement on the intake counts like one on any listener.
        await sensor.SendAsync(WarningCot.Acknowledgement(id, 1, "jpn-sensor-feed", DateTime.UtcNow));
        await sensor.SendAsync(CotText.Ping("after-ack"));
        await sensor.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");
        Assert.Equal(1, node.Node.Metrics.WarningsAcknowledged);
    }

    [Fact]
    public async Task Each_warning_version_is_logged_with_how_long_its_store_and_its_hand_off_took_and_counted_in_the_metrics()
    {
        await using var node = await TestNode.StartAsync(warningIntake: true);
        await using var sensor = await node.ConnectIntakeAsync("jpn-sensor-feed");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));

        // Logged after the version is counted, so the figures are there once the entry is.
        var issued = await node.Logs.WaitForAsync(e => e.EventId.Id == 1011, TestNode.Timeout);
        Assert.Matches(@"stored in [0-9.]+ ms, then queued to [0-9]+ clients [0-9.]+ ms after its report was accepted", issued.Message);
        var metrics = node.Node.Metrics;
        Assert.Equal(1, metrics.WarningStoreTimes.Count);
        Assert.True(metrics.WarningIssueTimes.Sum >= metrics.WarningStoreTimes.Sum, "the hand-off includes the store");
        var text = metrics.ToPrometheusText();
        Assert.Contains("\nkizuna_warning_store_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("\nkizuna_warning_issue_seconds_bucket{le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anything_but_warning_input_on_the_intake_is_refused_with_the_reason_and_reaches_nobody()
    {
        await using var node = await TestNode.StartAsync(warningIntake: true);
        await using var watch = await node.ConnectTlsAsync("jjoc-watch");
        await using var sensor = await node.ConnectIntakeAsync("jpn-sensor-feed");

        await sensor.SendAsync(CotText.Position("not-a-report", "STRAY"));
        var notice = await sensor.ExpectAsync(e => e.Type == RefusalNotice.Type, "refusal notice");
        Assert.Contains("NotWarningInput", notice.Detail.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, node.Node.Metrics.IntakeRefusals);

        // A report after it goes through; the position was never published: not in history, not in the latest picture.
        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await watch.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning");
        await node.Node.Store.FlushAsync(CancellationToken.None);
        Assert.Empty(await node.Node.Store.QueryAsync(new EventQuery(Uid: "not-a-report"), CancellationToken.None));
        Assert.DoesNotContain(node.Node.Latest.Snapshot(DateTime.UtcNow), e => e.Event.Uid == "not-a-report");
    }
}
