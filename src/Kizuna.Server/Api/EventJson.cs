using System.Text.Json.Serialization;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;

namespace Kizuna.Server.Api;

/// <summary>An event as the HTTP API shows it. The detail stays XML: it is what clients exchange.</summary>
public sealed record EventJson(
    string Uid,
    string Type,
    string? How,
    DateTime Time,
    DateTime Start,
    DateTime Stale,
    string? Access,
    string? Qos,
    string? Opex,
    string? Caveat,
    string? ReleasableTo,
    PointJson Point,
    string? Callsign,
    string Detail,
    DateTime ReceivedAt,
    string Sender,
    LabelJson Label)
{
    public static EventJson From(StoredEvent stored, ConfidentialityLabel label)
    {
        var e = stored.Event;
        return new EventJson(
            e.Uid, e.Type, e.How, e.Time, e.Start, e.Stale, e.Access, e.Qos, e.Opex, e.Caveat, e.ReleasableTo,
            new PointJson(e.Point.Lat, e.Point.Lon, e.Point.Hae, e.Point.Ce, e.Point.Le),
            e.Detail.ContactCallsign, e.Detail.InnerXml, stored.ReceivedAt, stored.Sender, LabelJson.From(label));
    }
}

/// <summary>A confidentiality label: the banner to show, and its parts.</summary>
public sealed record LabelJson(string Banner, string Policy, string Classification, IReadOnlyList<string> ReleasableTo, string? Caveat, IReadOnlyList<CategoryJson> Categories)
{
    public static LabelJson From(ConfidentialityLabel label) => new(
        label.Banner, label.Policy, label.Classification, label.ReleasableTo, label.Caveat,
        [.. label.Categories.Select(c => new CategoryJson(c.Name, LabelCategory.TypeName(c.Type), c.Values))]);
}

public sealed record CategoryJson(string Name, string Type, IReadOnlyList<string> Values);

public sealed record WhoAmIJson(
    string Name,
    string Nation,
    string Organization,
    string OrganizationName,
    string Role,
    string Clearance,
    IReadOnlyList<string> Authorizations,
    string DefaultLabel,
    NodeJson Node)
{
    public static WhoAmIJson For(Principal caller, LabelPolicy labels, Principal node)
    {
        var organization = labels.Profile.FindOrganization(caller.Organization)!;
        var host = labels.Profile.FindOrganization(node.Organization)!;
        return new WhoAmIJson(
            caller.Name, caller.Nation, caller.Organization, organization.Name, caller.Role, caller.Clearance,
            caller.Authorizations, labels.DefaultFor(caller).Banner,
            new NodeJson(host.Id, host.Name, node.Nation, labels.Profile.Id, labels.Profile.Version));
    }
}

public sealed record NodeJson(string Organization, string OrganizationName, string Nation, string Profile, string ProfileVersion);

/// <summary>The alliance profile as the API serves it: the same content as the file, resolved.</summary>
public sealed record ProfileJson(
    string Id,
    string Name,
    string Version,
    string Policy,
    IReadOnlyList<string> Classifications,
    IReadOnlyList<NationJson> Nations,
    IReadOnlyList<OrganizationJson> Organizations,
    IReadOnlyList<RelationshipJson> Relationships,
    IReadOnlyList<CounterpartJson> Counterparts)
{
    public static ProfileJson From(AllianceProfile p) => new(
        p.Id, p.Name, p.Version, p.PolicyId, p.Classifications,
        [.. p.Nations.Select(n => new NationJson(n.Code, n.Name))],
        [.. p.Organizations.Select(o => new OrganizationJson(o.Id, o.Name, o.Nations, o.Kind, o.DefaultClassification, o.MayReleaseTo, o.LocalNames))],
        [.. p.Relationships.Select(r => new RelationshipJson(r.Superior, r.Subordinate, r.Kind.ToProfileName(), r.From, r.Until, r.Note))],
        [.. p.Counterparts.Select(c => new CounterpartJson(c.A, c.B, c.Note))]);
}

public sealed record NationJson(string Code, string Name);

public sealed record OrganizationJson(string Id, string Name, IReadOnlyList<string> Nations, string Kind, string DefaultClassification, IReadOnlyList<string> MayReleaseTo, IReadOnlyDictionary<string, string> Names);

public sealed record RelationshipJson(string Superior, string Subordinate, string Kind, DateOnly? From, DateOnly? Until, string? Note);

public sealed record CounterpartJson(string A, string B, string? Note);

public sealed record PointJson(double Lat, double Lon, double Hae, double Ce, double Le);

public sealed record ErrorJson(string Error);

/// <summary>The body of <c>POST /api/warnings/{id}/ack</c>.</summary>
public sealed record AckJson(int Version);

public sealed record HealthJson(string Status, long Connections, long EventsIn, long EventsOut, string? Storage = null, ClusterHealthJson? Cluster = null);

