using System.Diagnostics.Metrics;

namespace Kizuna.Federation;

/// <summary>
/// The links' figures as observable instruments of the meter "Kizuna.Federation", read from
/// <see cref="IFederationStatus"/> whenever <c>/metrics</c> is written, so they reach Prometheus
/// through the node's one exposition like every other count (docs/dev/metrics.md). One series per
/// partner, labelled with the partner's organization (a fixed name of the alliance profile) and
/// node id (from its trust bundle), never anything taken from an event.
/// </summary>
public sealed class FederationMetrics
{
    public const string MeterName = "Kizuna.Federation";

    private readonly IFederationStatus _status;

    public FederationMetrics(IMeterFactory meterFactory, IFederationStatus status)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _status = status ?? throw new ArgumentNullException(nameof(status));
        // The meter belongs to the factory, which disposes it with the node. The order of creation
        // is the order of /metrics.
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("kizuna.federation.links", () => _status.Links().Count, description: "Partner nodes this node knows (imported bundles and links up).");
        meter.CreateObservableGauge("kizuna.federation.link_up", () => PerLink(l => l.State == FederationLinkStates.Up ? 1L : 0L), description: "1 while the link with the partner is up, else 0.");
        meter.CreateObservableGauge("kizuna.federation.link_state", States, description: "The link's state: 1 for the current one (up, connecting, down).");
        meter.CreateObservableGauge("kizuna.federation.lag_events", () => PerLink(l => l.LagEvents), description: "Events after the partner's acknowledged position (in flight included).");
        meter.CreateObservableGauge("kizuna.federation.lag_seconds", () => PerLink(l => l.LagSeconds), description: "Age of the oldest event the partner has not acknowledged; 0 when caught up.");
        meter.CreateObservableGauge("kizuna.federation.outbox_depth", () => PerLink(l => l.OutboxDepth), description: "Events the partner may receive and has not acknowledged.");
        meter.CreateObservableGauge("kizuna.federation.acknowledged_position", () => PerLink(l => l.LastAcknowledgedPosition), description: "Position in this node's store up to which the partner acknowledged.");
        meter.CreateObservableCounter("kizuna.federation.sent", () => PerLink(l => l.Sent), description: "Events offered to the link.");
        meter.CreateObservableCounter("kizuna.federation.acknowledged", () => PerLink(l => l.Acknowledged), description: "Events the partner acknowledged as stored.");
        meter.CreateObservableCounter("kizuna.federation.expired", () => PerLink(l => l.Expired), description: "Picture updates skipped because they went stale while the link was down.");
        meter.CreateObservableCounter("kizuna.federation.withheld", () => PerLink(l => l.Withheld), description: "Events the label, the link's classification, its flows or the provenance kept from the partner.");
    }

    private IEnumerable<Measurement<T>> PerLink<T>(Func<FederationLinkStatus, T> value)
        where T : struct
        => _status.Links().Select(l => new Measurement<T>(value(l), Partner(l)));

    private IEnumerable<Measurement<long>> States()
        => _status.Links().SelectMany(l => FederationLinkStates.All.Select(state =>
            new Measurement<long>(l.State == state ? 1 : 0, [.. Partner(l), new("state", state)])));

    private static KeyValuePair<string, object?>[] Partner(FederationLinkStatus link)
        => [new("partner", link.PartnerOrganization), new("partner_node", link.PartnerNodeId)];
}
