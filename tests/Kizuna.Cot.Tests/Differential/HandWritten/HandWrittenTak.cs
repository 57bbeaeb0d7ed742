using System.Globalization;
using System.Text;
using Kizuna.Cot.Tests.Differential.HandWritten;

namespace Kizuna.Cot.Tests.Differential;

/// <summary>
/// The hand-written TAK protocol v1 codec the node used until the generated code replaced it
/// (docs/dev/tak-protobuf-codec.md), kept here as an independent second implementation: the
/// differential tests hold <see cref="TakProto"/> to it. Detail elements with a typed message
/// (contact, __group, precisionlocation, status, takv, track) use it only when the typed form says
/// exactly what the element said; anything else travels whole in xmlDetail. On decode the typed
/// elements come first, then xmlDetail; when an element is both typed and in xmlDetail, the xmlDetail
/// copy wins.
/// </summary>
internal static class HandWrittenTak
{
    /// <summary>The magic byte that starts every stream frame and mesh datagram.</summary>
    public const byte Magic = 0xBF;

    /// <summary>The element each typed Detail field carries, by <see cref="DetailField"/> (Contact to Track) less <see cref="FirstTyped"/>.</summary>
    private static readonly string[] TypedNames = ["contact", "__group", "precisionlocation", "status", "takv", "track"];

    private const DetailField FirstTyped = DetailField.Contact;
    private const DetailField LastTyped = DetailField.Track;

    private static string TypedName(DetailField field) => TypedNames[field - FirstTyped];

    /// <summary>The typed Detail field for an element name, or null when the element has none.</summary>
    private static DetailField? TypedField(string name) => Array.IndexOf(TypedNames, name) is var k and >= 0 ? FirstTyped + k : null;

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
            switch ((TakMessageField)field)
            {
                case TakMessageField.TakControl:
                    ProtoReader.Expect(wire, WireType.LengthDelimited);
                    control = ReadControl(reader.ReadBytes());
                    break;
                case TakMessageField.CotEvent:
                    ProtoReader.Expect(wire, WireType.LengthDelimited);
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
            c.UInt64((int)TakControlField.MinProtoVersion, control.MinProtoVersion);
            c.UInt64((int)TakControlField.MaxProtoVersion, control.MaxProtoVersion);
            c.String((int)TakControlField.ContactUid, control.ContactUid);
            message.Message((int)TakMessageField.TakControl, c);
        }

