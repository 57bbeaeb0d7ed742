using System.Globalization;
using System.Text;
using Gen = Atakmap.Commoncommo.Protobuf.V1;

namespace Kizuna.Cot.Tak;

/// <summary>
/// Kizuna's model and the messages generated from schemas/tak/takmessage.proto. A detail element
/// with a typed message (contact, __group, precisionlocation, status, takv, track) uses it only
/// when the typed form says exactly what the element said (once, no children, only its own
/// attributes in field order, none empty, numbers as the typed form writes them); everything else
/// travels whole in xmlDetail, so nothing is lost. On decode the typed elements come first, then
/// xmlDetail; when an element is both typed and in xmlDetail, the xmlDetail copy wins. Event
/// attributes with no protobuf field (<see cref="CotEvent.ExtraAttributes"/>) and whitespace
/// between detail elements do not travel.
/// </summary>
internal static class TakMapping
{
    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    /// <summary>A generated CotEvent as the model (throws <see cref="CotFormatException"/> for what the node refuses).</summary>
    public static CotEvent ToEvent(Gen.CotEvent m, CotLimits limits, DateTime utcNow)
    {
        if (m.Uid.Length == 0 || m.Type.Length == 0)
        {
            throw new CotFormatException(CotRejectReason.MissingField, "the event needs uid and type");
        }

        if (!double.IsFinite(m.Lat) || !double.IsFinite(m.Lon) || !double.IsFinite(m.Hae) || !double.IsFinite(m.Ce) || !double.IsFinite(m.Le))
        {
            throw new CotFormatException(CotRejectReason.BadNumber, "a point value is not a finite number");
        }

        if (m.Lat is < -90 or > 90 || m.Lon is < -180 or > 180)
        {
            throw new CotFormatException(CotRejectReason.BadCoordinate, "lat or lon out of range");
        }

        var evt = new CotEvent
        {
            Uid = m.Uid,
            Type = m.Type,
            How = NullIfEmpty(m.How),
            Access = NullIfEmpty(m.Access),
            Qos = NullIfEmpty(m.Qos),
            Opex = NullIfEmpty(m.Opex),
            Caveat = NullIfEmpty(m.Caveat),
            ReleasableTo = NullIfEmpty(m.ReleaseableTo),
            Time = CotTime.FromUnixMilliseconds(m.SendTime),
            Start = CotTime.FromUnixMilliseconds(m.StartTime),
            Stale = CotTime.FromUnixMilliseconds(m.StaleTime),
            Point = new CotPoint(m.Lat, m.Lon, m.Hae, m.Ce, m.Le),
            Detail = m.Detail is null ? CotDetail.Empty : ToDetail(m.Detail, limits),
        };
        if (evt.Time > utcNow + limits.MaxClockSkew || evt.Start > utcNow + limits.MaxClockSkew)
        {
            throw new CotFormatException(CotRejectReason.BadTime, "time or start is too far in the future");
        }

        return evt;
    }

    public static TakControl ToControl(Gen.TakControl c) => new(c.MinProtoVersion, c.MaxProtoVersion, NullIfEmpty(c.ContactUid));

    public static Gen.TakControl FromControl(TakControl control) => new()
    {
        MinProtoVersion = control.MinProtoVersion,
        MaxProtoVersion = control.MaxProtoVersion,
        ContactUid = control.ContactUid ?? string.Empty,
    };

    private static CotDetail ToDetail(Gen.Detail d, CotLimits limits)
    {
        var fromXml = d.XmlDetail.Length == 0 ? CotDetail.Empty : CotDetail.FromXml(d.XmlDetail, limits);
        if (d.Contact is null && d.Group is null && d.PrecisionLocation is null && d.Status is null && d.Takv is null && d.Track is null)
        {
            return fromXml;
        }

        var xml = new StringBuilder();
        void Add(string name, params ReadOnlySpan<(string Key, string Value)> attributes)
        {
            if (fromXml.Element(name) is not null)
            {
                return;
            }

            var element = new CotElement(name);
            foreach (var (key, value) in attributes)
            {
                if (value.Length > 0)
                {
                    element.Attributes.Add(new(key, value));
                }
            }

            element.WriteTo(xml);
        }

        if (d.Contact is { } contact)
        {
            Add("contact", ("endpoint", contact.Endpoint), ("callsign", contact.Callsign));
        }

        if (d.Group is { } group)
        {
            Add("__group", ("name", group.Name), ("role", group.Role));
        }

        if (d.PrecisionLocation is { } precision)
        {
            Add("precisionlocation", ("geopointsrc", precision.Geopointsrc), ("altsrc", precision.Altsrc));
        }

        if (d.Status is { } status)
        {
            Add("status", ("battery", status.Battery == 0 ? string.Empty : status.Battery.ToString(CultureInfo.InvariantCulture)));
        }

        if (d.Takv is { } takv)
        {
            Add("takv", ("device", takv.Device), ("platform", takv.Platform), ("os", takv.Os), ("version", takv.Version));
        }

        if (d.Track is { } track)
        {
            Add("track", ("speed", Number(track.Speed)), ("course", Number(track.Course)));
        }

        return xml.Length == 0 ? fromXml : CotDetail.FromXml(xml.Append(fromXml.InnerXml).ToString(), limits);
    }

