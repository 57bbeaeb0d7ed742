using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Postgres;
using Kizuna.Storage.Tests.Engines;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Server.Tests;

/// <summary>
/// One issuer of warnings per clustered node (docs/dev/warning-lease.md), in this process on the
/// throwaway PostgreSQL and NATS: a report sent to the instance without the lease is issued by
/// the one with it, once; an instance that takes over from a dead issuer announces what it left
/// stored and unannounced and fuses the reports stored for it, each to every client once.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterWarningLeaseTests(EnginesFixture engines)
{
    [Fact]
    public async Task A_report_sent_to_the_instance_without_the_lease_is_issued_by_the_lease_holder_once_to_the_clients_of_both()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        Assert.True(Desk(cluster.A).IsIssuer);
        Assert.False(Desk(cluster.B).IsIssuer);
        await using var sensor = await cluster.B.ConnectSensorAsync("jpn-sensor-b", "JJOC", "FPS5-SADO");
        await using var atA = await cluster.A.ConnectTlsAsync("jjoc-watch-a");
        await using var atB = await cluster.B.ConnectTlsAsync("jjoc-watch-b");

        await sensor.SendAsync(SensorReports.Launch("lease-fwd-1", 1));
        await sensor.SendAsync(SensorReports.Launch("lease-fwd-2", 2));

        foreach (var client in new[] { atA, atB })
        {
            var first = SensorReports.Of(await client.ExpectAsync(SensorReports.IsWarning, "the first warning"));
            var second = SensorReports.Of(await client.ExpectAsync(SensorReports.IsWarning, "the second warning"));
            Assert.NotEqual(first.Id, second.Id);
            Assert.Equal(("1", "1"), (first.Version, second.Version));
        }

        var fusedAtA = cluster.A.Node.Services.GetRequiredService<SensorReportIntake>().FusedCount(FusionResult.Published);
        var fusedAtB = cluster.B.Node.Services.GetRequiredService<SensorReportIntake>().FusedCount(FusionResult.Published);
        Assert.Equal((2, 0), (fusedAtA, fusedAtB));
        Assert.Empty(await Issuer(cluster.A).ForwardedAsync(10, CancellationToken.None));

        // A third warning, sent to the issuer itself, comes after any repeat of the first two would have.
        await using var sensorAtA = await cluster.A.ConnectSensorAsync("jpn-sensor-a", "JJOC", "FPS5-SADO");
        await sensorAtA.SendAsync(SensorReports.Launch("lease-fwd-3", 3));
        await atA.ExpectAsync(SensorReports.IsWarning, "the third warning");
        await atB.ExpectAsync(SensorReports.IsWarning, "the third warning");
        foreach (var client in new[] { atA, atB })
        {
            var warnings = client.Received.Where(SensorReports.IsWarning).Select(SensorReports.Of).ToList();
            Assert.Equal(3, warnings.Count);
            Assert.Equal(3, warnings.Distinct().Count());
        }
    }

    [Fact]
    public async Task An_instance_that_takes_the_lease_from_a_dead_issuer_announces_what_it_stored_and_fuses_what_was_stored_for_it_once_each()
    {
        var database = await engines.Postgres.NewDatabaseAsync();
        await using var deadIssuer = new PostgresWarningIssuer(database, new Kizuna.Core.Labels.LabelPolicy(Kizuna.Core.Alliance.ProfileLoader.LoadDefault()));
        await using (var schema = new PostgresWarningStore(database, new Kizuna.Core.Labels.LabelPolicy(Kizuna.Core.Alliance.ProfileLoader.LoadDefault())))
            await schema.InitializeAsync(CancellationToken.None);
        await deadIssuer.InitializeAsync(CancellationToken.None);
        var now = DateTime.UtcNow;
        Assert.True(await deadIssuer.TryHoldAsync("dead-instance", now, now.AddHours(1), CancellationToken.None));

        await using var survivor = await TestNode.StartAsync(postgres: database, nats: engines.Nats.Url, configure: s => s with { WarningLease = TimeSpan.FromSeconds(2) });
        Assert.False(Desk(survivor).IsIssuer);
        await using var japan = await survivor.ConnectTlsAsync("jjoc-survivor");
        await using var korea = await survivor.ConnectTlsAsync("rok-survivor", org: "ROK-JCS");
        await using var sensor = await survivor.ConnectSensorAsync("jpn-sensor-survivor", "JJOC", "FPS5-SADO");

        // What the dead issuer left: a version stored but never announced, and a report stored for it.
        var labels = survivor.Node.Labels;
        var stored = Report(labels, "dead-stored", 4);
        var version = new WarningVersion(
            "JJOC-W-DEAD-1", 1, WarningStage.Launch, false, DateTime.UtcNow, stored.LaunchTime, stored.LaunchPoint, null, null, 0.6, [], ["JPN/FPS5-SADO"], stored.Label);
        await survivor.Node.Warnings.AppendAsync([version], stored, CancellationToken.None);
        await Task.Run(() => deadIssuer.StoreForIssuer(Report(labels, "dead-forwarded", 5), "jpn-sensor-b", "JJOC", CancellationToken.None));
        // Reports sent now are stored for the issuer too: there is none yet.
        await sensor.SendAsync(SensorReports.Launch("while-no-issuer", 6));
        await WaitForAsync(async () => (await deadIssuer.ForwardedAsync(10, CancellationToken.None)).Count == 2, "the report sent while no instance issues to be stored for the issuer");

        // The dead instance's lease ends (as its expiry would): the survivor takes it at its next renewal.
        await deadIssuer.ReleaseAsync("dead-instance", CancellationToken.None);

        var seen = new Dictionary<CotTestClient, HashSet<string>>();
        foreach (var client in new[] { japan, korea })
        {
            var ids = seen[client] = new HashSet<string>(StringComparer.Ordinal);
            for (var n = 0; n < 3; n++)
                ids.Add(SensorReports.Of(await client.ExpectAsync(SensorReports.IsWarning, $"warning {n + 1} of 3")).Id);
            Assert.Contains("JJOC-W-DEAD-1", ids);
            Assert.Equal(3, ids.Count);
        }

        Assert.True(Desk(survivor).IsIssuer);
        // Each stored report is forgotten once its warning is stored (just after it is queued to the clients).
        await WaitForAsync(async () => (await deadIssuer.ForwardedAsync(10, CancellationToken.None)).Count == 0, "the reports stored for the issuer to be done");
        await WaitForAsync(async () => (await deadIssuer.UnannouncedSinceAsync(DateTime.UtcNow.AddHours(-1), CancellationToken.None)).Count == 0, "every stored version marked announced");

        // A later warning comes after any repeat of the first three would have.
        await sensor.SendAsync(SensorReports.Launch("after-takeover", 7));
        foreach (var client in new[] { japan, korea })
        {
            await client.ExpectAsync(e => SensorReports.IsWarning(e) && !seen[client].Contains(SensorReports.Of(e).Id), "the warning after the takeover");

            var warnings = client.Received.Where(SensorReports.IsWarning).Select(SensorReports.Of).ToList();
            Assert.Equal(4, warnings.Count);
            Assert.Equal(4, warnings.Distinct().Count());
        }
    }

    [Fact]
    public async Task A_client_sent_a_version_on_connect_is_not_sent_it_again_when_its_instance_takes_over_and_announces_it()
    {
        var database = await engines.Postgres.NewDatabaseAsync();
        var labels = new Kizuna.Core.Labels.LabelPolicy(Kizuna.Core.Alliance.ProfileLoader.LoadDefault());
        await using var deadIssuer = new PostgresWarningIssuer(database, labels);
        await using (var schema = new PostgresWarningStore(database, labels))
            await schema.InitializeAsync(CancellationToken.None);
        await deadIssuer.InitializeAsync(CancellationToken.None);
        var now = DateTime.UtcNow;
        Assert.True(await deadIssuer.TryHoldAsync("dead-instance", now, now.AddHours(1), CancellationToken.None));
        await using var survivor = await TestNode.StartAsync(postgres: database, nats: engines.Nats.Url, configure: s => s with { WarningLease = TimeSpan.FromSeconds(2) });

        // The dead issuer stored a version and died before announcing it; a client connects (to the restarted survivor) and is sent it, unacknowledged.
        var stored = Report(survivor.Node.Labels, "dead-stored-once", 4);
        var version = new WarningVersion(
            "JJOC-W-DEAD-ONCE", 1, WarningStage.Launch, false, DateTime.UtcNow, stored.LaunchTime, stored.LaunchPoint, null, null, 0.6, [], ["JPN/FPS5-SADO"], stored.Label);
        await survivor.Node.Warnings.AppendAsync([version], stored, CancellationToken.None);
        await using var japan = await survivor.ConnectTlsAsync("jjoc-reconnected");
        Assert.Equal("JJOC-W-DEAD-ONCE", SensorReports.Of(await japan.ExpectOrSeenAsync(SensorReports.IsWarning, "the stored version, sent on connect")).Id);
        await WaitForAsync(
            async () => (await survivor.Node.Warnings.ReceiptsAsync("JJOC-W-DEAD-ONCE", CancellationToken.None)).Any(r => r.Recipient == "jjoc-reconnected"),
            "the delivery on connect to be recorded");

        // The survivor takes the lease and announces what the dead issuer left unannounced.
        await deadIssuer.ReleaseAsync("dead-instance", CancellationToken.None);
        await WaitForAsync(async () => (await deadIssuer.UnannouncedSinceAsync(DateTime.UtcNow.AddHours(-1), CancellationToken.None)).Count == 0, "the stored version announced");

        // A later warning comes after any repeat would have.
        await using var sensor = await survivor.ConnectSensorAsync("jpn-sensor-once", "JJOC", "FPS5-SADO");
        await sensor.SendAsync(SensorReports.Launch("after-takeover-once", 7));
        await japan.ExpectAsync(e => SensorReports.IsWarning(e) && SensorReports.Of(e).Id != "JJOC-W-DEAD-ONCE", "the warning after the takeover");
        Assert.Single(japan.Received, e => SensorReports.IsWarning(e) && SensorReports.Of(e).Id == "JJOC-W-DEAD-ONCE");
    }

    private static WarningDesk Desk(TestNode node) => node.Node.Services.GetRequiredService<WarningDesk>();

    private static IWarningIssuerStore Issuer(TestNode node) => node.Node.Services.GetRequiredService<IWarningIssuerStore>();

    private static SensorReport Report(Kizuna.Core.Labels.LabelPolicy labels, string id, int launch)
    {
        var now = DateTime.UtcNow;
        return new SensorReport(
            id, "FPS5-SADO", "JPN", now, now.AddSeconds(-(30 + (launch * 150))), new GeoPoint(39.2, 125.67), TrackState.Launch, null, null, 0.6, false,
            labels.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"], [], null), now);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestNode.Timeout;
        while (!await condition())
        {
            // Polls the shared database (bounded): no event tells a test that a row was written.
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
