using System.Globalization;
using System.Text;

namespace Kizuna.Federation;

/// <summary>
/// The links' figures as Prometheus text, appended to the node's <c>/metrics</c>: one series per
/// partner, labelled with the partner's organization (a fixed name of the alliance profile) and
/// node id (from its trust bundle), never anything taken from an event.
/// </summary>
public static class FederationMetrics
{
    public static void WritePrometheus(StringBuilder text, IReadOnlyList<FederationLinkStatus> links)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(links);
        Family(text, "kizuna_federation_links", "gauge", "Partner nodes this node knows (imported bundles and links up).");
        text.Append(CultureInfo.InvariantCulture, $"kizuna_federation_links {links.Count}\n");

        Family(text, "kizuna_federation_link_up", "gauge", "1 while the link with the partner is up, else 0.");
        foreach (var link in links)
        {
            Series(text, "kizuna_federation_link_up", link, link.State == FederationLinkStates.Up ? 1 : 0);
        }

        Family(text, "kizuna_federation_link_state", "gauge", "The link's state: 1 for the current one (up, connecting, down).");
        foreach (var link in links)
        {
            foreach (var state in FederationLinkStates.All)
            {
                text.Append(CultureInfo.InvariantCulture, $"kizuna_federation_link_state{{{Labels(link)},state=\"{state}\"}} {(link.State == state ? 1 : 0)}\n");
            }
        }

        Gauge(text, links, "kizuna_federation_lag_events", "Events after the partner's acknowledged position (in flight included).", l => l.LagEvents);
        Gauge(text, links, "kizuna_federation_lag_seconds", "Age of the oldest event the partner has not acknowledged; 0 when caught up.", l => l.LagSeconds);
        Gauge(text, links, "kizuna_federation_outbox_depth", "Events the partner may receive and has not acknowledged.", l => l.OutboxDepth);
        Gauge(text, links, "kizuna_federation_acknowledged_position", "Position in this node's store up to which the partner acknowledged.", l => l.LastAcknowledgedPosition);
        Counter(text, links, "kizuna_federation_sent_total", "Events offered to the link.", l => l.Sent);
        Counter(text, links, "kizuna_federation_acknowledged_total", "Events the partner acknowledged as stored.", l => l.Acknowledged);
        Counter(text, links, "kizuna_federation_expired_total", "Picture updates skipped because they went stale while the link was down.", l => l.Expired);
        Counter(text, links, "kizuna_federation_withheld_total", "Events the label, the link's classification, its flows or the provenance kept from the partner.", l => l.Withheld);
    }

    private static void Gauge(StringBuilder text, IReadOnlyList<FederationLinkStatus> links, string name, string help, Func<FederationLinkStatus, double> value)
    {
        Family(text, name, "gauge", help);
        foreach (var link in links)
        {
            Series(text, name, link, value(link));
        }
    }

    private static void Counter(StringBuilder text, IReadOnlyList<FederationLinkStatus> links, string name, string help, Func<FederationLinkStatus, long> value)
    {
        Family(text, name, "counter", help);
        foreach (var link in links)
        {
            Series(text, name, link, value(link));
        }
    }

    private static void Family(StringBuilder text, string name, string type, string help)
        => text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Series(StringBuilder text, string name, FederationLinkStatus link, double value)
        => text.Append(CultureInfo.InvariantCulture, $"{name}{{{Labels(link)}}} {value.ToString("R", CultureInfo.InvariantCulture)}\n");

    private static string Labels(FederationLinkStatus link) => $"partner=\"{Escape(link.PartnerOrganization)}\",partner_node=\"{Escape(link.PartnerNodeId)}\"";

    /// <summary>Prometheus label value escaping: backslash, quote, newline.</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
