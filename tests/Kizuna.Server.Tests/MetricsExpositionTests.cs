using System.Text.RegularExpressions;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>/metrics is the Prometheus exposition of the node's Kizuna meters, the storage meter included.</summary>
public sealed partial class MetricsExpositionTests
{
    [Fact]
    public async Task Metrics_show_the_storage_backlog_and_write_latency_from_the_storage_meter()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await node.ConnectTcpAsync();
        await client.SendAsync(CotText.Position("m-1", "M1", time: DateTime.UtcNow));
        await client.SendAsync(CotText.Ping("barrier"));
        await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        using var http = node.CreateHttpClient();
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("# TYPE kizuna_storage_queue_depth gauge\nkizuna_storage_queue_depth 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE kizuna_storage_write_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.True(long.Parse(WriteCount().Match(text).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, "at least one batch was written");
        Assert.Matches(@"\nkizuna_storage_events_written_total [1-9][0-9]*\n", text);

        // The counts the code keeps are the meter's, and the same as the text says.
        Assert.Contains($"\nkizuna_events_in_total {node.Node.Metrics.EventsIn}\n", text, StringComparison.Ordinal);
        Assert.True(node.Node.Metrics.EventsIn >= 1);
    }

    [Fact]
    public async Task Two_nodes_in_one_process_count_apart()
    {
        await using var first = await TestNode.StartAsync();
        await using var second = await TestNode.StartAsync();
        await using var client = await first.ConnectTcpAsync();
        await client.SendAsync(CotText.Ping("barrier"));
        await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");

        Assert.Equal(1, first.Node.Metrics.ConnectionsOpen);
        Assert.Equal(0, second.Node.Metrics.ConnectionsOpen);
        Assert.Contains("\nkizuna_connections 0\n", second.Node.Metrics.ToPrometheusText(), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\nkizuna_storage_write_seconds_count ([0-9]+)\n")]
    private static partial Regex WriteCount();
}
