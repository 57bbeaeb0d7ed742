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
