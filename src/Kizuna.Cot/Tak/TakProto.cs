using System.Globalization;
using System.Text;
using Kizuna.Cot.Tak;

namespace Kizuna.Cot;

/// <summary>
/// TAK protocol v1 (package atakmap.commoncommo.protobuf.v1), hand-written. Detail elements with
/// a typed message (contact, __group, precisionlocation, status, takv, track) use it only when the
/// typed form says exactly what the element said; anything else travels whole in xmlDetail, so
/// nothing is lost. On decode the typed elements come first, then xmlDetail; when an element is
/// both typed and in xmlDetail, the xmlDetail copy wins. Event attributes with no protobuf field
/// (<see cref="CotEvent.ExtraAttributes"/>) and whitespace between detail elements do not travel.
/// </summary>
public static class TakProto
{
    /// <summary>The magic byte that starts every stream frame and mesh datagram.</summary>
    public const byte Magic = 0xBF;

    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    [ThreadStatic]
    private static ProtoWriter[]? t_writers;

    /// <summary>A whole stream frame: 0xBF, varint length, TakMessage{cotEvent}.</summary>
    public static byte[] EncodeStreamFrame(CotEvent evt)
    {
        var message = Writers()[0];
        message.Reset();
        WriteMessage(message, evt, null);
        var frame = new byte[1 + ProtoWriter.VarintSize((ulong)message.Length) + message.Length];
        frame[0] = Magic;
        var n = 1;
        var length = (ulong)message.Length;
        while (length >= 0x80)
        {
            frame[n++] = (byte)(length | 0x80);
            length >>= 7;
        }

        frame[n++] = (byte)length;
        message.Written.CopyTo(frame.AsSpan(n));
        return frame;
    }

    /// <summary>A mesh datagram: 0xBF 0x01 0xBF, then TakMessage{cotEvent}.</summary>
    public static byte[] EncodeMeshDatagram(CotEvent evt)
    {
        var message = Writers()[0];
        message.Reset();
        WriteMessage(message, evt, null);
        var datagram = new byte[3 + message.Length];
        datagram[0] = Magic;
        datagram[1] = 0x01;
        datagram[2] = Magic;
        message.Written.CopyTo(datagram.AsSpan(3));
        return datagram;
    }

    /// <summary>The TakMessage payload alone.</summary>
    public static byte[] EncodeMessage(CotEvent? evt, TakControl? control = null)
    {
        var message = Writers()[0];
        message.Reset();
        WriteMessage(message, evt, control);
        return message.Written.ToArray();
    }

    /// <summary>Decodes a TakMessage payload (throws <see cref="CotFormatException"/>).</summary>
    public static (CotEvent? Event, TakControl? Control) DecodeMessage(ReadOnlySpan<byte> payload, CotLimits? limits = null)
        => DecodeMessage(payload, limits ?? CotLimits.Default, DateTime.UtcNow);

    internal static (CotEvent? Event, TakControl? Control) DecodeMessage(ReadOnlySpan<byte> payload, CotLimits limits, DateTime utcNow)
    {
        if (payload.Length > limits.MaxEventBytes)
        {
            throw new CotFormatException(CotRejectReason.Oversize, $"the message is larger than {limits.MaxEventBytes} bytes");
        }

        CotEvent? evt = null;
        TakControl? control = null;
        var reader = new ProtoReader(payload);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    ProtoReader.Expect(wire, 2);
                    control = ReadControl(reader.ReadBytes());
                    break;
                case 2:
                    ProtoReader.Expect(wire, 2);
                    evt = ReadEvent(reader.ReadBytes(), limits, utcNow);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (evt is null && control is null)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a TakMessage with neither takControl nor cotEvent");
        }

