namespace Kizuna.Federation;

/// <summary>
/// One partner link as an operator sees it (<c>GET /api/federation</c>, <c>kizuna federation status</c>,
/// <c>/metrics</c>, the console). The account a test can check: <see cref="Sent"/> =
/// <see cref="Acknowledged"/> + <see cref="Expired"/> + <see cref="Withheld"/> + what is still in flight.
/// </summary>
/// <param name="PartnerNodeId">The partner's node id (from its trust bundle).</param>
/// <param name="PartnerOrganization">The organization hosting the partner node.</param>
/// <param name="State"><c>up</c>, <c>down</c> or <c>connecting</c>.</param>
/// <param name="LastAcknowledgedPosition">The position in this node's store up to which the partner has acknowledged (stored durably).</param>
/// <param name="OutboxDepth">Events after that position the partner may receive and has not acknowledged.</param>
/// <param name="LagEvents">Events after the acknowledged position (in flight included).</param>
/// <param name="LagSeconds">Age of the oldest event not yet acknowledged; 0 when caught up.</param>
/// <param name="Sent">Events offered to this link (read from the outbox cursor).</param>
/// <param name="Acknowledged">Events the partner acknowledged as stored.</param>
/// <param name="Expired">Picture updates skipped because they went stale while the link was down.</param>
/// <param name="Withheld">Events the label, the link's highest classification, its flows or the provenance kept from this partner.</param>
/// <param name="Since">When the link last changed state.</param>
public sealed record FederationLinkStatus(
    string PartnerNodeId,
    string PartnerOrganization,
    string State,
    long LastAcknowledgedPosition,
    long OutboxDepth,
    long LagEvents,
    double LagSeconds,
    long Sent,
    long Acknowledged,
    long Expired,
    long Withheld,
    DateTime? Since);

/// <summary>The links of this node and their state; the outbox implements it.</summary>
public interface IFederationStatus
{
    IReadOnlyList<FederationLinkStatus> Links();
}

/// <summary>The values of <see cref="FederationLinkStatus.State"/>.</summary>
public static class FederationLinkStates
{
    public const string Up = "up";
    public const string Down = "down";
    public const string Connecting = "connecting";

    /// <summary>Every state, in the order the metrics list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Up, Connecting, Down];
}
