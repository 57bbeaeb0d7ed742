using Kizuna.Core.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Federation.Tests;

public sealed class FederationMetricsTests
{
    [Fact]
    public void Every_link_gets_each_figure_once_labelled_by_its_partner_organization_and_node_through_the_nodes_one_exposition()
    {
        var since = new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);
        FederationLinkStatus[] links =
        [
            new("kizuna-0000000000000001", "JJOC", "up", 120, 3, 5, 0.25, 130, 120, 4, 6, since),
            new("kizuna-0000000000000002", "ROK-JCS", "down", 7, 0, 0, 0, 9, 7, 0, 2, null),
        ];
        // As on a node: the host's meter factory, the node's metrics (whose exposition is /metrics),
        // and the links' instruments on a meter of the same factory.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var metrics = new KizunaMetrics(factory);
        _ = new FederationMetrics(factory, new FixedStatus(links));
        var lines = metrics.ToPrometheusText().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains("kizuna_federation_links 2", lines);
        Assert.Contains("kizuna_federation_link_up{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 1", lines);
        Assert.Contains("kizuna_federation_link_up{partner=\"ROK-JCS\",partner_node=\"kizuna-0000000000000002\"} 0", lines);
        Assert.Contains("kizuna_federation_link_state{partner=\"ROK-JCS\",partner_node=\"kizuna-0000000000000002\",state=\"down\"} 1", lines);
        Assert.Contains("kizuna_federation_link_state{partner=\"ROK-JCS\",partner_node=\"kizuna-0000000000000002\",state=\"up\"} 0", lines);
        Assert.Contains("kizuna_federation_lag_events{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 5", lines);
        Assert.Contains("kizuna_federation_lag_seconds{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 0.25", lines);
        Assert.Contains("kizuna_federation_outbox_depth{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 3", lines);
        Assert.Contains("kizuna_federation_sent_total{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 130", lines);
        Assert.Contains("kizuna_federation_acknowledged_total{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 120", lines);
        Assert.Contains("kizuna_federation_expired_total{partner=\"JJOC\",partner_node=\"kizuna-0000000000000001\"} 4", lines);
        Assert.Contains("kizuna_federation_withheld_total{partner=\"ROK-JCS\",partner_node=\"kizuna-0000000000000002\"} 2", lines);

        // Well formed: every federation series belongs to a family declared once, with its type.
        var families = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(families.Count, families.Distinct(StringComparer.Ordinal).Count());
        Assert.All(lines.Where(l => l.StartsWith("kizuna_federation_", StringComparison.Ordinal)), l => Assert.Contains(families, f => l.StartsWith(f + "{", StringComparison.Ordinal) || l.StartsWith(f + " ", StringComparison.Ordinal)));
    }

    private sealed class FixedStatus(IReadOnlyList<FederationLinkStatus> links) : IFederationStatus
    {
        public IReadOnlyList<FederationLinkStatus> Links() => links;
    }
}