        if (evt is not null)
        {
            var e = writers[1];
            e.Reset();
            WriteEvent(e, evt, writers[2], writers[3]);
            message.Message((int)TakMessageField.CotEvent, e);
        }
    }

    private static void WriteEvent(ProtoWriter w, CotEvent evt, ProtoWriter detail, ProtoWriter scratch)
    {
        w.String((int)CotEventField.Type, evt.Type);
        w.String((int)CotEventField.Access, evt.Access);
        w.String((int)CotEventField.Qos, evt.Qos);
        w.String((int)CotEventField.Opex, evt.Opex);
        w.String((int)CotEventField.Uid, evt.Uid);
        w.UInt64((int)CotEventField.SendTime, CotTime.ToUnixMilliseconds(evt.Time));
        w.UInt64((int)CotEventField.StartTime, CotTime.ToUnixMilliseconds(evt.Start));
        w.UInt64((int)CotEventField.StaleTime, CotTime.ToUnixMilliseconds(evt.Stale));
        w.String((int)CotEventField.How, evt.How);
        w.Double((int)CotEventField.Lat, evt.Point.Lat);
        w.Double((int)CotEventField.Lon, evt.Point.Lon);
        w.Double((int)CotEventField.Hae, evt.Point.Hae);
        w.Double((int)CotEventField.Ce, evt.Point.Ce);
        w.Double((int)CotEventField.Le, evt.Point.Le);
        if (!evt.Detail.IsEmpty)
        {
            detail.Reset();
            WriteDetail(detail, evt.Detail, scratch);
            w.Message((int)CotEventField.Detail, detail);
        }

        w.String((int)CotEventField.Caveat, evt.Caveat);
        w.String((int)CotEventField.ReleaseableTo, evt.ReleasableTo);
    }

    private static void WriteDetail(ProtoWriter w, CotDetail detail, ProtoWriter scratch)
    {
        // Fast path: no element that could be typed, so the whole detail is xmlDetail.
        var inner = detail.InnerXml;
        if (!MayHoldTyped(inner))
        {
            w.String((int)DetailField.XmlDetail, inner);
            return;
        }

        var xml = new StringBuilder(inner.Length);
        var typed = new CotElement?[TypedNames.Length];
        var seen = new int[TypedNames.Length];
        foreach (var element in detail.Elements)
        {
            if (TypedField(element.Name) is { } field)
            {
                seen[field - FirstTyped]++;
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
            if (TypedField(element.Name) is { } typedField && seen[typedField - FirstTyped] == 1
                && TypedForm(typedField, element) is { } form && string.Equals(form, element.ToXml(), StringComparison.Ordinal))
            {
                typed[typedField - FirstTyped] = element;
            }
            else
            {
                element.WriteTo(xml);
            }
        }

        w.String((int)DetailField.XmlDetail, xml.ToString());
        for (var field = FirstTyped; field <= LastTyped; field++)
        {
            if (typed[field - FirstTyped] is not { } element)
            {
                continue;
            }

            // Each typed message's fields are numbered from 1 in the order FieldNames gives.
            scratch.Reset();
            switch (field)
            {
                case DetailField.Status:
                    scratch.UInt64((int)StatusField.Battery, uint.Parse(element.Attribute("battery")!, CultureInfo.InvariantCulture));
                    break;
                case DetailField.Track:
                    scratch.Double((int)TrackField.Speed, double.Parse(element.Attribute("speed")!, CultureInfo.InvariantCulture));
                    scratch.Double((int)TrackField.Course, double.Parse(element.Attribute("course")!, CultureInfo.InvariantCulture));
                    break;
                default:
                    var names = FieldNames(field);
                    for (var k = 0; k < names.Length; k++)
                    {
                        scratch.String(k + 1, element.Attribute(names[k]));
                    }

                    break;
            }

            w.Message((int)field, scratch);
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
    private static string? TypedForm(DetailField field, CotElement element)
    {
        if (element.Content.Count > 0)
        {
            return null;
        }

        var a = element.Attributes;
        switch (field)
        {
            case DetailField.Status:
                return a.Count == 1 && a[0].Key == "battery" && uint.TryParse(a[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var battery) && battery != 0
                    ? Render(element.Name, [("battery", battery.ToString(CultureInfo.InvariantCulture))])
                    : null;
            case DetailField.Track:
                if (a.Count != 2 || a[0].Key != "speed" || a[1].Key != "course"
                    || !double.TryParse(a[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var speed)
                    || !double.TryParse(a[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var course)
                    || speed == 0 || course == 0)
                {
                    return null;
                }

                return Render(element.Name, [("speed", Format(speed)), ("course", Format(course))]);
            default:
                var names = FieldNames(field);
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

    /// <summary>The attributes of a typed element in the order of its message's field numbers (1, 2, ...).</summary>
    private static string[] FieldNames(DetailField field) => field switch
    {
        DetailField.Contact => ["endpoint", "callsign"],
        DetailField.Group => ["name", "role"],
        DetailField.PrecisionLocation => ["geopointsrc", "altsrc"],
        DetailField.Status => ["battery"],
        DetailField.Takv => ["device", "platform", "os", "version"],
        DetailField.Track => ["speed", "course"],
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
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
            switch ((TakControlField)field)
            {
                case TakControlField.MinProtoVersion: ProtoReader.Expect(wire, WireType.Varint); min = (uint)r.ReadVarint(); break;
                case TakControlField.MaxProtoVersion: ProtoReader.Expect(wire, WireType.Varint); max = (uint)r.ReadVarint(); break;
                case TakControlField.ContactUid: ProtoReader.Expect(wire, WireType.LengthDelimited); contact = r.ReadString(); break;
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
            switch ((CotEventField)field)
            {
                case CotEventField.Type: type = Str(ref r, wire); break;
                case CotEventField.Access: access = Str(ref r, wire); break;
                case CotEventField.Qos: qos = Str(ref r, wire); break;
                case CotEventField.Opex: opex = Str(ref r, wire); break;
                case CotEventField.Uid: uid = Str(ref r, wire); break;
                case CotEventField.SendTime: ProtoReader.Expect(wire, WireType.Varint); send = r.ReadVarint(); break;
                case CotEventField.StartTime: ProtoReader.Expect(wire, WireType.Varint); start = r.ReadVarint(); break;
                case CotEventField.StaleTime: ProtoReader.Expect(wire, WireType.Varint); stale = r.ReadVarint(); break;
                case CotEventField.How: how = Str(ref r, wire); break;
                case CotEventField.Lat: lat = Dbl(ref r, wire); break;
                case CotEventField.Lon: lon = Dbl(ref r, wire); break;
                case CotEventField.Hae: hae = Dbl(ref r, wire); break;
                case CotEventField.Ce: ce = Dbl(ref r, wire); break;
                case CotEventField.Le: le = Dbl(ref r, wire); break;
                case CotEventField.Detail: ProtoReader.Expect(wire, WireType.LengthDelimited); detail = ReadDetail(r.ReadBytes(), limits); break;
                case CotEventField.Caveat: caveat = Str(ref r, wire); break;
                case CotEventField.ReleaseableTo: releasable = Str(ref r, wire); break;
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
            var detailField = (DetailField)field;
            if (detailField == DetailField.XmlDetail)
            {
                xmlDetail = Str(ref r, wire);
                continue;
            }

            if (detailField is < FirstTyped or > LastTyped)
            {
                r.Skip(wire);
                continue;
            }

            ProtoReader.Expect(wire, WireType.LengthDelimited);
            typed[detailField - FirstTyped] = ReadTyped(detailField, r.ReadBytes());
        }

        var fromXml = string.IsNullOrEmpty(xmlDetail) ? CotDetail.Empty : CotDetail.FromXml(xmlDetail, limits);
        var sb = new StringBuilder();
        for (var field = FirstTyped; field <= LastTyped; field++)
        {
            if (typed[field - FirstTyped] is { } xml && fromXml.Element(TypedName(field)) is null)
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

    private static string ReadTyped(DetailField typedField, ReadOnlySpan<byte> data)
    {
        var names = FieldNames(typedField);
        var values = new (string Key, string? Value)[names.Length];
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
            if (typedField == DetailField.Status)
            {
                ProtoReader.Expect(wire, WireType.Varint);
                var battery = r.ReadVarint();
                value = battery == 0 ? string.Empty : battery.ToString(CultureInfo.InvariantCulture);
            }
            else if (typedField == DetailField.Track)
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

        return Render(TypedName(typedField), values);
    }

    private static string Str(ref ProtoReader r, int wire)
    {
        ProtoReader.Expect(wire, WireType.LengthDelimited);
        return r.ReadString();
    }

    private static double Dbl(ref ProtoReader r, int wire)
    {
        ProtoReader.Expect(wire, WireType.Fixed64);
        return r.ReadDouble();
    }
}
