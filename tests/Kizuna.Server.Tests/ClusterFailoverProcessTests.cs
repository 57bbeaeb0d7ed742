using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Server.Hosting;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests.Engines;

namespace Kizuna.Server.Tests;

/// <summary>
/// Two instances of one node as real processes on the throwaway PostgreSQL and NATS: the instance
/// holding the warning lease is killed with SIGKILL during a burst of sensor reports, and every
/// report's warning reaches every entitled client of the survivor exactly once.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterFailoverProcessTests(EnginesFixture engines)
{
    private const int Reports = 40;

    [Fact]
    public async Task Killing_the_warning_issuer_during_a_burst_of_reports_loses_no_warning_and_repeats_none_at_the_survivor()
    {
        var database = await engines.Postgres.NewDatabaseAsync();
        var dataA = ClusterProcesses.PrivateDirectory();
        var dataB = ClusterProcesses.PrivateDirectory();
        var labels = KizunaNode.LoadLabelPolicy(null, "JJOC");
        ClientCertificateFiles japanFiles, koreaFiles, sensorAFiles, sensorBFiles;
        using (var authority = NodeCertificateAuthority.LoadOrCreate(dataA))
        {
            // Issued before the second instance gets its copy of the certificates, as an operator deploys them.
            japanFiles = ClusterProcesses.Issue(authority, labels, new IdentityClaims("jjoc-survivor-watch", "JPN", "JJOC", "operator", "SECRET", []));
            koreaFiles = ClusterProcesses.Issue(authority, labels, new IdentityClaims("rok-survivor-watch", "KOR", "ROK-JCS", "operator", "SECRET", []));
            sensorAFiles = ClusterProcesses.Issue(authority, labels, new IdentityClaims("jpn-sensor-to-a", "JPN", "JJOC", SensorAuthority.SensorFeedRole, "SECRET", ["sensor:FPS5-SADO"]));
            sensorBFiles = ClusterProcesses.Issue(authority, labels, new IdentityClaims("jpn-sensor-to-b", "JPN", "JJOC", SensorAuthority.SensorFeedRole, "SECRET", ["sensor:FPS5-SADO"]));
        }

        foreach (var file in Directory.GetFiles(Path.Combine(dataA, "certs")))
            File.Copy(file, Path.Combine(dataB, "certs", Path.GetFileName(file)));
        string[] cluster = ["--postgres", database, "--nats", engines.Nats.Url, "--warning-lease", "3s", "--warning-resend", "10m", "--warning-escalate", "10m"];

        // A starts first and takes the lease before it says it is ready.
        await using var a = await NodeProcess.StartAsync(dataA, "JJOC", "--cot-tls", cluster);
        await using var b = await NodeProcess.StartAsync(dataB, "JJOC", "--cot-tls", cluster);
        Assert.True(a.Wrote("took the warning lease"), a.Output);
        await using var japan = await ClusterProcesses.Connect(b, japanFiles);
        await using var korea = await ClusterProcesses.Connect(b, koreaFiles);
        await using var sensorA = await ClusterProcesses.Connect(a, sensorAFiles);
        await using var sensorB = await ClusterProcesses.Connect(b, sensorBFiles);

        // Each report a launch of its own; the same bytes when a report is sent again.
        var reports = Enumerable.Range(0, Reports + 1).Select(i => SensorReports.Launch($"burst-{i}", i)).ToArray();
        var sentToA = new List<int>();
        for (var i = 0; i < Reports; i++)
        {
            if (i == Reports / 2)
                a.Kill();
            if (i % 2 == 0)
            {
                // A sensor sends again what it has no word of: every report it gave A, once A is gone.
                sentToA.Add(i);
                if (i < Reports / 2)
                    await sensorA.SendAsync(reports[i]);
            }
            else
            {
                await sensorB.SendAsync(reports[i]);
            }
        }

        foreach (var i in sentToA)
            await sensorB.SendAsync(reports[i]);

        var expected = Reports;
        foreach (var client in new[] { japan, korea })
        {
            for (var n = 0; n < expected; n++)
            {
                try
                {
                    await client.ExpectAsync(SensorReports.IsWarning, $"warning {n + 1} of {expected}");
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"{n} of {expected} warnings reached the client.\nB:\n{b.Output}");
                }
            }
        }

        // One more, after any repeat of the burst's warnings would have come.
        await sensorB.SendAsync(reports[Reports]);
        foreach (var client in new[] { japan, korea })
        {
            await client.ExpectAsync(SensorReports.IsWarning, "the warning after the burst");
            var warnings = client.Received.Where(SensorReports.IsWarning).Select(SensorReports.Of).ToList();
            Assert.Equal(Reports + 1, warnings.Select(w => w.Id).Distinct().Count());
            Assert.Equal(Reports + 1, warnings.Count);
            Assert.All(warnings, w => Assert.Equal("1", w.Version));
        }

        Assert.True(b.Wrote("took the warning lease"), b.Output);
    }
}
