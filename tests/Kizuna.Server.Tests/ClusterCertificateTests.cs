using System.Diagnostics;
using Kizuna.Core.Identity;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests.Engines;

namespace Kizuna.Server.Tests;

/// <summary>
/// The certificate registry of a clustered node in its PostgreSQL: a certificate revoked through
/// one instance, or by <c>kizuna certs revoke --postgres</c>, is refused by every instance and
/// its open connections there are closed.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterCertificateTests(EnginesFixture engines)
{
    [Fact]
    public async Task A_certificate_revoked_through_one_instance_is_refused_and_its_connection_closed_on_the_other()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        cluster.B.ErrorsExpected = true;
        var files = cluster.A.Issue("jjoc-lost-device");
        await using var atB = await cluster.B.ConnectTlsAsync(files);

        cluster.A.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "jjoc-lost-device", DateTime.UtcNow, "lost device")]);

        await atB.Closed.WaitAsync(TestNode.Timeout);
        var closed = await cluster.B.Logs.WaitForAsync(e => e.EventId.Id == 4010, TestNode.Timeout);
        Assert.Contains("lost device", closed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var again = await cluster.B.ConnectTlsAsync(files);
        });
        Assert.Contains(cluster.B.Node.CertificateAuthority.Registry.Issued(), i => i.Serial == files.Serial);
    }

    [Fact]
    public async Task A_certificate_revoked_by_the_command_line_against_the_database_is_refused_by_every_instance()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        cluster.A.ErrorsExpected = true;
        cluster.B.ErrorsExpected = true;
        var files = cluster.B.Issue("jjoc-left-the-watch");
        await using var atA = await cluster.A.ConnectTlsAsync(files);
        await using var atB = await cluster.B.ConnectTlsAsync(files);

        // The command line on another machine: a data directory of its own (a copy of the CA), the node's database.
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dataDir, "certs"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.Combine(dataDir, "certs"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        foreach (var file in Directory.GetFiles(Path.Combine(cluster.A.DataDir, "certs")).Where(f => !f.EndsWith(".json", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(dataDir, "certs", Path.GetFileName(file)));
        var (exit, output) = await KizunaAsync("certs", "revoke", "--data-dir", dataDir, "--postgres", cluster.Database, "--name", "jjoc-left-the-watch", "--reason", "left the watch");
        Assert.True(exit == 0, output);

        // Each instance closes its connection when it reads the revocation, and refuses the certificate from then on.
        await atA.Closed.WaitAsync(TestNode.Timeout);
        await atB.Closed.WaitAsync(TestNode.Timeout);
        foreach (var instance in new[] { cluster.A, cluster.B })
        {
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var again = await instance.ConnectTlsAsync(files);
            });
        }
    }

    private static async Task<(int Exit, string Output)> KizunaAsync(params string[] args)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var configuration = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
            dir = dir.Parent;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(dir!.FullName, "src", "Kizuna.Server", "bin", configuration, tfm, "kizuna.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
