using System.Buffers;
using System.Globalization;
using System.Text;

namespace Kizuna.Cot.Xml;

/// <summary>Writes CoT XML straight to UTF-8: one pass, no DOM.</summary>
internal static class CotXmlWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    public static byte[] Encode(CotEvent evt)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(1024);
        scratch.ResetWrittenCount();
        Write(evt, scratch);
        var bytes = scratch.WrittenSpan.ToArray();
        if (scratch.Capacity > 256 * 1024)
        {
            t_scratch = null; // do not keep a huge buffer per thread
        }

        return bytes;
    }

    public static void Write(CotEvent evt, IBufferWriter<byte> output)
    {
        Ascii(output, "<event version=\"");
        Attr(output, evt.Version);
        Ascii(output, "\" uid=\"");
        Attr(output, evt.Uid);
        Ascii(output, "\" type=\"");
        Attr(output, evt.Type);
        Ascii(output, "\" time=\"");
        Time(output, evt.Time);
        Ascii(output, "\" start=\"");
        Time(output, evt.Start);
        Ascii(output, "\" stale=\"");
        Time(output, evt.Stale);
        Ascii(output, "\"");
        Optional(output, " how=\"", evt.How);
        Optional(output, " access=\"", evt.Access);
        Optional(output, " qos=\"", evt.Qos);
        Optional(output, " opex=\"", evt.Opex);
        Optional(output, " caveat=\"", evt.Caveat);
        Optional(output, " releasableTo=\"", evt.ReleasableTo);
        foreach (var (key, value) in evt.ExtraAttributes)
        {
            Ascii(output, " ");
            Utf8(output, key);
            Ascii(output, "=\"");
            Attr(output, value);
            Ascii(output, "\"");
        }

        Ascii(output, "><point lat=\"");
        Number(output, evt.Point.Lat);
        Ascii(output, "\" lon=\"");
        Number(output, evt.Point.Lon);
        Ascii(output, "\" hae=\"");
        Number(output, evt.Point.Hae);
        Ascii(output, "\" ce=\"");
        Number(output, evt.Point.Ce);
        Ascii(output, "\" le=\"");
        Number(output, evt.Point.Le);
        Ascii(output, "\"/>");
        if (evt.Detail.IsEmpty)
        {
            Ascii(output, "<detail/></event>");
        }
        else
        {
            Ascii(output, "<detail>");
            Utf8(output, evt.Detail.InnerXml);
            Ascii(output, "</detail></event>");
        }
    }

    private static void Optional(IBufferWriter<byte> output, string prefix, string? value)
    {
        if (value is null)
        {
            return;
        }

        Ascii(output, prefix);
        Attr(output, value);
        Ascii(output, "\"");
    }

    private static void Ascii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        for (var k = 0; k < text.Length; k++)
        {
            span[k] = (byte)text[k];
        }

        output.Advance(text.Length);
    }

    private static void Utf8(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void Attr(IBufferWriter<byte> output, string value) => Utf8(output, XmlText.EscapeAttribute(value));

    private static void Time(IBufferWriter<byte> output, DateTime utc)
    {
        var span = output.GetSpan(32);
        output.Advance(CotTime.Format(utc, span));
    }

    private static void Number(IBufferWriter<byte> output, double value)
    {
        var span = output.GetSpan(32);
        if (!value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("number too long");
        }

        output.Advance(written);
    }
}
