using Kizuna.Federation.Tests.Infrastructure;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Federation.Tests;

/// <summary>
/// A link cut for 30 s under load and healed, and the hub killed with SIGKILL mid-stream and
/// started again: nothing lost, nothing twice at any client, the lag back to zero. The cut lasts
/// 30 s on the spokes' clock (a manual one): their redial backoff runs its course (1, 2, 4, 8,
/// 16 s, capped at 30 s) without the test waiting 30 s of wall time.
/// </summary>
public sealed class PartitionTests
{
    private static readonly TimeSpan Long = Trilateral.Long;

    private static int Count(CotTestClient client, string uid) => client.Received.Count(e => e.Uid == uid);

    private static async Task ExpectAsync(CotTestClient client, string uid) => await client.ExpectOrSeenAsync(e => e.Uid == uid, uid).WaitAsync(Long);

    // It found a relay loss (issue 17): the hub's outbox toward Korea moved its cursor to the newest
    // committed position after a read that came back empty, passing a batch committed while that
    // read ran (OutboxCursorTests has the mechanism on its own; docs/dev/federation-outbox.md).
    [Fact]
    public async Task The_Japan_US_link_cut_for_30_seconds_under_load_and_healed_loses_nothing_duplicates_nothing_and_the_lag_returns_to_zero()
    {
        var clock = new ManualTimeProvider(DateTime.UtcNow);
        await using var nodes = await Trilateral.StartAsync(clock);
        await using var japan = await nodes.Jjoc.ConnectTlsAsync("jjoc-sender", org: "JJOC");
        await using var japanWatch = await nodes.Jjoc.ConnectTlsAsync("jjoc-watch", org: "JJOC");
        await using var korea = await nodes.Rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        await using var us = await nodes.Usfj!.ConnectTlsAsync("usfj-watch", org: "USFJ");
        const int Total = 300;
        var partitionStart = clock.GetUtcNow();
        for (var k = 0; k < Total; k++)
        {
            if (k == Total / 3)
            {
                await ExpectAsync(korea, "cut-" + (k - 1));
                nodes.JpnUsa.Cut();
                await Trilateral.UntilAsync(() => Trilateral.StatusOf(nodes.Jjoc, "USFJ").State == "down", "the link is down");
                partitionStart = clock.GetUtcNow();
            }

            // During the cut the load goes on, and the spokes' clock runs 30 s: a second per three events.
            if (k > Total / 3 && k < 2 * Total / 3 && k % 3 == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            if (k == 2 * Total / 3)
            {
                Assert.Equal(TimeSpan.FromSeconds(33), clock.GetUtcNow() - partitionStart);
                Assert.Equal("down", Trilateral.StatusOf(nodes.Jjoc, "USFJ").State);
                await Trilateral.UntilAsync(() => Trilateral.StatusOf(nodes.Jjoc, "USFJ").LagEvents >= (Total / 3) - 1, "the outbox holds what the cut kept back");
                nodes.JpnUsa.Heal();

                // The next redial is due within the backoff's cap (30 s) on the spokes' clock. The
                // clock runs at most 2 minutes more (room for a few failed redials): every event sent
                // is stale 5 minutes after it was sent, and a stale picture update may be skipped, so a
                // clock run on by every poll of a slow reconnect would expire events this test counts.
                var redialClock = TimeSpan.Zero;
                await Trilateral.UntilAsync(
                    () =>
                    {
                        if (redialClock < TimeSpan.FromMinutes(2))
                        {
                            clock.Advance(TimeSpan.FromMilliseconds(500));
                            redialClock += TimeSpan.FromMilliseconds(500);
                        }

                        return Trilateral.StatusOf(nodes.Jjoc, "USFJ").State == "up";
                    },
                    "Japan's node redials and the link is up again");
            }

            await japan.SendAsync(CotText.Labelled("cut-" + k, "C" + k, "SECRET", "USA,JPN,KOR"));
        }

        await ExpectAsync(korea, "cut-" + (Total - 1));
        await ExpectAsync(us, "cut-" + (Total - 1));
        await ExpectAsync(japanWatch, "cut-" + (Total - 1));
        var counts = Enumerable.Range(0, Total).Select(k => (k, korea: Count(korea, "cut-" + k), us: Count(us, "cut-" + k), japan: Count(japanWatch, "cut-" + k))).ToList();
        var wrong = counts.Where(c => c is not { korea: 1, us: 1, japan: 1 }).ToList();
        Assert.True(wrong.Count == 0, $"not exactly once (event: Korea, US, Japan): {string.Join("; ", wrong.Take(10).Select(c => $"cut-{c.k}: {c.korea}, {c.us}, {c.japan}"))} ({wrong.Count} in all); Japan's link to the US: {Trilateral.StatusOf(nodes.Jjoc, "USFJ")}, the spokes' clock ran {clock.GetUtcNow() - partitionStart} from the cut");

        await Trilateral.UntilAsync(() => Trilateral.StatusOf(nodes.Jjoc, "USFJ") is { State: "up", LagEvents: 0 }, "the lag is zero");
        var status = Trilateral.StatusOf(nodes.Jjoc, "USFJ");
        Assert.Equal(status.Sent, status.Acknowledged + status.Expired + status.Withheld);
        Assert.Equal(0, status.Expired);
        Assert.Equal(0, status.OutboxDepth);
    }

    // It was skipped as intermittent (an event relayed through the hub process sometimes never
    // reached Korea before the kill): the same cursor race as above, at the hub's outbox toward Korea.
    [Fact]
    public async Task The_hub_killed_with_SIGKILL_mid_stream_and_started_again_loses_nothing_and_duplicates_nothing()
    {
        await using var nodes = await Trilateral.StartAsync(hubAsProcess: true);
        await using var japan = await nodes.Jjoc.ConnectTlsAsync("jjoc-sender", org: "JJOC");
        await using var korea = await nodes.Rok.ConnectTlsAsync("rok-watch", org: "ROK-JCS");
        const int Total = 300;
        var hub = nodes.UsfjProcess!;
        for (var k = 0; k < Total; k++)
        {
            if (k == Total / 2)
            {
                // Mid-stream: what Japan sent last is still on its way through the hub.
                await ExpectAsync(korea, "kill-" + (k - 20));
                hub.Kill();
                hub = await NodeProcess.StartAsync(nodes.DataDir("usfj"), "USFJ", "--federation");
                nodes.JpnUsa.Target = hub.Endpoint;
                nodes.KorUsa.Target = hub.Endpoint;
            }

            await japan.SendAsync(CotText.Labelled("kill-" + k, "K" + k, "SECRET", "USA,JPN,KOR"));
        }

        try
        {
            await ExpectAsync(korea, "kill-" + (Total - 1));
            for (var k = 0; k < Total; k++)
            {
                Assert.True(Count(korea, "kill-" + k) == 1, $"kill-{k} reached Korea {Count(korea, "kill-" + k)} times. Hub: {hub.Output}");
            }

            await Trilateral.UntilAsync(() => Trilateral.StatusOf(nodes.Jjoc, "USFJ") is { State: "up", LagEvents: 0 }, "Japan's lag to the hub is zero");
            var status = Trilateral.StatusOf(nodes.Jjoc, "USFJ");
            Assert.Equal(status.Sent, status.Acknowledged + status.Expired + status.Withheld);
        }
        finally
        {
            if (!ReferenceEquals(hub, nodes.UsfjProcess))
            {
                await hub.DisposeAsync();
            }
        }
    }
}
