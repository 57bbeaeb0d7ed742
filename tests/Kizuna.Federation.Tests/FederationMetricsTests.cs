using System.Text;

namespace Kizuna.Federation.Tests;

public sealed class FederationMetricsTests
{
    [Fact]
    public void Every_link_gets_each_figure_once_labelled_by_its_partner_organization_and_node()
    {
        var since = new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);
        FederationLinkStatus[] links =
        [
            new("kizuna-0000000000000001", "JJOC", "up", 120, 3, 5, 0.25, 130, 120, 4, 6, since),
            new("kizuna-0000000000000002", "ROK-JCS", "down", 7, 0, 0, 0, 9, 7, 0, 2, null),
        ];
        var text = new StringBuilder();
        FederationMetrics.WritePrometheus(text, links);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

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

        // Well formed: every series belongs to a family declared once, with its type.
        var families = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(families.Count, families.Distinct(StringComparer.Ordinal).Count());
        Assert.All(lines.Where(l => !l.StartsWith('#')), l => Assert.Contains(families, f => l.StartsWith(f + "{", StringComparison.Ordinal) || l.StartsWith(f + " ", StringComparison.Ordinal)));
    }
}
