using System.Net;
using System.Net.Sockets;
using System.Text;
using Kizuna.Core.Routing;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests;

namespace Kizuna.Server.Tests;

/// <summary>
/// Clients that connect and never read, through a real node on a manual clock: their picture
/// lanes fill and, for a while, count as the node's backlog (admission holds the publisher feeding
/// them); once their writers have taken nothing for <see cref="AdmissionOptions.StalledAfter"/>,
/// they are their clients' own backlog: the publisher goes on at the pace of the clients that
/// read, and the stalled clients lose their own oldest picture, counted. Every wait is on an
/// event, with a bound.
/// </summary>
public sealed class StalledClientTests
{
    private const int FloodEvents = 12_800;

    /// <summary>A plain-TCP client that reads until the node's protocol offer (it is attached), then never again.</summary>
    private static async Task<TcpClient> ConnectNeverReadingAsync(TestNode node)
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

    private static string Port(TcpClient tcp) => ":" + ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;

    private static ClientSession SessionOf(TestNode node, string port)
        => node.Node.Router.Sessions.Single(s => s.RemoteEndpoint.EndsWith(port, StringComparison.Ordinal));

    [Fact]
    public async Task Clients_that_connect_and_never_read_do_not_hold_back_a_publishers_picture_from_a_client_that_reads_and_lose_only_their_own_oldest()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var stallAfter = new AdmissionOptions().StalledAfter;
        // The write-stall timeout (real time) must not end the never-reading clients first.
        await using var node = await TestNode.StartAsync(connection: new ConnectionOptions { WriteStallTimeout = TimeSpan.FromMinutes(10) }, time: clock);
        await using var reader = await node.ConnectTcpAsync();
        var neverReading = new TcpClient[4];
        for (var i = 0; i < neverReading.Length; i++)
        {
            neverReading[i] = await ConnectNeverReadingAsync(node);
        }

        using var flooder = new TcpClient();
        await flooder.ConnectAsync(node.CotTcp);
        var flooderPort = Port(flooder);
        using var holds = new SemaphoreSlim(0);
        node.Node.Router.Admission.Holding += session =>
        {
            if (session.RemoteEndpoint.EndsWith(flooderPort, StringComparison.Ordinal))
            {
                holds.Release();
            }
        };

        try
        {
            // The flood, 64 events a write, then the last event the reader must get.
            var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(CotText.Position("flood-1", "FLOOD", staleIn: TimeSpan.FromMinutes(10)), 64)));
            var flood = Task.Run(async () =>
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                for (var i = 0; i < FloodEvents / 64; i++)
                {
                    await flooder.GetStream().WriteAsync(chunk, cts.Token);
                }

                await flooder.GetStream().WriteAsync(Encoding.UTF8.GetBytes(CotText.Position("flood-last", "FLOOD")), cts.Token);
            });
            var last = reader.ExpectAsync(e => e.Uid == "flood-last", "the flooder's last event");

            // Each time the flooder is held: the stalled lanes have taken nothing for a while by
            // the time the reader's next position reaches them. A few rounds at most (lanes fill
            // at different moments); before the fix it stayed held, one read per round.
            for (var round = 0; ; round++)
            {
                var held = holds.WaitAsync(TestNode.Timeout);
                if (await Task.WhenAny(last, held) == last)
                {
                    break;
                }

                Assert.True(await held, "neither held nor delivered");
                Assert.True(round < 8, $"the flooder was still held after {round} rounds of {stallAfter.TotalSeconds:0} s");
                clock.Advance(stallAfter);
                await reader.SendAsync(CotText.Position("reader-1", "READER", lat: 35.0 + (round / 100.0)));
            }

            await last;
            await flood.WaitAsync(TestNode.Timeout);

            // The reader got every event of the flood; each client that never read lost its own oldest, counted.
            Assert.Equal(FloodEvents, reader.Received.Count(e => e.Uid == "flood-1"));
            Assert.Equal(0, SessionOf(node, ":" + reader.LocalPort).PictureDrops);
            foreach (var tcp in neverReading)
            {
                Assert.True(SessionOf(node, Port(tcp)).PictureDrops > 0, "a client that never read kept every update");
            }

            Assert.True(node.Node.Router.Admission.Stalled >= 1);
            Assert.True(node.Node.Metrics.AdmissionStalls >= 1);
        }
        finally
        {
            foreach (var tcp in neverReading)
            {
                tcp.Dispose();
            }
        }
    }
}
