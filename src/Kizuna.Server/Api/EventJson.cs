using System.Text.Json.Serialization;
using Kizuna.Core.Storage;

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
    string Sender)
{
    public static EventJson From(StoredEvent stored)
    {
        var e = stored.Event;
        return new EventJson(
            e.Uid, e.Type, e.How, e.Time, e.Start, e.Stale, e.Access, e.Qos, e.Opex, e.Caveat, e.ReleasableTo,
            new PointJson(e.Point.Lat, e.Point.Lon, e.Point.Hae, e.Point.Ce, e.Point.Le),
            e.Detail.ContactCallsign, e.Detail.InnerXml, stored.ReceivedAt, stored.Sender);
    }
}

public sealed record PointJson(double Lat, double Lon, double Hae, double Ce, double Le);

public sealed record ErrorJson(string Error);

public sealed record HealthJson(string Status, long Connections, long EventsIn, long EventsOut);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventJson))]
[JsonSerializable(typeof(List<EventJson>))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(HealthJson))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
