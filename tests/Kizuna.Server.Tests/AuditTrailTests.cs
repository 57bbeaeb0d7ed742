using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Audit;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// The audit trail on a real node: a warning issued, delivered, acknowledged; a label refused;
/// the chain and the signed shutdown checkpoint verify; one byte changed, a line removed, two
/// lines swapped each fail, naming the record; <c>/api/audit</c> serves auditors what their
/// labels allow.
/// </summary>
public sealed class AuditTrailTests
{
    /// <summary>Runs a node through a warning and a label refusal, stops it, and returns its data directory (kept).</summary>
    private static async Task<string> RealRunAsync()
    {
        string dataDir;
        await using (var node = await TestNode.StartAsync())
        {
            node.KeepDataDir = true;
            dataDir = node.DataDir;
            await using var japanSensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
            await using var watch = await node.ConnectTlsAsync("jjoc-watch");
            await japanSensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
            var warning = await watch.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning");
            var id = warning.Detail.Element(WarningCot.WarningElement)!.Attribute("id")!;
            await watch.SendAsync(WarningCot.Acknowledgement(id, 1, "jjoc-watch", DateTime.UtcNow));
            // A label naming a nation the profile does not have: refused at the door.
            await watch.SendAsync(CotText.Labelled("refused-1", "refused", access: "SECRET", releasableTo: "JPN,KOR,USA,GBR"));
            await watch.SendAsync(CotText.Ping("after"));
            await watch.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");
        }

        return dataDir;
    }

    private static int Verify(string dataDir, out string output)
    {
        var root = new System.CommandLine.RootCommand();
        var config = new System.CommandLine.Option<string?>("--config") { Recursive = true };
        root.Options.Add(config);
        root.Subcommands.Add(AuditCommand.Create(config));
        var error = new StringWriter();
        var original = Console.Error;
        var originalOut = Console.Out;
        var stdout = new StringWriter();
        Console.SetError(error);
        Console.SetOut(stdout);
        try
        {
            var code = root.Parse(["audit", "verify", "--data-dir", dataDir]).Invoke();
            output = stdout.ToString() + error;
            return code;
        }
        finally
        {
            Console.SetError(original);
            Console.SetOut(originalOut);
        }
    }

    private static string AuditPath(string dataDir) => Path.Combine(dataDir, "audit", AuditFile.RecordsName);

