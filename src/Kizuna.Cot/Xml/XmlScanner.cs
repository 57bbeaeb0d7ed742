using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Kizuna.Cot.Xml;

/// <summary>
/// What a scan of detail content found: the fields routing needs (so the hot path never builds
/// a tree), and whether the text needs rewriting to be canonical (node-cot's unescaped
/// <c>&amp;</c> and <c>&lt;</c> in attribute values, comments, CDATA).
/// </summary>
internal struct DetailFacts
{
    public string? Callsign;
    public string? Endpoint;
    public List<CotDestination>? Destinations;
    public CotElement? Label;
    public bool NeedsCanonicalForm;
}

/// <summary>
/// A small, strict XML scanner over UTF-8 bytes: elements, attributes, text, comments, CDATA and
/// processing instructions. There is no DTD support at all (a DOCTYPE is refused) and the only
/// references are the five predefined entities and numeric character references; any other
/// entity reference is refused, so nothing can expand. Every limit comes from <see cref="CotLimits"/>.
/// </summary>
internal static class XmlScanner
{
    private static readonly SearchValues<byte> AmpOrLt = SearchValues.Create("&<"u8);

    public enum Parent
    {
        Other,
        Detail,
        Marti,
    }

    /// <summary>Refuses bytes that are not text by <see cref="CotCharacters"/>: invalid UTF-8 or control characters.</summary>
    public static void CheckIsText(ReadOnlySpan<byte> s)
    {
        switch (CotCharacters.Check(s))
        {
            case CharacterProblem.ControlCharacter:
                Throw(CotRejectReason.BinaryGarbage, "control bytes inside an event");
                break;
            case CharacterProblem.InvalidUtf8:
                Throw(CotRejectReason.BinaryGarbage, "the event is not valid UTF-8");
                break;
        }
    }

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';

    public static void SkipWhitespace(ReadOnlySpan<byte> s, ref int i)
    {
        while (i < s.Length && IsWhitespace(s[i]))
        {
            i++;
        }
    }

    public static bool At(ReadOnlySpan<byte> s, int i, ReadOnlySpan<byte> literal)
        => s.Length - i >= literal.Length && s.Slice(i, literal.Length).SequenceEqual(literal);

    /// <summary>True when the input ends at <paramref name="i"/> part way through <paramref name="literal"/>.</summary>
    public static bool EndsWithin(ReadOnlySpan<byte> s, int i, ReadOnlySpan<byte> literal)
        => s.Length - i < literal.Length && literal.StartsWith(s[i..]);

    /// <summary>Reads an XML name; returns its bytes.</summary>
    public static ReadOnlySpan<byte> ReadName(ReadOnlySpan<byte> s, ref int i)
    {
        var start = i;
        if (i >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the input ends where a name should be");
        }

        if (!IsNameStart(s[i]))
        {
            Throw(CotRejectReason.MalformedXml, "expected a name");
        }

        i++;
        while (i < s.Length && IsNameChar(s[i]))
        {
            i++;
        }

        if (i >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the input ends inside a name");
        }

        return s[start..i];
    }

