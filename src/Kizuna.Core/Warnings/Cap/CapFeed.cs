using System.Globalization;
using System.Text;
using System.Xml;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>
/// The Atom 1.0 feed of CAP alerts (RFC 4287), as served at <c>GET /api/cap</c>: one entry per
/// alert, newest first, each linking to the alert's XML (<c>application/cap+xml</c>).
/// </summary>
public static class CapFeed
{
    /// <summary>The Atom namespace.</summary>
    public const string AtomNamespace = "http://www.w3.org/2005/Atom";

    /// <summary>
    /// Writes the feed. <paramref name="feedId"/> is a permanent IRI (e.g.
    /// <c>urn:kizuna:{node}:cap</c>); <paramref name="updated"/> defaults to the newest entry's
    /// time (or the Unix epoch for an empty feed, so the output depends only on the input).
    /// Entry ids are the alerts' CAP identifiers; links are absolute or relative URIs.
    /// </summary>
    public static string Write(
        IEnumerable<(string Id, string Title, DateTime Updated, string Link)> entries,
        string feedId,
        string title,
        string selfLink,
        string authorName = "Kizuna",
        DateTime? updated = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentException.ThrowIfNullOrEmpty(feedId);
        ArgumentException.ThrowIfNullOrEmpty(title);
        ArgumentException.ThrowIfNullOrEmpty(selfLink);
        ArgumentException.ThrowIfNullOrEmpty(authorName);

        var list = entries.OrderByDescending(e => CapTime.AsUtc(e.Updated)).ToList();
        var feedUpdated = updated is { } u ? CapTime.AsUtc(u) : list.Count > 0 ? CapTime.AsUtc(list[0].Updated) : DateTime.UnixEpoch;

        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = "  ", NewLineChars = "\n" };
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("feed", AtomNamespace);
            w.WriteElementString("id", AtomNamespace, feedId);
            w.WriteElementString("title", AtomNamespace, title);
            w.WriteElementString("updated", AtomNamespace, Rfc3339(feedUpdated));
            Link(w, "self", selfLink, "application/atom+xml");
            w.WriteStartElement("author", AtomNamespace);
            w.WriteElementString("name", AtomNamespace, authorName);
            w.WriteEndElement();
            foreach (var entry in list)
            {
                w.WriteStartElement("entry", AtomNamespace);
                w.WriteElementString("id", AtomNamespace, entry.Id);
                w.WriteElementString("title", AtomNamespace, entry.Title);
                w.WriteElementString("updated", AtomNamespace, Rfc3339(CapTime.AsUtc(entry.Updated)));
                Link(w, "alternate", entry.Link, "application/cap+xml");
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    private static void Link(XmlWriter w, string rel, string href, string type)
    {
        w.WriteStartElement("link", AtomNamespace);
        w.WriteAttributeString("rel", rel);
        w.WriteAttributeString("type", type);
        w.WriteAttributeString("href", href);
        w.WriteEndElement();
    }

    /// <summary>Atom dates are RFC 3339; 'Z' is right here (it is CAP that forbids it).</summary>
    private static string Rfc3339(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