    public static Gen.CotEvent FromEvent(CotEvent evt)
    {
        var m = new Gen.CotEvent
        {
            Type = evt.Type,
            Access = evt.Access ?? string.Empty,
            Qos = evt.Qos ?? string.Empty,
            Opex = evt.Opex ?? string.Empty,
            Uid = evt.Uid,
            SendTime = CotTime.ToUnixMilliseconds(evt.Time),
            StartTime = CotTime.ToUnixMilliseconds(evt.Start),
            StaleTime = CotTime.ToUnixMilliseconds(evt.Stale),
            How = evt.How ?? string.Empty,
            Lat = evt.Point.Lat,
            Lon = evt.Point.Lon,
            Hae = evt.Point.Hae,
            Ce = evt.Point.Ce,
            Le = evt.Point.Le,
            Caveat = evt.Caveat ?? string.Empty,
            ReleaseableTo = evt.ReleasableTo ?? string.Empty,
        };
        if (!evt.Detail.IsEmpty)
        {
            m.Detail = FromDetail(evt.Detail);
        }

        return m;
    }

    private static Gen.Detail FromDetail(CotDetail detail)
    {
        // Nothing could be typed: the detail travels verbatim, whitespace between elements included.
        // The text test first, so that most details are never parsed into elements here.
        var inner = detail.InnerXml;
        if (!MayHoldTyped(inner) || !detail.Elements.Any(e => Array.IndexOf(TypedNames, e.Name) >= 0))
        {
            return new Gen.Detail { XmlDetail = inner };
        }

        var d = new Gen.Detail();
        var xml = new StringBuilder(inner.Length);
        foreach (var item in detail.Content)
        {
            if (item is not CotElement element)
            {
                // Text directly inside <detail> is rare but kept; whitespace between elements is not.
                if (!string.IsNullOrWhiteSpace((string)item))
                {
                    XmlText.EscapeText((string)item, xml);
                }

                continue;
            }

            // An element whose name occurs twice stays in xmlDetail, every copy: a typed copy would
            // lose to the xmlDetail one on decode.
            if (element.Content.Count > 0 || Occurrences(detail, element.Name) != 1 || !TryTyped(element, d))
            {
                element.WriteTo(xml);
            }
        }

        d.XmlDetail = xml.ToString();
        return d;
    }

    private static bool MayHoldTyped(string inner)
    {
        foreach (var name in TypedNames)
        {
            if (inner.Contains(string.Concat("<", name), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int Occurrences(CotDetail detail, string name)
    {
        var n = 0;
        foreach (var e in detail.Elements)
        {
            if (string.Equals(e.Name, name, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }

    private static bool TryTyped(CotElement e, Gen.Detail d)
    {
        switch (e.Name)
        {
            case "contact" when Strings(e, ["endpoint", "callsign"]) is { } v:
                d.Contact = new Gen.Contact { Endpoint = v[0], Callsign = v[1] };
                return true;
            case "__group" when Strings(e, ["name", "role"]) is { } v:
                d.Group = new Gen.Group { Name = v[0], Role = v[1] };
                return true;
            case "precisionlocation" when Strings(e, ["geopointsrc", "altsrc"]) is { } v:
                d.PrecisionLocation = new Gen.PrecisionLocation { Geopointsrc = v[0], Altsrc = v[1] };
                return true;
            case "takv" when Strings(e, ["device", "platform", "os", "version"]) is { } v:
                d.Takv = new Gen.Takv { Device = v[0], Platform = v[1], Os = v[2], Version = v[3] };
                return true;
            case "status" when e.Attributes is [{ Key: "battery", Value: var b }]
                               && uint.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var battery) && battery != 0
                               && b == battery.ToString(CultureInfo.InvariantCulture):
                d.Status = new Gen.Status { Battery = battery };
                return true;
            case "track" when e.Attributes is [{ Key: "speed", Value: var s }, { Key: "course", Value: var c }]
                              && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed) && speed != 0 && s == Number(speed)
                              && double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var course) && course != 0 && c == Number(course):
                d.Track = new Gen.Track { Speed = speed, Course = course };
                return true;
            default:
                return false;
        }
    }

    /// <summary>The element's attribute values by field, when it has only these attributes, in this order, none empty.</summary>
    private static string[]? Strings(CotElement e, string[] fields)
    {
        var values = new string[fields.Length];
        Array.Fill(values, string.Empty);
        var k = 0;
        foreach (var (key, value) in e.Attributes)
        {
            while (k < fields.Length && !string.Equals(fields[k], key, StringComparison.Ordinal))
            {
                k++;
            }

            if (k == fields.Length || value.Length == 0)
            {
                return null;
            }

            values[k++] = value;
        }

        return values;
    }

    /// <summary>A typed number as its attribute: 0 (the protobuf default) is no attribute.</summary>
    private static string Number(double value) => value == 0 ? string.Empty : value.ToString("R", CultureInfo.InvariantCulture);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