    private static bool IsNameStart(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a' || b == '_' || b == ':' || b >= 0x80;

    private static bool IsNameChar(byte b) => IsNameStart(b) || (uint)(b - '0') <= 9 || b == '-' || b == '.';

    /// <summary>
    /// Reads one attribute at <paramref name="i"/> (after whitespace). Returns false at the end of
    /// the tag (<c>&gt;</c> or <c>/&gt;</c>, not consumed). The raw value excludes the quotes.
    /// </summary>
    public static bool TryReadAttribute(ReadOnlySpan<byte> s, ref int i, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> rawValue)
    {
        SkipWhitespace(s, ref i);
        rawValue = default;
        name = default;
        if (i >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the tag is not closed");
        }

        if (s[i] == '>' || s[i] == '/')
        {
            return false;
        }

        name = ReadName(s, ref i);
        SkipWhitespace(s, ref i);
        if (i >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the input ends inside an attribute");
        }

        if (s[i] != '=')
        {
            Throw(CotRejectReason.MalformedXml, "an attribute has no value");
        }

        i++;
        SkipWhitespace(s, ref i);
        if (i >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the input ends inside an attribute");
        }

        if (s[i] != '"' && s[i] != '\'')
        {
            Throw(CotRejectReason.MalformedXml, "an attribute value is not quoted");
        }

        var quote = s[i++];
        var end = s[i..].IndexOf(quote);
        if (end < 0)
        {
            Throw(CotRejectReason.Truncated, "an attribute value is not closed");
        }

        rawValue = s.Slice(i, end);
        i += end + 1;
        if (i < s.Length && !IsWhitespace(s[i]) && s[i] != '>' && s[i] != '/')
        {
            Throw(CotRejectReason.MalformedXml, "attributes must be separated by whitespace");
        }

        return true;
    }

    /// <summary>Finishes a start tag: true if it was self-closing (<c>/&gt;</c>).</summary>
    public static bool EndOfStartTag(ReadOnlySpan<byte> s, ref int i)
    {
        if (s[i] == '>')
        {
            i++;
            return false;
        }

        if (i + 1 < s.Length && s[i + 1] == '>')
        {
            i += 2;
            return true;
        }

        if (i + 1 >= s.Length)
        {
            Throw(CotRejectReason.Truncated, "the input ends inside a tag");
        }

        Throw(CotRejectReason.MalformedXml, "a tag is not closed properly");
        return false;
    }

    /// <summary>
    /// Decodes an attribute value or text. The predefined entities and numeric references are
    /// resolved; any other <c>&amp;name;</c> is refused; a bare <c>&amp;</c> or <c>&lt;</c> is taken
    /// literally (node-cot writes them unescaped) and marks the content as needing canonical form.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> raw, ref bool quirk, bool isAttribute)
    {
        var special = raw.IndexOfAny(AmpOrLt);
        if (special < 0)
        {
            return raw.IsEmpty ? string.Empty : Encoding.UTF8.GetString(raw);
        }

        var sb = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            var next = raw[i..].IndexOfAny(AmpOrLt);
            if (next < 0)
            {
                sb.Append(Encoding.UTF8.GetString(raw[i..]));
                break;
            }

            if (next > 0)
            {
                sb.Append(Encoding.UTF8.GetString(raw.Slice(i, next)));
            }

            i += next;
            if (raw[i] == '<')
            {
                if (!isAttribute)
                {
                    Throw(CotRejectReason.MalformedXml, "'<' in text");
                }

                quirk = true;
                sb.Append('<');
                i++;
                continue;
            }

            var consumed = TryReference(raw[i..], sb);
            if (consumed == 0)
            {
                quirk = true;
                sb.Append('&');
                i++;
            }
            else
            {
                i += consumed;
            }
        }

        return sb.ToString();
    }

    /// <summary>Checks references in text or an attribute without decoding it.</summary>
    public static void CheckReferences(ReadOnlySpan<byte> raw, ref bool quirk, bool isAttribute)
    {
        var i = 0;
        while (true)
        {
            var next = raw[i..].IndexOfAny(AmpOrLt);
            if (next < 0)
            {
                return;
            }

            i += next;
            if (raw[i] == '<')
            {
                if (!isAttribute)
                {
                    Throw(CotRejectReason.MalformedXml, "'<' in text");
                }

                quirk = true;
                i++;
                continue;
            }

            var consumed = TryReference(raw[i..], null);
            if (consumed == 0)
            {
                quirk = true;
                i++;
            }
            else
            {
                i += consumed;
            }
        }
    }

    /// <summary>
    /// At an '&amp;': returns the length of a valid reference (appending its character), 0 when
    /// the ampersand does not start a reference at all, and refuses a named entity it does not know.
    /// </summary>
    private static int TryReference(ReadOnlySpan<byte> s, StringBuilder? sb)
    {
        var semicolon = s.Slice(0, Math.Min(s.Length, 12)).IndexOf((byte)';');
        if (semicolon < 2)
        {
            return 0;
        }

        var body = s[1..semicolon];
        if (body[0] == '#')
        {
            var hex = body.Length > 1 && (body[1] == 'x' || body[1] == 'X');
            var digits = body[(hex ? 2 : 1)..];
            uint code = 0;
            if (digits.IsEmpty || !System.Buffers.Text.Utf8Parser.TryParse(digits, out code, out var used, hex ? 'x' : default) || used != digits.Length
                || !CotCharacters.IsAllowed(code))
            {
                Throw(CotRejectReason.MalformedXml, "a bad character reference");
            }

            sb?.Append(char.ConvertFromUtf32((int)code));
            return semicolon + 1;
        }

        foreach (var b in body)
        {
            if (!IsNameChar(b))
            {
                return 0;
            }
        }

        char? c = body switch
        {
            _ when body.SequenceEqual("lt"u8) => '<',
            _ when body.SequenceEqual("gt"u8) => '>',
            _ when body.SequenceEqual("amp"u8) => '&',
            _ when body.SequenceEqual("quot"u8) => '"',
            _ when body.SequenceEqual("apos"u8) => '\'',
            _ => null,
        };
        if (c is null)
        {
            Throw(CotRejectReason.EntityForbidden, "entity references other than the five predefined ones are refused");
        }

        sb?.Append(c.Value);
        return semicolon + 1;
    }