/// <summary>An instance's membership of its node's cluster, in /healthz.</summary>
public sealed record ClusterHealthJson(string Instance, bool Connected);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventJson))]
[JsonSerializable(typeof(List<EventJson>))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(AckJson))]
[JsonSerializable(typeof(HealthJson))]
[JsonSerializable(typeof(WhoAmIJson))]
[JsonSerializable(typeof(List<WarningJson>))]
[JsonSerializable(typeof(ProfileJson))]
[JsonSerializable(typeof(LiveHelloJson))]
[JsonSerializable(typeof(LiveSnapshotJson))]
[JsonSerializable(typeof(LiveEventJson))]
[JsonSerializable(typeof(LiveWarningJson))]
[JsonSerializable(typeof(LivePongJson))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>One version of a warning, with what each recipient did with it. <c>view</c> is "" for the full view, else the nation whose view it is (docs/warnings.md).</summary>
public sealed record WarningJson(
    string Id,
    int Version,
    string Stage,
    bool Exercise,
    DateTime IssuedAt,
    DateTime LaunchTime,
    double LaunchLat,
    double LaunchLon,
    ImpactJson? PredictedImpact,
    double Confidence,
    IReadOnlyList<string> AffectedPrefectures,
    IReadOnlyList<string> Sensors,
    LabelJson Label,
    IReadOnlyList<ReceiptJson> Receipts,
    IReadOnlyList<string> NotAcknowledgedBy,
    IReadOnlyList<string> EscalatedFor,
    string View,
    IReadOnlyList<PartnerReceiptJson>? PartnerReceipts = null)
{
    public static WarningJson From(WarningVersion v, IReadOnlyList<WarningReceipt> receipts, IReadOnlyList<string>? escalatedFor = null) => new(
        v.WarningId, v.Version, WarningCot.StageName(v.Stage), v.Exercise, v.IssuedAt, v.LaunchTime, v.LaunchPoint.Lat, v.LaunchPoint.Lon,
        v.PredictedImpact is { } i ? new ImpactJson(i.Center.Lat, i.Center.Lon, i.SemiMajorMeters, i.SemiMinorMeters, i.OrientationDegrees, v.EstimatedImpactTime) : null,
        v.Confidence, v.AffectedPrefectures, v.Sensors, LabelJson.From(v.Label),
        [.. receipts.Select(r => new ReceiptJson(r.Recipient, r.Organization, r.Nation, r.DeliveredAt, r.AcknowledgedAt))],
        // Organizations whose clients received this version and none has acknowledged it.
        [.. receipts.Where(r => r.DeliveredAt is not null).Select(r => r.Organization).Distinct()
            .Where(o => !receipts.Any(r => r.Organization == o && r.AcknowledgedAt is not null)).Order(StringComparer.Ordinal)],
        escalatedFor ?? [],
        v.Audience);
}

public sealed record ImpactJson(double Lat, double Lon, double SemiMajorMeters, double SemiMinorMeters, double OrientationDegrees, DateTime? Time);

public sealed record ReceiptJson(string Recipient, string Organization, string Nation, DateTime? DeliveredAt, DateTime? AcknowledgedAt);

/// <summary>
/// A receipt a partner node sent back (federation): its headquarters' recipient and what it did with
/// that node's own warning of the same launch (<see cref="PartnerWarning"/>, <see cref="PartnerVersion"/> are the partner's).
/// </summary>
public sealed record PartnerReceiptJson(string IssuedBy, string PartnerWarning, int PartnerVersion, string Recipient, string Organization, string Nation, DateTime? DeliveredAt, DateTime? AcknowledgedAt)
{
    public static PartnerReceiptJson From(PartnerReceipt r) => new(r.IssuedBy, r.WarningId, r.Version, r.Recipient, r.Organization, r.Nation, r.DeliveredAt, r.AcknowledgedAt);
}

/// <summary>Console live feed, first message: who is signed in.</summary>
public sealed record LiveHelloJson(WhoAmIJson Whoami)
{
    [JsonPropertyOrder(-1)]
    public string Kind => "hello";
}

/// <summary>Console live feed, second message: the latest picture the identity may see.</summary>
public sealed record LiveSnapshotJson(IReadOnlyList<EventJson> Events)
{
    [JsonPropertyOrder(-1)]
    public string Kind => "snapshot";
}

/// <summary>Console live feed: one live event (picture or chat) the identity may see.</summary>
public sealed record LiveEventJson(EventJson Event)
{
    [JsonPropertyOrder(-1)]
    public string Kind => "event";
}

/// <summary>
/// Console live feed: one warning version the identity may see (receipts come from
/// <c>/api/warnings/{id}</c>); <see cref="EscalatedFrom"/> names the organization that has not
/// acknowledged it when it comes as an escalation up the chain.
/// </summary>
public sealed record LiveWarningJson(WarningJson Warning, string? EscalatedFrom = null)
{
    [JsonPropertyOrder(-1)]
    public string Kind => "warning";
}

/// <summary>Console live feed: the answer to <c>{"kind":"ping"}</c>.</summary>
public sealed record LivePongJson
{
    [JsonPropertyOrder(-1)]
    public string Kind => "pong";
}
