using System.Globalization;
using System.Text;
using Gen = Atakmap.Commoncommo.Protobuf.V1;

namespace Kizuna.Cot.Tests.Differential;

/// <summary>
/// The mapping between Kizuna's model and the messages generated from schemas/tak/takmessage.proto,
/// written from shared/PRODUCT.md section 5 and independently of src/Kizuna.Cot/Tak/TakProto.cs:
/// the reference the differential tests hold the hand-written codec to, and the generated path
/// the benchmark measures (bench/Kizuna.Bench links this file).
/// </summary>
internal static class TakReference
{
    /// <summary>What the hand-written decoder must make of <paramref name="message"/>: an event and/or control, or a refusal.</summary>
    public static (CotEvent? Event, TakControl? Control, CotRejectReason? Reject) Decode(Gen.TakMessage message, CotLimits limits, DateTime utcNow)
    {
        var control = message.TakControl is { } c ? new TakControl(c.MinProtoVersion, c.MaxProtoVersion, NullIfEmpty(c.ContactUid)) : null;
        if (message.CotEvent is null)
        {
            return control is null ? (null, null, CotRejectReason.BadProtobuf) : (null, control, null);
        }

        try
        {
            return (ToEvent(message.CotEvent, limits, utcNow), control, null);
        }
        catch (CotFormatException e)
        {
            return (null, null, e.Reason);
        }
    }

    /// <summary>A generated CotEvent as Kizuna's model (throws <see cref="CotFormatException"/> for what the node refuses).</summary>
    public static CotEvent ToEvent(Gen.CotEvent m, CotLimits limits, DateTime utcNow)
    {
        if (m.Uid.Length == 0 || m.Type.Length == 0)
        {
            throw new CotFormatException(CotRejectReason.MissingField, "uid and type");
        }

        if (!double.IsFinite(m.Lat) || !double.IsFinite(m.Lon) || !double.IsFinite(m.Hae) || !double.IsFinite(m.Ce) || !double.IsFinite(m.Le))
        {
            throw new CotFormatException(CotRejectReason.BadNumber, "point");
        }

        if (m.Lat is < -90 or > 90 || m.Lon is < -180 or > 180)
        {
            throw new CotFormatException(CotRejectReason.BadCoordinate, "lat or lon");
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
            Time = Time(m.SendTime),
            Start = Time(m.StartTime),
            Stale = Time(m.StaleTime),
            Point = new CotPoint(m.Lat, m.Lon, m.Hae, m.Ce, m.Le),
            Detail = m.Detail is null ? CotDetail.Empty : ToDetail(m.Detail, limits),
        };
        if (evt.Time > utcNow + limits.MaxClockSkew || evt.Start > utcNow + limits.MaxClockSkew)
        {
            throw new CotFormatException(CotRejectReason.BadTime, "future");
        }

        return evt;
    }

    /// <summary>Typed messages become their elements unless xmlDetail holds an element of that name (the xmlDetail copy wins).</summary>
    public static CotDetail ToDetail(Gen.Detail d, CotLimits limits)
    {
        var fromXml = d.XmlDetail.Length == 0 ? CotDetail.Empty : CotDetail.FromXml(d.XmlDetail, limits);
        var xml = new StringBuilder();
        void Add(string name, params (string Key, string Value)[] attributes)
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

    /// <summary>
    /// Kizuna's model as a generated message: each typed element goes in its typed message when that
    /// says exactly what the element said (once, no children, its own attributes in field order,
    /// none empty, numbers as the typed form writes them); everything else in xmlDetail.
    /// </summary>
    public static Gen.TakMessage FromEvent(CotEvent evt)
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

        return new Gen.TakMessage { CotEvent = m };
    }

    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    private static Gen.Detail FromDetail(CotDetail detail)
    {
        var d = new Gen.Detail();
        if (!detail.Elements.Any(e => TypedNames.Contains(e.Name, StringComparer.Ordinal)))
        {
            // Nothing could be typed: the detail travels verbatim, whitespace between elements included.
            d.XmlDetail = detail.InnerXml;
            return d;
        }

        var xml = new StringBuilder();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var element in detail.Elements)
        {
            counts[element.Name] = counts.GetValueOrDefault(element.Name) + 1;
        }

        foreach (var item in detail.Content)
        {
            if (item is not CotElement element)
            {
                if (!string.IsNullOrWhiteSpace((string)item))
                {
                    XmlText.EscapeText((string)item, xml);
                }

                continue;
            }

            if (counts[element.Name] != 1 || element.Content.Count > 0 || !TryTyped(element, d))
            {
                element.WriteTo(xml);
            }
        }

        d.XmlDetail = xml.ToString();
        return d;
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

    /// <summary>Milliseconds since the epoch up to the last whole millisecond a DateTime holds; past it, refused.</summary>
    private static DateTime Time(ulong ms)
        => ms > (ulong)((DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond)
            ? throw new CotFormatException(CotRejectReason.BadTime, "out of range")
            : new DateTime(DateTime.UnixEpoch.Ticks + ((long)ms * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    private static string Number(double value) => value == 0 ? string.Empty : value.ToString("R", CultureInfo.InvariantCulture);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
