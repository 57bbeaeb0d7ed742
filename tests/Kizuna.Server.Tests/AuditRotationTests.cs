using System.Net.Http.Json;
using Kizuna.Core.Audit;
using Kizuna.Core.Labels;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Server.Tests;

/// <summary>
/// The audit trail across files: the current file rotates by size and at each new UTC day, the
/// chain goes on (the first record of a new file follows the last of the one before), verify walks
/// every file and names the one that was changed or removed, and reading from a sequence number on
/// opens only the files that hold it.
/// </summary>
public sealed class AuditRotationTests : IDisposable
{
    private readonly AuditScratch _scratch = new("rotation");

    public void Dispose() => _scratch.Dispose();

    private static AuditEntry Entry(int n) => new(AuditActs.CoordinationPrefix + "sent", "jjoc-j3", "JJOC", $"C-{n:D4}", "CONFIDENTIAL//REL TO USA, JPN");

    /// <summary>Writes <paramref name="count"/> records through a real trail, in batches of five, with a checkpoint after each batch.</summary>
    private async Task WriteAsync(TimeProvider clock, int count, long rotateBytes, Action? between = null)
    {
        await using var log = new AuditLog(_scratch.Directory, "node-1", _scratch.Signer, clock, NullLogger.Instance, rotateBytes);
        for (var n = 1; n <= count; n++)
        {
            log.Record(Entry(n));
            if (n % 5 == 0)
            {
                await log.CheckpointAsync();
                between?.Invoke();
            }
        }
    }

    private IReadOnlyList<(string Path, long? FirstSeq)> Files() => AuditFile.Files(_scratch.Directory);

    [Fact]
    public async Task The_trail_rotates_by_size_and_the_chain_goes_on_across_files_which_verify_walks()
    {
        await WriteAsync(new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero)), 40, rotateBytes: 2048);

        var files = Files();
        Assert.True(files.Count >= 3, $"{files.Count} files");
        Assert.Equal(1, files[0].FirstSeq);
        var all = AuditFile.ReadAll(_scratch.Directory).ToList();
        Assert.Equal(Enumerable.Range(1, 40).Select(n => (long)n), all.Select(r => r.Seq));
        for (var i = 1; i < files.Count; i++)
        {
            var first = AuditFile.ReadLines(files[i].Path).Select(l => AuditRecord.TryRead(l.Span, out var r, out _) ? r : null).First()!;
            var before = all.Single(r => r.Seq == first.Seq - 1);
            Assert.Equal(before.Hash, first.Prev);
        }

        var verified = AuditVerifier.Verify(_scratch.Directory, null);
        Assert.True(verified.Holds, verified.Problem);
        Assert.Equal(40, verified.Records);
    }

    [Fact]
    public async Task A_record_of_a_new_UTC_day_starts_a_new_file()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 23, 59, 0, TimeSpan.Zero));
        await WriteAsync(clock, 10, AuditFile.DefaultRotateBytes, between: () => clock.Advance(TimeSpan.FromMinutes(2)));

        var files = Files();
        Assert.Equal(2, files.Count);
        Assert.Equal([1L, null], files.Select(f => f.FirstSeq));
        Assert.All(AuditFile.ReadLines(files[1].Path), l => Assert.Contains("2026-12-08", System.Text.Encoding.UTF8.GetString(l.Span), StringComparison.Ordinal));
        Assert.True(AuditVerifier.Verify(_scratch.Directory, null).Holds);
    }

    [Fact]
    public async Task Verify_names_a_rotated_file_that_was_changed_or_removed()
    {
        await WriteAsync(new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero)), 40, rotateBytes: 2048);
        var files = Files();
        var middle = files[1].Path;
        var bytes = await File.ReadAllBytesAsync(middle);

        // One byte of a rotated file.
        var changed = (byte[])bytes.Clone();
        var at = Array.IndexOf(changed, (byte)'C', 10);
        changed[at] = (byte)'D';
        await File.WriteAllBytesAsync(middle, changed);
        var result = AuditVerifier.Verify(_scratch.Directory, null);
        Assert.False(result.Holds);
        Assert.Contains(Path.GetFileName(middle), result.Problem, StringComparison.Ordinal);

        // The whole file gone: the records it held were removed.
        File.Delete(middle);
        result = AuditVerifier.Verify(_scratch.Directory, null);
        Assert.False(result.Holds);
        Assert.Contains($"record {files[1].FirstSeq} was removed", result.Problem, StringComparison.Ordinal);

        // Put back under another file's name: its first record is not the one the name says.
        await File.WriteAllBytesAsync(Path.Combine(_scratch.Directory, AuditFile.RotatedName(files[1].FirstSeq!.Value + 1)), bytes);
        result = AuditVerifier.Verify(_scratch.Directory, null);
        Assert.False(result.Holds);
        Assert.Contains("not the record", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_from_a_sequence_number_on_opens_only_the_files_that_hold_it()
    {
        await WriteAsync(new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero)), 40, rotateBytes: 2048);
        var files = Files();
        var since = files[2].FirstSeq!.Value + 1;

        // The files wholly before it cannot be read: a reader that opened them would fail or see nothing.
        File.Delete(files[0].Path);
        File.Delete(files[1].Path);
        Assert.Equal(Enumerable.Range((int)since + 1, 40 - (int)since).Select(n => (long)n), AuditFile.ReadAfter(_scratch.Directory, since).Select(r => r.Seq));
        Assert.Equal([since + 1, since + 2], AuditFile.ReadAfter(_scratch.Directory, since).Take(2).Select(r => r.Seq));
    }

    [Fact]
    public async Task A_node_whose_trail_rotates_serves_the_api_from_any_record_on_and_the_appender_after_a_restart_continues_the_chain()
    {
        string dataDir;
        await using (var node = await TestNode.StartAsync(configure: s => s with { AuditRotateBytes = 1024 }))
        {
            node.KeepDataDir = true;
            dataDir = node.DataDir;
            var trail = (IAuditTrail)node.Node.Services.GetService(typeof(IAuditTrail))!;
            for (var n = 1; n <= 30; n++)
            {
                trail.Record(Entry(n));
            }

            var auditor = node.IssueUnchecked(new IdentityClaims("jpn-auditor", "JPN", "JJOC", AuditApi.AuditorRole, "SECRET", []));
            using var http = node.CreateHttpsClient(auditor);
            var all = await http.GetFromJsonAsync("/api/audit?act=coordination.", DeskJsonContext.Default.ListAuditRecordJson);
            Assert.Equal(Enumerable.Range(1, 30).Select(n => $"C-{n:D4}"), all!.Select(r => r.Object));
            var from = all![20].Seq;
            var later = await http.GetFromJsonAsync($"/api/audit?act=coordination.&since={from}&limit=3", DeskJsonContext.Default.ListAuditRecordJson);
            Assert.Equal(["C-0022", "C-0023", "C-0024"], later!.Select(r => r.Object));
        }

        try
        {
            Assert.True(AuditFile.Files(Path.Combine(dataDir, "audit")).Count > 2);

            // Another appender (the command line) goes on from the newest file's last record.
            Cli.AuditCommand.Record(dataDir, "node-1", AuditActs.CertificateIssued, "cli-test");
            var verified = AuditVerifier.Verify(Path.Combine(dataDir, "audit"), null);
            Assert.True(verified.Holds, verified.Problem);
            Assert.Equal("cli-test", AuditFile.ReadAll(Path.Combine(dataDir, "audit")).Last().Object);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
