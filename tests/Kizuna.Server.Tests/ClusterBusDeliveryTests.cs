using Kizuna.Cluster;
using Kizuna.Core.Warnings;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests.Engines;

namespace Kizuna.Server.Tests;

/// <summary>
/// What an instance takes from the bus reaches each of its clients once. Every instance has at
/// least two consumers of the one stream (events, warning notices); Debian's nats-server 2.9
/// ignores the filter list NATS.Net's ordered consumer sends, so each consumer was given the whole
/// stream and every event crossed twice (found by bench/cluster.sh: a fraction of 3 where 2 was due).
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterBusDeliveryTests(EnginesFixture engines)
{
    private const string ReleasableToAll = "USA, JPN, KOR";

    [Fact]
    public async Task Each_event_from_the_other_instance_reaches_a_client_once_and_so_does_the_warning()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        await using var sender = await cluster.A.ConnectTlsAsync("jjoc-a-sender");
        await using var sensor = await cluster.A.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var watcher = await cluster.B.ConnectTlsAsync("jjoc-b-watch");

        for (var i = 0; i < 10; i++)
            await sender.SendAsync(CotText.Labelled($"once-{i}", $"ONCE{i}", "UNCLASSIFIED", ReleasableToAll));
        await watcher.ExpectUidAsync("once-9");

        // The warning notice follows those events in the stream: once B's client has the warning,
        // B's notice consumer has passed every one of them, and whatever it handed on is queued.
        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        var warning = await watcher.ExpectAsync(e => e.Type == WarningCot.WarningType, "the warning on instance B");
        // One more event behind anything queued on the picture lane, so all of it has been written.
        await sender.SendAsync(CotText.Labelled("once-last", "ONCELAST", "UNCLASSIFIED", ReleasableToAll));
        await watcher.ExpectUidAsync("once-last");

        var received = watcher.Received;
        for (var i = 0; i < 10; i++)
            Assert.Single(received, e => e.Uid == $"once-{i}");
        Assert.Single(received, e => e.Uid == warning.Uid);
    }

    [Theory]
    [InlineData("kizuna.JJOC.ev.>", "kizuna.JJOC.ev.2.1.0.1", true)]
    [InlineData("kizuna.JJOC.ev.>", "kizuna.JJOC.warning", false)]
    [InlineData("kizuna.JJOC.ev.>", "kizuna.JJOC.ev", false)]
    [InlineData("kizuna.JJOC.warning", "kizuna.JJOC.warning", true)]
    [InlineData("kizuna.JJOC.warning", "kizuna.JJOC.ev.0.1.1.1", false)]
    [InlineData("kizuna.JJOC.ev.*.*.1.*", "kizuna.JJOC.ev.3.0.1.0", true)]
    [InlineData("kizuna.JJOC.ev.*.*.1.*", "kizuna.JJOC.ev.3.1.0.1", false)]
    [InlineData("kizuna.JJOC.ev.*.*.1.*", "kizuna.JJOC.ev.3.0.1", false)]
    [InlineData("kizuna.JJOC.ev.*.*.1.*", "kizuna.JJOC.ev.3.0.1.0.1", false)]
    public void A_consumer_takes_only_the_subjects_its_filter_names(string filter, string subject, bool matches)
        => Assert.Equal(matches, ClusterSubjects.Matches(filter, subject));
}
