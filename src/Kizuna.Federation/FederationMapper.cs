using System.Globalization;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>Where an event entered the federation, and its place in that origin's sequence (from 1).</summary>
public readonly record struct EventOrigin(string NodeId, ulong Sequence);

/// <summary>
/// What a received <see cref="FederatedEvent"/> holds, read: the CoT event (null for an
/// acknowledgement or a contact-only message), the originator's full label when a Kizuna node
/// sent one, its origin, and an acknowledgement. <see cref="LabelProblem"/> says why a Kizuna
/// label could not be read; the event then carries only the GeoEvent's attributes.
/// </summary>
public sealed record FederatedInbound(
    CotEvent? Event,
    ConfidentialityLabel? Label,
    string? LabelProblem,
    EventOrigin? Origin,
    KizunaHoldings? Ack,
    IReadOnlyList<FederateProvenance> Provenance);

/// <summary>
/// Maps CoT events with their confidentiality label to TAK federation v2 messages and back.
/// Lossless for Kizuna (time to the millisecond, as TAK protocol v1): the detail rides whole in
/// <c>GeoEvent.other</c>, the label in fields 27-29 for TAK Servers and whole in the Kizuna
/// envelope (field 1000). A TAK Server's message, without the envelope, is read from its
/// typed fields and <c>other</c>. See docs/dev/federation-wire.md.
/// </summary>
public sealed class FederationMapper(LabelPolicy labels, CotLimits? limits = null)
{
    private const string DetailOpen = "<detail>";
    private const string DetailClose = "</detail>";
    private readonly CotLimits _limits = limits ?? CotLimits.Default;

    /// <summary>
    /// The federation message for an event and its label. <paramref name="origin"/> and
    /// <paramref name="provenance"/> are the Kizuna envelope's and TAK's path fields; the caller
    /// appends its own node to the provenance.
    /// </summary>
    public static FederatedEvent ToFederated(CotEvent evt, ConfidentialityLabel label, EventOrigin? origin = null, IEnumerable<FederateProvenance>? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(label);
        var geo = new GeoEvent
        {
            SendTime = Milliseconds(evt.Time),
            StartTime = Milliseconds(evt.Start),
            StaleTime = Milliseconds(evt.Stale),
            Lat = evt.Point.Lat,
            Lon = evt.Point.Lon,
            Hae = evt.Point.Hae,
            Ce = evt.Point.Ce,
            Le = evt.Point.Le,
            Uid = evt.Uid,
            Type = evt.Type,
            CoordSource = evt.How ?? string.Empty,
            Other = evt.Detail.IsEmpty ? string.Empty : DetailOpen + evt.Detail.InnerXml + DetailClose,
            Access = label.Classification,
            Caveat = label.Caveat ?? string.Empty,
            ReleaseableTo = label.ReleasableToAttribute,
        };

        // The typed copies TAK Servers read without parsing the detail.
        if (evt.Detail.ContactCallsign is { } callsign)
        {
            geo.ScreenName = callsign;
        }

        if (!evt.Detail.IsEmpty && evt.Detail.Element("__group") is { } group)
        {
            geo.GroupName = group.Attribute("name") ?? string.Empty;
            geo.GroupRole = group.Attribute("role") ?? string.Empty;
        }

        var envelope = new KizunaEnvelope
        {
            Label = ToWire(label),
            Qos = evt.Qos ?? string.Empty,
            Opex = evt.Opex ?? string.Empty,
            Version = evt.Version,
        };
        foreach (var (name, value) in evt.ExtraAttributes)
        {
            envelope.ExtraAttributes.Add(new KizunaAttribute { Name = name, Value = value });
        }

        if (origin is { } o)
        {
            envelope.OriginNodeId = o.NodeId;
            envelope.OriginSequence = o.Sequence;
        }

        var message = new FederatedEvent { Event = geo, Kizuna = envelope };
        if (evt.Detail.ContactCallsign is { } contact)
        {
            message.Contact = new ContactListEntry { Operation = CRUD.Update, Uid = evt.Uid, Callsign = contact };
        }

        if (provenance is not null)
        {
            message.FederateProvenance.AddRange(provenance);
        }

        return message;
    }

    /// <summary>An acknowledgement: no event, only "I hold up to sequence N from origin O".</summary>
    public static FederatedEvent Acknowledgement(KizunaHoldings holdings)
        => new() { Kizuna = new KizunaEnvelope { Ack = holdings } };

    /// <summary>
    /// Reads a received message. Throws <see cref="CotFormatException"/> when the event is
    /// unusable (no uid or type, a detail that is not well-formed or exceeds the limits).
    /// </summary>
    public FederatedInbound FromFederated(FederatedEvent message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = message.Kizuna;
        EventOrigin? origin = envelope is { OriginNodeId.Length: > 0 } ? new EventOrigin(envelope.OriginNodeId, envelope.OriginSequence) : null;
        if (message.Event is not { } geo)
        {
            return new FederatedInbound(null, null, null, origin, envelope?.Ack, message.FederateProvenance);
        }

        if (geo.Uid.Length == 0 || geo.Type.Length == 0)
        {
            throw new CotFormatException(CotRejectReason.MissingField, "a federated event without uid or type");
        }

        var evt = new CotEvent
        {
            Uid = geo.Uid,
            Type = geo.Type,
            How = geo.CoordSource.Length == 0 ? null : geo.CoordSource,
            Time = FromMilliseconds(geo.SendTime),
            Start = FromMilliseconds(geo.StartTime),
            Stale = FromMilliseconds(geo.StaleTime),
            Point = new CotPoint(geo.Lat, geo.Lon, geo.Hae, geo.Ce, geo.Le),
            Access = NullIfEmpty(geo.Access),
            Caveat = NullIfEmpty(geo.Caveat),
            ReleasableTo = NullIfEmpty(geo.ReleaseableTo),
            Detail = ReadDetail(geo),
        };

        if (envelope is not null)
        {
            evt.Qos = NullIfEmpty(envelope.Qos);
            evt.Opex = NullIfEmpty(envelope.Opex);
            if (envelope.Version.Length > 0)
            {
                evt.Version = envelope.Version;
            }

            if (envelope.ExtraAttributes.Count > 0)
            {
                evt.ExtraAttributes = [.. envelope.ExtraAttributes.Select(a => new KeyValuePair<string, string>(a.Name, a.Value))];
            }
        }

        ConfidentialityLabel? label = null;
        string? problem = null;
        if (envelope?.Label is { } wire && !TryFromWire(wire, out label, out problem))
        {
            label = null;
        }

        if (label is not null)
        {
            labels.Stamp(evt, label);
        }

        return new FederatedInbound(evt, label, problem, origin, envelope?.Ack, message.FederateProvenance);
    }

