using System.Text;

namespace Kizuna.Cot;

/// <summary>
/// One element of an event's detail: name, attributes in document order, and content (child
/// elements and text, interleaved as in the document). Comments and processing instructions
/// are not kept; CDATA becomes text.
/// </summary>
public sealed class CotElement
{
    public CotElement(string name)
    {
        Name = name;
    }

    public string Name { get; }
    public List<KeyValuePair<string, string>> Attributes { get; } = [];

    /// <summary>Child <see cref="CotElement"/>s and text <see cref="string"/>s, in document order.</summary>
    public List<object> Content { get; } = [];

    public IEnumerable<CotElement> Children => Content.OfType<CotElement>();

    /// <summary>The concatenated text directly inside this element.</summary>
    public string Text => string.Concat(Content.OfType<string>());

    public string? Attribute(string name)
    {
        foreach (var (key, value) in Attributes)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    public CotElement? Child(string name) => Children.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>Canonical XML of this element (attributes escaped with double quotes).</summary>
    public string ToXml()
    {
        var sb = new StringBuilder();
        WriteTo(sb);
        return sb.ToString();
    }

    public void WriteTo(StringBuilder sb)
    {
        sb.Append('<').Append(Name);
        foreach (var (key, value) in Attributes)
        {
            sb.Append(' ').Append(key).Append("=\"");
            XmlText.EscapeAttribute(value, sb);
            sb.Append('"');
        }

        if (Content.Count == 0)
        {
            sb.Append("/>");
            return;
        }

        sb.Append('>');
        foreach (var item in Content)
        {
            if (item is CotElement child)
            {
                child.WriteTo(sb);
            }
            else
            {
                XmlText.EscapeText((string)item, sb);
            }
        }

        sb.Append("</").Append(Name).Append('>');
    }

    public override string ToString() => ToXml();
}

/// <summary>XML escaping as Kizuna writes it.</summary>
public static class XmlText
{
    public static void EscapeAttribute(string value, StringBuilder sb)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\n': sb.Append("&#10;"); break;
                case '\r': sb.Append("&#13;"); break;
                case '\t': sb.Append("&#9;"); break;
                default: sb.Append(c); break;
            }
        }
    }

    public static void EscapeText(string value, StringBuilder sb)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '\r': sb.Append("&#13;"); break;
                default: sb.Append(c); break;
            }
        }
    }

    public static string EscapeAttribute(string value)
    {
        if (value.AsSpan().IndexOfAny("&<>\"\n\r\t") < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        EscapeAttribute(value, sb);
        return sb.ToString();
    }
}
