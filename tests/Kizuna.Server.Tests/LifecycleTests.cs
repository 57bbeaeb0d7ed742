using Kizuna.Core.Storage;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task A_graceful_stop_flushes_every_accepted_event_and_a_restart_replays_the_latest_state()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        await using (var first = await TestNode.StartAsync(dataDir: dataDir))
        {
            first.KeepDataDir = true;
            await using var client = await first.ConnectTcpAsync();
            for (var i = 0; i < 200; i++)
            {
                await client.SendAsync(CotText.Position($"persist-{i}", $"P{i}"));
            }

            await client.SendAsync(CotText.Ping("barrier"));
            await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
            await first.Node.StopAsync();

            var stored = await first.Node.Store.QueryAsync(new EventQuery(Limit: 1000), CancellationToken.None);
            Assert.Equal(200, stored.Count(s => s.Event.Uid.StartsWith("persist-", StringComparison.Ordinal)));
        }

        await using var restarted = await TestNode.StartAsync(dataDir: dataDir);
        await using var late = await restarted.ConnectTcpAsync();
        await late.ExpectUidAsync("persist-199");
    }
}