    /// <summary>
    /// Scans the content of an element up to and including its end tag, checking well-formedness
    /// and limits. With <paramref name="node"/> it also builds the tree; with a
    /// <paramref name="parent"/> of Detail or Marti it collects the routing facts.
    /// </summary>
    public static void ScanContent(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> name, int depth, CotLimits limits, ref DetailFacts facts, Parent parent, List<object>? node)
    {
        while (true)
        {
            var lt = s[i..].IndexOf((byte)'<');
            if (lt < 0)
            {
                Throw(CotRejectReason.Truncated, "an element is not closed");
            }

            if (lt > 0)
            {
                var text = s.Slice(i, lt);
                if (node is not null)
                {
                    node.Add(Decode(text, ref facts.NeedsCanonicalForm, isAttribute: false));
                }
                else
                {
                    CheckReferences(text, ref facts.NeedsCanonicalForm, isAttribute: false);
                }
            }

            i += lt;
            if (At(s, i, "</"u8))
            {
                i += 2;
                var endName = ReadName(s, ref i);
                if (!endName.SequenceEqual(name))
                {
                    Throw(CotRejectReason.MalformedXml, "an end tag does not match its start tag");
                }

                SkipWhitespace(s, ref i);
                if (i >= s.Length)
                {
                    Throw(CotRejectReason.Truncated, "the input ends inside an end tag");
                }

                if (s[i] != '>')
                {
                    Throw(CotRejectReason.MalformedXml, "an end tag is not closed");
                }

                i++;
                return;
            }

            if (At(s, i, "<!--"u8))
            {
                SkipPast(s, ref i, "-->"u8, "a comment is not closed");
                facts.NeedsCanonicalForm = true;
                continue;
            }

            if (At(s, i, "<![CDATA["u8))
            {
                var start = i + 9;
                SkipPast(s, ref i, "]]>"u8, "a CDATA section is not closed");
                node?.Add(Encoding.UTF8.GetString(s[start..(i - 3)]));
                facts.NeedsCanonicalForm = true;
                continue;
            }

            if (EndsWithin(s, i, "<!--"u8) || EndsWithin(s, i, "<![CDATA["u8))
            {
                Throw(CotRejectReason.Truncated, "the input ends inside markup");
            }

            if (At(s, i, "<!"u8))
            {
                Throw(CotRejectReason.DtdForbidden, "document type declarations are refused");
            }

            if (At(s, i, "<?"u8))
            {
                SkipPast(s, ref i, "?>"u8, "a processing instruction is not closed");
                facts.NeedsCanonicalForm = true;
                continue;
            }

            i++;
            var childName = ReadName(s, ref i);
            if (depth + 1 > limits.MaxDepth)
            {
                Throw(CotRejectReason.TooDeep, $"elements nest deeper than {limits.MaxDepth}");
            }

            var childParent = Parent.Other;
            var kind = 0; // 1 contact under detail, 2 marti under detail, 3 dest under marti, 4 the label element
            if (parent == Parent.Detail)
            {
                if (childName.SequenceEqual("contact"u8))
                {
                    kind = 1;
                }
                else if (childName.SequenceEqual("__label"u8))
                {
                    kind = 4;
                }
                else if (childName.SequenceEqual("marti"u8))
                {
                    kind = 2;
                    childParent = Parent.Marti;
                }
            }
            else if (parent == Parent.Marti && childName.SequenceEqual("dest"u8))
            {
                kind = 3;
            }

            // The label element is always built as a tree: it is small, and every exit reads it.
            CotElement? element = node is null && kind != 4 ? null : new CotElement(Names.Intern(childName));
            string? callsign = null, endpointOrUid = null;
            var attributes = 0;
            var firstAttribute = i;
            while (TryReadAttribute(s, ref i, out var attrName, out var raw))
            {
                if (++attributes > limits.MaxAttributesPerElement)
                {
                    Throw(CotRejectReason.TooManyAttributes, $"an element has more than {limits.MaxAttributesPerElement} attributes");
                }

                if (element is null && attributes > 1 && AppearsBefore(s, firstAttribute, i, attrName))
                {
                    Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
                }

                if (element is not null)
                {
                    var attrKey = Names.Intern(attrName);
                    foreach (var existing in element.Attributes)
                    {
                        if (string.Equals(existing.Key, attrKey, StringComparison.Ordinal))
                        {
                            Throw(CotRejectReason.MalformedXml, "an attribute appears twice");
                        }
                    }

                    element.Attributes.Add(new(attrKey, Decode(raw, ref facts.NeedsCanonicalForm, isAttribute: true)));
                }
                else
                {
                    CheckReferences(raw, ref facts.NeedsCanonicalForm, isAttribute: true);
                }

                if (kind is 1 or 3)
                {
                    if (attrName.SequenceEqual("callsign"u8))
                    {
                        callsign = Decode(raw, ref facts.NeedsCanonicalForm, isAttribute: true);
                    }
                    else if ((kind == 1 && attrName.SequenceEqual("endpoint"u8)) || (kind == 3 && attrName.SequenceEqual("uid"u8)))
                    {
                        endpointOrUid = Decode(raw, ref facts.NeedsCanonicalForm, isAttribute: true);
                    }
                }
            }

            if (kind == 1 && facts.Callsign is null && facts.Endpoint is null)
            {
                facts.Callsign = callsign;
                facts.Endpoint = endpointOrUid;
            }
            else if (kind == 3 && (callsign is not null || endpointOrUid is not null))
            {
                (facts.Destinations ??= []).Add(new CotDestination(callsign, endpointOrUid));
            }
            else if (kind == 4)
            {
                if (facts.Label is not null)
                {
                    Throw(CotRejectReason.MalformedXml, "the detail has more than one label element");
                }

                facts.Label = element;
            }

            node?.Add(element!);
            if (!EndOfStartTag(s, ref i))
            {
                ScanContent(s, ref i, childName, depth + 1, limits, ref facts, childParent, element?.Content);
            }
        }
    }