    [Fact]
    public async Task Audit_verify_passes_on_a_real_run_and_names_the_record_after_one_byte_is_changed_a_line_removed_or_two_lines_swapped()
    {
        var dataDir = await RealRunAsync();
        try
        {
            var acts = AuditFile.ReadAll(Path.Combine(dataDir, "audit")).Select(r => r.Act).ToList();
            Assert.Contains(AuditActs.WarningIssued, acts);
            Assert.Contains(AuditActs.WarningDelivered, acts);
            Assert.Contains(AuditActs.WarningAcknowledged, acts);
            Assert.Contains(AuditActs.LabelRefused, acts);
            Assert.True(acts.Count >= 4);
            Assert.Equal(0, Verify(dataDir, out var ok));
            Assert.StartsWith("OK: ", ok, StringComparison.Ordinal);

            var original = await File.ReadAllBytesAsync(AuditPath(dataDir));
            var lines = (await File.ReadAllLinesAsync(AuditPath(dataDir))).ToList();

            // One byte changed, in the middle of the second record.
            var changed = (byte[])original.Clone();
            var second = Array.IndexOf(changed, (byte)'\n') + 1;
            var at = second + 40;
            changed[at] = (byte)(changed[at] == (byte)'x' ? 'y' : 'x');
            await File.WriteAllBytesAsync(AuditPath(dataDir), changed);
            Assert.Equal(1, Verify(dataDir, out var byteChanged));
            Assert.Contains("line 2", byteChanged, StringComparison.Ordinal);
            Assert.Contains("changed", byteChanged, StringComparison.Ordinal);

            // A line removed (the second).
            await File.WriteAllLinesAsync(AuditPath(dataDir), lines.Where((_, i) => i != 1));
            Assert.Equal(1, Verify(dataDir, out var removed));
            Assert.Contains("record 2 was removed", removed, StringComparison.Ordinal);

            // The last line removed: only the signed checkpoint can tell.
            await File.WriteAllLinesAsync(AuditPath(dataDir), lines.Take(lines.Count - 1));
            Assert.Equal(1, Verify(dataDir, out var lastRemoved));
            Assert.Contains($"record {lines.Count} was removed", lastRemoved, StringComparison.Ordinal);

            // Two lines swapped.
            var swapped = lines.ToList();
            (swapped[1], swapped[2]) = (swapped[2], swapped[1]);
            await File.WriteAllLinesAsync(AuditPath(dataDir), swapped);
            Assert.Equal(1, Verify(dataDir, out var reordered));
            Assert.Contains("record 2 is out of order", reordered, StringComparison.Ordinal);

            // Every single byte of the checkpoints file matters too (its last byte, the newline, included).
            await File.WriteAllBytesAsync(AuditPath(dataDir), original);
            var checkpoints = Path.Combine(dataDir, "audit", AuditFile.CheckpointsName);
            var signed = await File.ReadAllBytesAsync(checkpoints);
            Assert.NotEmpty(signed);
            var tampered = (byte[])signed.Clone();
            tampered[10] ^= 1;
            await File.WriteAllBytesAsync(checkpoints, tampered);
            Assert.Equal(1, Verify(dataDir, out var checkpointChanged));
            Assert.Contains("checkpoint at line 1", checkpointChanged, StringComparison.Ordinal);

            await File.WriteAllBytesAsync(checkpoints, signed);
            Assert.Equal(0, Verify(dataDir, out _));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Every_single_byte_changed_in_the_records_fails_verification()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kizuna-audit-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var authority = Kizuna.Core.Identity.NodeCertificateAuthority.LoadOrCreate(directory);
            var file = new AuditFile(AuditFile.DirectoryOf(directory));
            var now = new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc);
            file.Append([(new AuditEntry(AuditActs.ConsoleSignedIn, "a", "JJOC", "127.0.0.1:1", "CONFIDENTIAL//REL TO JPN"), now),
                         (new AuditEntry(AuditActs.WarningIssued, "b", "USFJ", "W-1 v1", "SECRET//REL TO USA, JPN"), now)], authority.NodeId, authority.ServerCertificate, now);
            var path = Path.Combine(file.Directory, AuditFile.RecordsName);
            var original = await File.ReadAllBytesAsync(path);
            using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(authority.CaCertificate.RawData);
            Assert.True(AuditVerifier.Verify(file.Directory, ca).Holds);
            for (var i = 0; i < original.Length; i++)
            {
                var changed = (byte[])original.Clone();
                changed[i] ^= 0x01;
                await File.WriteAllBytesAsync(path, changed);
                Assert.False(AuditVerifier.Verify(file.Directory, ca).Holds, $"a change at byte {i} went unseen");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_audit_api_serves_auditors_only_and_each_only_what_its_label_releases()
    {
        await using var node = await TestNode.StartAsync();
        var jpnAuditor = node.IssueUnchecked(new IdentityClaims("jpn-auditor", "JPN", "JJOC", AuditApi.AuditorRole, "SECRET", []));
        var korAuditor = node.IssueUnchecked(new IdentityClaims("kor-auditor", "KOR", "ROK-JCS", AuditApi.AuditorRole, "SECRET", []));
        var trail = (IAuditTrail)node.Node.Services.GetService(typeof(IAuditTrail))!;
        trail.Record(new AuditEntry(AuditActs.WarningIssued, "x", "JJOC", "W-jpn v1", "SECRET//REL TO JPN"));
        trail.Record(new AuditEntry(AuditActs.WarningIssued, "x", "JJOC", "W-all v1", "SECRET//REL TO USA, JPN, KOR"));

        using var watch = node.CreateHttpsClient(node.Issue("jjoc-watch"));
        Assert.Equal(HttpStatusCode.Forbidden, (await watch.GetAsync("/api/audit")).StatusCode);

        using var jpn = node.CreateHttpsClient(jpnAuditor);
        var seen = await jpn.GetFromJsonAsync("/api/audit?act=warning.", DeskJsonContext.Default.ListAuditRecordJson);
        Assert.Equal(["W-jpn v1", "W-all v1"], seen!.Select(r => r.Object).ToArray());

        using var kor = node.CreateHttpsClient(korAuditor);
        var korSees = await kor.GetFromJsonAsync("/api/audit?act=warning.", DeskJsonContext.Default.ListAuditRecordJson);
        Assert.Equal(["W-all v1"], korSees!.Select(r => r.Object).ToArray());
    }
}
