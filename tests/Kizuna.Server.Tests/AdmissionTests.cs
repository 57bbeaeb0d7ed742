using System.Net.Sockets;
using System.Text;
using Kizuna.Core.Routing;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Admission that follows delivery, through a real node: when most clients' picture lanes are
/// backlogged (here four subscribers that stopped reading, held for within the first
/// <see cref="AdmissionOptions.StalledAfter"/>, before their lanes count as stalled), a publisher flooding the node is held
/// (its socket fills, TCP slows it), while a calm client's positions and missile warnings still
/// reach a client that reads. Every wait is on an event, with a bounded timeout.
/// </summary>
public sealed class AdmissionTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    /// <summary>A plain-TCP client that reads until the node's protocol offer (it is attached), then never again.</summary>
    private static async Task<TcpClient> ConnectStalledAsync(TestNode node)
    {
        var tcp = new TcpClient { ReceiveBufferSize = 4096 };
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await tcp.ConnectAsync(node.CotTcp, cts.Token);
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains(TakControlEvents.ProtocolOfferType, StringComparison.Ordinal))
        {
            var n = await tcp.GetStream().ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "closed before the protocol offer");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return tcp;
    }

    /// <summary>Writes positions of one uid, 64 a write, as fast as TCP takes them, until cancelled.</summary>
    private static async Task FloodAsync(TcpClient tcp, CancellationToken stop)
    {
        var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(CotText.Position("flood-1", "FLOOD", staleIn: TimeSpan.FromMinutes(10)), 64)));
        try
        {
            while (true)
            {
                await tcp.GetStream().WriteAsync(chunk, stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Four stalled subscribers, and a flooding publisher held by the node; returns what the test must dispose.</summary>
    private static async Task<(TcpClient[] Stalled, TcpClient Flooder, Task Flood, CancellationTokenSource Stop, List<string> Held)> FloodUntilHeldAsync(TestNode node)
    {
        var stalled = new TcpClient[4];
        for (var i = 0; i < stalled.Length; i++)
        {
            stalled[i] = await ConnectStalledAsync(node);
        }

        var held = new List<string>();
        var flooderHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flooder = new TcpClient();
        await flooder.ConnectAsync(node.CotTcp);
        var flooderEndpoint = ":" + ((System.Net.IPEndPoint)flooder.Client.LocalEndPoint!).Port;
        node.Node.Router.Admission.Holding += session =>
        {
            lock (held)
            {
                held.Add(session.RemoteEndpoint);
            }

            if (session.RemoteEndpoint.EndsWith(flooderEndpoint, StringComparison.Ordinal))
            {
                flooderHeld.TrySetResult();
            }
        };
        var stop = new CancellationTokenSource();
        var flood = FloodAsync(flooder, stop.Token);
        await flooderHeld.Task.WaitAsync(Bounded);
        return (stalled, flooder, flood, stop, held);
    }

    private static async Task EndAsync((TcpClient[] Stalled, TcpClient Flooder, Task Flood, CancellationTokenSource Stop, List<string> Held) f)
    {
        await f.Stop.CancelAsync();
        f.Flooder.Dispose();
        await f.Flood.WaitAsync(Bounded);
        foreach (var s in f.Stalled)
        {
            s.Dispose();
        }

        f.Stop.Dispose();
    }

    [Fact]
    public async Task A_flooding_publisher_is_held_while_a_calm_clients_positions_all_arrive()
    {
        await using var node = await TestNode.StartAsync();
        await using var observer = await node.ConnectTcpAsync();
        await using var calm = await node.ConnectTcpAsync();
        var calmEndpoint = ":" + calm.LocalPort;
        var f = await FloodUntilHeldAsync(node);
        try
        {
            Assert.True(node.Node.Router.Admission.IsBehind || node.Node.Metrics.AdmissionHolds > 0);
            for (var i = 1; i <= 5; i++)
            {
                var lat = 35.0 + (i / 100.0);
                await calm.SendAsync(CotText.Position("calm-1", "CALM", lat: lat));
                await observer.ExpectAsync(e => e.Uid == "calm-1" && Math.Abs(e.Point.Lat - lat) < 1e-9, $"the calm client's position {i}");
            }

            lock (f.Held)
            {
                Assert.DoesNotContain(f.Held, e => e.EndsWith(calmEndpoint, StringComparison.Ordinal));
            }

            Assert.True(node.Node.Metrics.AdmissionHolds >= 1);
        }
        finally
        {
            await EndAsync(f);
        }
    }

    [Fact]
    public async Task A_missile_warning_reaches_a_reading_client_while_the_picture_floods()
    {
        await using var node = await TestNode.StartAsync();
        await using var receiver = await node.ConnectTlsAsync("jjoc-watch");
        await using var sensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO");
        var f = await FloodUntilHeldAsync(node);
        try
        {
            await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
            var warning = await receiver.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the missile warning");
            Assert.Equal("1", warning.Detail.Element(WarningCot.WarningElement)?.Attribute("version"));
        }
        finally
        {
            await EndAsync(f);
        }
    }
}
