using Kizuna.Core.Audit;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Server.Tests;

/// <summary>
/// The trail's signed checkpoints on the node's clock (docs/dev/audit-trail.md): one every minute
/// when records were added since the last, none for a quiet minute, and one at shutdown; each
/// signed by the node's key over the newest record's sequence number and hash.
/// </summary>
public sealed class AuditCheckpointTests : IDisposable
{
    private readonly AuditScratch _scratch = new("checkpoints");

    public void Dispose() => _scratch.Dispose();

    private static AuditEntry Entry(int n) => new(AuditActs.CoordinationPrefix + "sent", "jjoc-j3", "JJOC", $"C-{n:D4}", "CONFIDENTIAL//REL TO USA, JPN");

    private List<AuditCheckpoint> Checkpoints()
    {
        var path = Path.Combine(_scratch.Directory, AuditFile.CheckpointsName);
        return File.Exists(path)
            ? [.. AuditFile.ReadLines(path).Select(l => AuditCheckpoint.TryRead(l.Span, out var c) ? c : throw new InvalidDataException("an unreadable checkpoint"))]
            : [];
    }

    [Fact]
    public async Task A_checkpoint_is_signed_each_minute_on_the_node_s_clock_that_added_records_and_at_shutdown()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 8, 1, 0, 0, TimeSpan.Zero));
        var log = new AuditLog(_scratch.Directory, "node-1", _scratch.Signer, clock, NullLogger.Instance);
        try
        {
            // The timer enqueues its checkpoint as the clock passes the minute; a flush after it waits for it.
            log.Record(Entry(1));
            clock.Advance(TimeSpan.FromSeconds(59));
            await log.FlushAsync();
            Assert.Empty(Checkpoints());

            clock.Advance(TimeSpan.FromSeconds(1));
            await log.FlushAsync();
            var first = Assert.Single(Checkpoints());
            Assert.Equal(1, first.Seq);
            Assert.Equal(AuditFile.ReadAll(_scratch.Directory).Single().Hash, first.Hash);
            Assert.True(first.SignatureHolds(out _));

            // A quiet minute adds none.
            clock.Advance(TimeSpan.FromMinutes(1));
            await log.FlushAsync();
            Assert.Single(Checkpoints());

            log.Record(Entry(2));
            log.Record(Entry(3));
            clock.Advance(TimeSpan.FromMinutes(1));
            await log.FlushAsync();
            Assert.Equal([1L, 3L], Checkpoints().Select(c => c.Seq));

            log.Record(Entry(4));
        }
        finally
        {
            await log.DisposeAsync();
        }

        // Shutdown vouches for the last record, so its removal shows.
        Assert.Equal([1L, 3L, 4L], Checkpoints().Select(c => c.Seq));
        var verified = AuditVerifier.Verify(_scratch.Directory, null);
        Assert.True(verified.Holds, verified.Problem);
    }
}