    /// <summary>
    /// True when an attribute named <paramref name="name"/> was read between <paramref name="from"/>
    /// and the attribute that ends at <paramref name="end"/>. Rescans instead of allocating: at most
    /// <see cref="CotLimits.MaxAttributesPerElement"/> attributes, already known to be well-formed.
    /// </summary>
    private static bool AppearsBefore(ReadOnlySpan<byte> s, int from, int end, ReadOnlySpan<byte> name)
    {
        var j = from;
        while (TryReadAttribute(s, ref j, out var earlier, out _) && j < end)
        {
            if (earlier.SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    public static void SkipPast(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> terminator, string unclosed)
    {
        var end = s[i..].IndexOf(terminator);
        if (end < 0)
        {
            Throw(CotRejectReason.Truncated, unclosed);
        }

        i += end + terminator.Length;
    }

    [DoesNotReturn]
    public static void Throw(CotRejectReason reason, string message) => throw new CotFormatException(reason, message);
}

/// <summary>Interned element and attribute names: the same few dozen names recur in every event.</summary>
internal static class Names
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string[]> Table = new();

    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 64)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hasher = default(HashCode);
        hasher.AddBytes(utf8);
        var hash = hasher.ToHashCode();
        if (Table.TryGetValue(hash, out var bucket))
        {
            foreach (var candidate in bucket)
            {
                if (Matches(candidate, utf8))
                {
                    return candidate;
                }
            }
        }

        var name = Encoding.UTF8.GetString(utf8);
        if (Table.Count < 4096)
        {
            Table.AddOrUpdate(hash, [name], (_, existing) => [.. existing, name]);
        }

        return name;
    }

    private static bool Matches(string candidate, ReadOnlySpan<byte> utf8)
    {
        if (candidate.Length == utf8.Length)
        {
            var ascii = true;
            for (var k = 0; k < utf8.Length && ascii; k++)
            {
                if (candidate[k] >= 0x80)
                {
                    ascii = false;
                }
                else if (candidate[k] != utf8[k])
                {
                    return false;
                }
            }

            if (ascii)
            {
                return true;
            }
        }

        return Encoding.UTF8.GetByteCount(candidate) == utf8.Length && Encoding.UTF8.GetString(utf8) == candidate;
    }
}