        return (evt, control);
    }

    /// <summary>Decodes a mesh datagram (throws <see cref="CotFormatException"/>).</summary>
    public static CotEvent DecodeMeshDatagram(ReadOnlySpan<byte> datagram, CotLimits? limits = null)
    {
        if (datagram.Length < 3 || datagram[0] != Magic || datagram[1] != 0x01 || datagram[2] != Magic)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "not a TAK protocol v1 mesh datagram (0xBF 0x01 0xBF)");
        }

        return DecodeMessage(datagram[3..], limits).Event
               ?? throw new CotFormatException(CotRejectReason.MissingField, "the datagram holds no event");
    }

    private static ProtoWriter[] Writers() => t_writers ??= [new ProtoWriter(), new ProtoWriter(), new ProtoWriter(), new ProtoWriter()];

    private static void WriteMessage(ProtoWriter message, CotEvent? evt, TakControl? control)
    {
        var writers = Writers();
        if (control is not null)
        {
            var c = writers[1];
            c.Reset();
            c.UInt64(1, control.MinProtoVersion);
            c.UInt64(2, control.MaxProtoVersion);
            c.String(3, control.ContactUid);
            message.Message(1, c);
        }

        if (evt is not null)
        {
            var e = writers[1];
            e.Reset();
            WriteEvent(e, evt, writers[2], writers[3]);
            message.Message(2, e);
        }
    }

    private static void WriteEvent(ProtoWriter w, CotEvent evt, ProtoWriter detail, ProtoWriter scratch)
    {
        w.String(1, evt.Type);
        w.String(2, evt.Access);
        w.String(3, evt.Qos);
        w.String(4, evt.Opex);
        w.String(5, evt.Uid);
        w.UInt64(6, CotTime.ToUnixMilliseconds(evt.Time));
        w.UInt64(7, CotTime.ToUnixMilliseconds(evt.Start));
        w.UInt64(8, CotTime.ToUnixMilliseconds(evt.Stale));
        w.String(9, evt.How);
        w.Double(10, evt.Point.Lat);
        w.Double(11, evt.Point.Lon);
        w.Double(12, evt.Point.Hae);
        w.Double(13, evt.Point.Ce);
        w.Double(14, evt.Point.Le);
        if (!evt.Detail.IsEmpty)
        {
            detail.Reset();
            WriteDetail(detail, evt.Detail, scratch);
            w.Message(15, detail);
        }

        w.String(16, evt.Caveat);
        w.String(17, evt.ReleasableTo);
    }

    private static void WriteDetail(ProtoWriter w, CotDetail detail, ProtoWriter scratch)
    {
        // Fast path: no element that could be typed, so the whole detail is xmlDetail.
        var inner = detail.InnerXml;
        if (!MayHoldTyped(inner))
        {
            w.String(1, inner);
            return;
        }

        var xml = new StringBuilder(inner.Length);
        var typed = new CotElement?[TypedNames.Length];
        var seen = new int[TypedNames.Length];
        foreach (var element in detail.Elements)
        {
            var slot = Array.IndexOf(TypedNames, element.Name);
            if (slot >= 0)
            {
                seen[slot]++;
            }
        }

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
            var slot = Array.IndexOf(TypedNames, element.Name);
            if (slot >= 0 && seen[slot] == 1 && TypedForm(slot, element) is { } form && string.Equals(form, element.ToXml(), StringComparison.Ordinal))
            {
                typed[slot] = element;
            }
            else
            {
                element.WriteTo(xml);
            }
        }

        w.String(1, xml.ToString());
        for (var slot = 0; slot < typed.Length; slot++)
        {
            if (typed[slot] is not { } element)
            {
                continue;
            }

            scratch.Reset();
            switch (slot)
            {
                case 0: scratch.String(1, element.Attribute("endpoint")); scratch.String(2, element.Attribute("callsign")); break;
                case 1: scratch.String(1, element.Attribute("name")); scratch.String(2, element.Attribute("role")); break;
                case 2: scratch.String(1, element.Attribute("geopointsrc")); scratch.String(2, element.Attribute("altsrc")); break;
                case 3: scratch.UInt64(1, uint.Parse(element.Attribute("battery")!, CultureInfo.InvariantCulture)); break;
                case 4:
                    scratch.String(1, element.Attribute("device"));
                    scratch.String(2, element.Attribute("platform"));
                    scratch.String(3, element.Attribute("os"));
                    scratch.String(4, element.Attribute("version"));
                    break;
                case 5:
                    scratch.Double(1, double.Parse(element.Attribute("speed")!, CultureInfo.InvariantCulture));
                    scratch.Double(2, double.Parse(element.Attribute("course")!, CultureInfo.InvariantCulture));
                    break;
            }

            w.Message(slot + 2, scratch);
        }
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

    /// <summary>The XML a typed message decodes to, or null when the element cannot be typed.</summary>
    private static string? TypedForm(int slot, CotElement element)
    {
        if (element.Content.Count > 0)
        {
            return null;
        }

        var a = element.Attributes;
        switch (slot)
        {
            case 3:
                return a.Count == 1 && a[0].Key == "battery" && uint.TryParse(a[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var battery) && battery != 0
                    ? Render(element.Name, [("battery", battery.ToString(CultureInfo.InvariantCulture))])
                    : null;
            case 5:
                if (a.Count != 2 || a[0].Key != "speed" || a[1].Key != "course"
                    || !double.TryParse(a[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed)
                    || !double.TryParse(a[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var course)
                    || speed == 0 || course == 0)
                {
                    return null;
                }

                return Render(element.Name, [("speed", Format(speed)), ("course", Format(course))]);
            default:
                var names = FieldNames(slot);
                var values = new List<(string Key, string? Value)>();
                var k = 0;
                foreach (var (key, value) in a)
                {
                    while (k < names.Length && names[k] != key)
                    {
                        k++;
                    }

                    if (k == names.Length || value.Length == 0)
                    {
                        return null;
                    }

                    values.Add((key, value));
                    k++;
                }

                return Render(element.Name, values);
        }
    }

    private static string[] FieldNames(int slot) => slot switch
    {
        0 => ["endpoint", "callsign"],
        1 => ["name", "role"],
        2 => ["geopointsrc", "altsrc"],
        _ => ["device", "platform", "os", "version"],
    };

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Render(string name, IEnumerable<(string Key, string? Value)> attributes)
    {
        var element = new CotElement(name);
        foreach (var (key, value) in attributes)
        {
            if (!string.IsNullOrEmpty(value))
            {
                element.Attributes.Add(new(key, value));
            }
        }

        return element.ToXml();
    }

    private static TakControl ReadControl(ReadOnlySpan<byte> data)
    {
        uint min = 0, max = 0;
        string? contact = null;
        var r = new ProtoReader(data);
        while (r.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: ProtoReader.Expect(wire, 0); min = (uint)r.ReadVarint(); break;
                case 2: ProtoReader.Expect(wire, 0); max = (uint)r.ReadVarint(); break;
                case 3: ProtoReader.Expect(wire, 2); contact = r.ReadString(); break;
                default: r.Skip(wire); break;
            }
        }

        return new TakControl(min, max, contact);
    }

    private static CotEvent ReadEvent(ReadOnlySpan<byte> data, CotLimits limits, DateTime utcNow)
    {
        string? type = null, access = null, qos = null, opex = null, uid = null, how = null, caveat = null, releasable = null;
        ulong send = 0, start = 0, stale = 0;
        double lat = 0, lon = 0, hae = 0, ce = 0, le = 0;
        var detail = CotDetail.Empty;
        var r = new ProtoReader(data);
        while (r.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: type = Str(ref r, wire); break;
                case 2: access = Str(ref r, wire); break;
                case 3: qos = Str(ref r, wire); break;
                case 4: opex = Str(ref r, wire); break;
                case 5: uid = Str(ref r, wire); break;
                case 6: ProtoReader.Expect(wire, 0); send = r.ReadVarint(); break;
                case 7: ProtoReader.Expect(wire, 0); start = r.ReadVarint(); break;
                case 8: ProtoReader.Expect(wire, 0); stale = r.ReadVarint(); break;
                case 9: how = Str(ref r, wire); break;
                case 10: lat = Dbl(ref r, wire); break;
                case 11: lon = Dbl(ref r, wire); break;
                case 12: hae = Dbl(ref r, wire); break;
                case 13: ce = Dbl(ref r, wire); break;
                case 14: le = Dbl(ref r, wire); break;
                case 15: ProtoReader.Expect(wire, 2); detail = ReadDetail(r.ReadBytes(), limits); break;
                case 16: caveat = Str(ref r, wire); break;
                case 17: releasable = Str(ref r, wire); break;
                default: r.Skip(wire); break;
            }
        }

        if (string.IsNullOrEmpty(uid) || string.IsNullOrEmpty(type))
        {
            throw new CotFormatException(CotRejectReason.MissingField, "the event needs uid and type");
        }

        if (!double.IsFinite(lat) || !double.IsFinite(lon) || !double.IsFinite(hae) || !double.IsFinite(ce) || !double.IsFinite(le))
        {
            throw new CotFormatException(CotRejectReason.BadNumber, "a point value is not a finite number");
        }

        if (lat is < -90 or > 90 || lon is < -180 or > 180)
        {
            throw new CotFormatException(CotRejectReason.BadCoordinate, "lat or lon out of range");
        }

        var evt = new CotEvent
        {
            Uid = uid,
            Type = type,
            How = how,
            Access = access,
            Qos = qos,
            Opex = opex,
            Caveat = caveat,
            ReleasableTo = releasable,
            Time = CotTime.FromUnixMilliseconds(send),
            Start = CotTime.FromUnixMilliseconds(start),
            Stale = CotTime.FromUnixMilliseconds(stale),
            Point = new CotPoint(lat, lon, hae, ce, le),
            Detail = detail,
        };
        if (evt.Time > utcNow + limits.MaxClockSkew || evt.Start > utcNow + limits.MaxClockSkew)
        {
            throw new CotFormatException(CotRejectReason.BadTime, "time or start is too far in the future");
        }

        return evt;
    }

    private static CotDetail ReadDetail(ReadOnlySpan<byte> data, CotLimits limits)
    {
        string? xmlDetail = null;
        var typed = new string?[TypedNames.Length];
        var r = new ProtoReader(data);
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1)
            {
                xmlDetail = Str(ref r, wire);
                continue;
            }

            if (field is < 2 or > 7)
            {
                r.Skip(wire);
                continue;
            }

            ProtoReader.Expect(wire, 2);
            var slot = field - 2;
            typed[slot] = ReadTyped(slot, r.ReadBytes());
        }

        var fromXml = string.IsNullOrEmpty(xmlDetail) ? CotDetail.Empty : CotDetail.FromXml(xmlDetail, limits);
        var sb = new StringBuilder();
        for (var slot = 0; slot < typed.Length; slot++)
        {
            if (typed[slot] is { } xml && fromXml.Element(TypedNames[slot]) is null)
            {
                sb.Append(xml);
            }
        }

        if (sb.Length == 0)
        {
            return fromXml;
        }

        sb.Append(fromXml.InnerXml);
        return CotDetail.FromXml(sb.ToString(), limits);
    }

    private static string ReadTyped(int slot, ReadOnlySpan<byte> data)
    {
        var values = new (string Key, string? Value)[slot switch { 3 => 1, 5 => 2, 4 => 4, _ => 2 }];
        var names = slot switch { 3 => ["battery"], 5 => ["speed", "course"], _ => FieldNames(slot) };
        for (var k = 0; k < names.Length; k++)
        {
            values[k] = (names[k], null);
        }

        var r = new ProtoReader(data);
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field < 1 || field > names.Length)
            {
                r.Skip(wire);
                continue;
            }

            string value;
            if (slot == 3)
            {
                ProtoReader.Expect(wire, 0);
                var battery = r.ReadVarint();
                value = battery == 0 ? string.Empty : battery.ToString(CultureInfo.InvariantCulture);
            }
            else if (slot == 5)
            {
                var d = Dbl(ref r, wire);
                value = d == 0 ? string.Empty : Format(d);
            }
            else
            {
                value = Str(ref r, wire);
            }

            values[field - 1] = (names[field - 1], value);
        }

        return Render(TypedNames[slot], values);
    }

    private static string Str(ref ProtoReader r, int wire)
    {
        ProtoReader.Expect(wire, 2);
        return r.ReadString();
    }

    private static double Dbl(ref ProtoReader r, int wire)
    {
        ProtoReader.Expect(wire, 1);
        return r.ReadDouble();
    }
}
