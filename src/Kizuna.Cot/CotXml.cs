using System.Buffers;
using Kizuna.Cot.Xml;

namespace Kizuna.Cot;

/// <summary>CoT XML: encode one event; decode one event from a complete buffer.</summary>
public static class CotXml
{
    /// <summary>UTF-8 XML of one event, no XML declaration, no trailing newline.</summary>
    public static byte[] Encode(CotEvent evt) => CotXmlWriter.Encode(evt);

    /// <summary>Writes the same bytes as <see cref="Encode"/> into a buffer writer.</summary>
    public static void Write(CotEvent evt, IBufferWriter<byte> output) => CotXmlWriter.Write(evt, output);

    /// <summary>Decodes exactly one event (an XML declaration and surrounding whitespace allowed).</summary>
    public static CotEvent Decode(ReadOnlySpan<byte> utf8, CotLimits? limits = null)
    {
        limits ??= CotLimits.Default;
        if (utf8.Length > limits.MaxEventBytes)
        {
            throw new CotFormatException(CotRejectReason.Oversize, $"the event is larger than {limits.MaxEventBytes} bytes");
        }

        XmlScanner.CheckIsText(utf8);
        var i = 0;
        CotXmlParser.SkipProlog(utf8, ref i);
        var evt = CotXmlParser.ParseEvent(utf8, ref i, limits, DateTime.UtcNow);
        XmlScanner.SkipWhitespace(utf8, ref i);
        if (i != utf8.Length)
        {
            throw new CotFormatException(CotRejectReason.MalformedXml, "content after </event>");
        }

        return evt;
    }

    public static CotEvent Decode(string xml, CotLimits? limits = null) => Decode(System.Text.Encoding.UTF8.GetBytes(xml), limits);
}
