using System.Text;
using Kizuna.Cot.Xml;

namespace Kizuna.Cot;

/// <summary>
/// The &lt;detail&gt; of an event, kept losslessly: the inner XML in canonical form (well-formed,
/// properly escaped, no &lt;detail&gt; wrapper) plus, on demand, a parsed element tree. The fields
/// routing needs (contact callsign and endpoint, marti destinations) are found while the detail
/// is validated, so relaying an event never builds the tree.
/// </summary>
public sealed class CotDetail
{
    private static readonly CotDestination[] NoDestinations = [];
    private List<object>? _content;

    public static CotDetail Empty { get; } = new(string.Empty, null, null, NoDestinations, null);

    /// <summary>The name of the element that carries an event's confidentiality label (see docs/labels.md).</summary>
    public const string LabelElementName = "__label";

    private CotDetail(string innerXml, string? callsign, string? endpoint, IReadOnlyList<CotDestination> destinations, CotElement? label, List<object>? content = null)
    {
        InnerXml = innerXml;
        ContactCallsign = callsign;
        ContactEndpoint = endpoint;
        MartiDestinations = destinations;
        Label = label;
        _content = content;
    }

    /// <summary>Canonical inner XML of &lt;detail&gt;, without the wrapper; empty when there is none.</summary>
    public string InnerXml { get; }

    public bool IsEmpty => InnerXml.Length == 0;

    /// <summary><c>contact/@callsign</c>, if present.</summary>
    public string? ContactCallsign { get; }

    /// <summary><c>contact/@endpoint</c>, if present.</summary>
    public string? ContactEndpoint { get; }

    /// <summary>Every <c>marti/dest</c>: a directed message goes to these only. Empty when not directed.</summary>
    public IReadOnlyList<CotDestination> MartiDestinations { get; }

    /// <summary>The <c>__label</c> element (the confidentiality label beyond the event attributes), if present. Found during validation.</summary>
    public CotElement? Label { get; }

    /// <summary>
    /// This detail with <paramref name="label"/> as its label element: replacing the one it has in
    /// place, or appended. Everything else is kept as it is.
    /// </summary>
    /// <param name="label">The label element.</param>
    /// <param name="labelXml">Its canonical XML when the caller keeps it (a label is shared by many events), else null.</param>
    public CotDetail WithLabel(CotElement label, string? labelXml = null)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!string.Equals(label.Name, LabelElementName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A label element is named {LabelElementName}.", nameof(label));
        }

        if (Label is null)
        {
            return new CotDetail(string.Concat(InnerXml, labelXml ?? label.ToXml()), ContactCallsign, ContactEndpoint, MartiDestinations, label);
        }

        var content = new List<object>(Content.Count);
        var sb = new StringBuilder(InnerXml.Length + 64);
        foreach (var item in Content)
        {
            var kept = item is CotElement { Name: LabelElementName } ? label : item;
            content.Add(kept);
            if (kept is CotElement element)
            {
                element.WriteTo(sb);
            }
            else
            {
                XmlText.EscapeText((string)kept, sb);
            }
        }

        return new CotDetail(sb.ToString(), ContactCallsign, ContactEndpoint, MartiDestinations, label, content);
    }

    /// <summary>The top-level content (elements and text) in document order. Parsed on first use.</summary>
    public IReadOnlyList<object> Content => _content ??= ParseTree(InnerXml);

    /// <summary>The top-level elements, in document order.</summary>
    public IEnumerable<CotElement> Elements => Content.OfType<CotElement>();

    public CotElement? Element(string name) => Elements.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));

    /// <summary>Parses and validates inner detail XML (throws <see cref="CotFormatException"/>).</summary>
    public static CotDetail FromXml(string innerXml, CotLimits? limits = null)
    {
        if (innerXml.Length == 0)
        {
            return Empty;
        }

        var bytes = Encoding.UTF8.GetBytes("<detail>" + innerXml + "</detail>");
        XmlScanner.CheckIsText(bytes);
        var detail = FromUtf8(bytes, 8, limits ?? CotLimits.Default, depth: 1, out var next);
        if (next != bytes.Length)
        {
            XmlScanner.Throw(CotRejectReason.MalformedXml, "the detail has an unbalanced end tag");
        }

        return detail;
    }

    /// <summary>A detail made of these elements, in this order.</summary>
    public static CotDetail FromElements(IEnumerable<CotElement> elements)
    {
        var sb = new StringBuilder();
        foreach (var element in elements)
        {
            element.WriteTo(sb);
        }

        return FromXml(sb.ToString());
    }

    /// <summary>
    /// Validates the content of a &lt;detail&gt; whose start tag ends at <paramref name="start"/>,
    /// through its end tag; <paramref name="next"/> is the index after it. <paramref name="depth"/>
    /// is the detail element's own depth.
    /// </summary>
    internal static CotDetail FromUtf8(ReadOnlySpan<byte> document, int start, CotLimits limits, int depth, out int next)
    {
        var i = start;
        var facts = default(DetailFacts);
        XmlScanner.ScanContent(document, ref i, "detail"u8, depth, limits, ref facts, XmlScanner.Parent.Detail, null);
        next = i;
        var end = start + document[start..i].LastIndexOf("</"u8);

        IReadOnlyList<CotDestination> destinations = facts.Destinations is { } list ? list.ToArray() : NoDestinations;
        var inner = document[start..end];
        if (inner.IsEmpty)
        {
            return Empty;
        }

        if (!facts.NeedsCanonicalForm)
        {
            return new CotDetail(Encoding.UTF8.GetString(inner), facts.Callsign, facts.Endpoint, destinations, facts.Label);
        }

        // Rewrite in canonical form: escape what node-cot left bare, drop comments, CDATA as text.
        var content = new List<object>();
        var j = start;
        var again = default(DetailFacts);
        XmlScanner.ScanContent(document, ref j, "detail"u8, depth, limits, ref again, XmlScanner.Parent.Detail, content);
        var sb = new StringBuilder(inner.Length + 32);
        foreach (var item in content)
        {
            if (item is CotElement element)
            {
                element.WriteTo(sb);
            }
            else
            {
                XmlText.EscapeText((string)item, sb);
            }
        }

        return new CotDetail(sb.ToString(), facts.Callsign, facts.Endpoint, destinations, facts.Label, content);
    }

    private static List<object> ParseTree(string innerXml)
    {
        var content = new List<object>();
        if (innerXml.Length == 0)
        {
            return content;
        }

        var bytes = Encoding.UTF8.GetBytes("<detail>" + innerXml + "</detail>");
        var i = 8;
        var facts = default(DetailFacts);
        // Limits were enforced when this detail was accepted; the tree is built without them.
        XmlScanner.ScanContent(bytes, ref i, "detail"u8, 1, Unlimited, ref facts, XmlScanner.Parent.Detail, content);
        return content;
    }

    private static readonly CotLimits Unlimited = new() { MaxDepth = int.MaxValue, MaxAttributesPerElement = int.MaxValue, MaxEventBytes = int.MaxValue };

    public override string ToString() => InnerXml;
}

/// <summary>One <c>marti/dest</c>: by callsign, by uid, or both.</summary>
public readonly record struct CotDestination(string? Callsign, string? Uid);
