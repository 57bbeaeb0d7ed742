using System.Net;
using System.Net.Sockets;
using Kizuna.Core.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Federation.Tests;

public sealed class RedialTests : IDisposable
{
    private readonly TestNodes _nodes = new();

    public void Dispose() => _nodes.Dispose();

    [Fact]
    public void The_backoff_doubles_from_one_second_to_thirty_and_starts_over_after_a_link()
    {
        var backoff = new RedialBackoff(new Random(1));
        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next()).ToList();
        double[] nominal = [1, 2, 4, 8, 16, 30, 30, 30];
        for (var i = 0; i < delays.Count; i++)
        {
            Assert.InRange(delays[i].TotalSeconds, nominal[i] * 0.8, nominal[i]);
        }

        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.8, 1);
    }

    [Fact]
    public async Task A_dialler_redials_for_ever_and_waits_on_its_clock_between_tries()
    {
        var (_, _, dataDir) = _nodes.Node("jjoc", "JJOC");
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
        using var node = new FederationNode(
            authority, TestNodes.Labels, "JJOC", new FederationOptions(null, [new DnsEndPoint("127.0.0.1", port)]),
            NoFederationHandler.Instance, NullLoggerFactory.Instance, clock);
        var dialer = Assert.Single(node.Dialers);
        var retries = System.Threading.Channels.Channel.CreateUnbounded<(int Attempt, TimeSpan Delay)>();
        dialer.Retrying += (attempt, delay, _) => retries.Writer.TryWrite((attempt, delay));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await dialer.StartAsync(timeout.Token);
        try
        {
            for (var expected = 1; expected <= 4; expected++)
            {
                var (attempt, delay) = await retries.Reader.ReadAsync(timeout.Token);
                Assert.Equal(expected, attempt);
                Assert.False(retries.Reader.TryRead(out _), "no second try before the clock moves");
                clock.Advance(delay);
            }
        }
        finally
        {
            await dialer.StopAsync(CancellationToken.None);
        }
    }
}