    public static KizunaLabel ToWire(ConfidentialityLabel label)
    {
        var wire = new KizunaLabel { Policy = label.Policy, Classification = label.Classification, Caveat = label.Caveat ?? string.Empty };
        wire.ReleasableTo.AddRange(label.ReleasableTo);
        foreach (var category in label.Categories)
        {
            var c = new KizunaCategory { Name = category.Name, Type = LabelCategory.TypeName(category.Type) };
            c.Values.AddRange(category.Values);
            wire.Categories.Add(c);
        }

        return wire;
    }

    /// <summary>The label a Kizuna envelope carries, built under this node's policy; refused when the policy differs or a value is unknown.</summary>
    public bool TryFromWire(KizunaLabel wire, out ConfidentialityLabel? label, out string? problem)
    {
        label = null;
        if (!string.Equals(wire.Policy, labels.PolicyId, StringComparison.Ordinal))
        {
            problem = $"the label is of policy '{wire.Policy}', not this node's {labels.PolicyId}";
            return false;
        }

        var categories = new List<LabelCategory>(wire.Categories.Count);
        foreach (var c in wire.Categories)
        {
            CategoryType? type = c.Type switch
            {
                "permissive" => CategoryType.Permissive,
                "restrictive" => CategoryType.Restrictive,
                "informative" => CategoryType.Informative,
                _ => null,
            };
            if (type is null || c.Name.Length == 0 || c.Values.Count == 0)
            {
                problem = $"the label has a category that cannot be read ('{c.Name}', type '{c.Type}')";
                return false;
            }

            categories.Add(new LabelCategory(c.Name, type.Value, [.. c.Values]));
        }

        try
        {
            label = labels.Create(wire.Classification, wire.ReleasableTo, categories, NullIfEmpty(wire.Caveat));
            problem = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            problem = "the label cannot be read: " + ex.Message;
            return false;
        }
    }

    private CotDetail ReadDetail(GeoEvent geo)
    {
        var inner = InnerDetail(geo.Other);
        var detail = inner.Length == 0 ? CotDetail.Empty : CotDetail.FromXml(inner, _limits);

        // A TAK Server may keep some of the detail only in typed fields: add what the XML lacks.
        var added = new List<CotElement>();
        if (geo.ScreenName.Length > 0 && (detail.IsEmpty || detail.Element("contact") is null))
        {
            var contact = new CotElement("contact");
            contact.Attributes.Add(new("callsign", geo.ScreenName));
            added.Add(contact);
        }

        if (geo.GroupName.Length > 0 && (detail.IsEmpty || detail.Element("__group") is null))
        {
            var group = new CotElement("__group");
            group.Attributes.Add(new("name", geo.GroupName));
            group.Attributes.Add(new("role", geo.GroupRole));
            added.Add(group);
        }

        if (inner.Length == 0 && geo.Battery > 0)
        {
            var status = new CotElement("status");
            status.Attributes.Add(new("battery", geo.Battery.ToString(CultureInfo.InvariantCulture)));
            added.Add(status);
        }

        if (inner.Length == 0 && (geo.Speed != 0 || geo.Course != 0))
        {
            var track = new CotElement("track");
            track.Attributes.Add(new("speed", geo.Speed.ToString("R", CultureInfo.InvariantCulture)));
            track.Attributes.Add(new("course", geo.Course.ToString("R", CultureInfo.InvariantCulture)));
            added.Add(track);
        }

        return added.Count == 0 ? detail : CotDetail.FromElements(detail.Elements.Concat(added));
    }

    /// <summary><c>other</c> as TAK Server writes it (a whole &lt;detail&gt; element) or bare inner XML.</summary>
    internal static string InnerDetail(string other)
    {
        var text = other.Trim();
        if (!text.StartsWith("<detail", StringComparison.Ordinal) || text.Length < 8 || (text[7] != '>' && text[7] != '/' && !char.IsWhiteSpace(text[7])))
        {
            return text;
        }

        var open = text.IndexOf('>', StringComparison.Ordinal);
        if (open > 0 && text[open - 1] == '/')
        {
            return string.Empty; // <detail/>
        }

        return text.EndsWith(DetailClose, StringComparison.Ordinal) && open > 0
            ? text[(open + 1)..^DetailClose.Length]
            : throw new CotFormatException(CotRejectReason.MalformedXml, "the federated detail has no matching </detail>");
    }

    private static long Milliseconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static DateTime FromMilliseconds(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, 253402300799999)).UtcDateTime;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
