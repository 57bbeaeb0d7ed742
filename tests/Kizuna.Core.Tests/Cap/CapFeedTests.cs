using System.Xml.Linq;
using Kizuna.Core.Warnings.Cap;
using static Kizuna.Core.Tests.Cap.CapFixtures;

namespace Kizuna.Core.Tests.Cap;

public class CapFeedTests
{
    private static readonly XNamespace Atom = CapFeed.AtomNamespace;

    [Fact]
    public void The_feed_is_Atom_1_0_with_one_entry_per_alert_newest_first()
    {
        var written = WriteAll(Sequence());
        var entries = written.Select(w => (
            CapAlert.Identifier(w.Version, Options),
            $"{w.Version.Stage} (version {w.Version.Version})",
            w.Version.IssuedAt,
            $"/api/cap/{Uri.EscapeDataString(CapAlert.Identifier(w.Version, Options))}.xml"));

        var feed = XDocument.Parse(CapFeed.Write(entries, "urn:kizuna:jjoc:cap", "Kizuna public warnings", "https://node.example/api/cap"));
        var root = feed.Root!;
        Assert.Equal(Atom + "feed", root.Name);
        Assert.Equal("urn:kizuna:jjoc:cap", root.Element(Atom + "id")!.Value);
        Assert.Equal("Kizuna", root.Element(Atom + "author")!.Element(Atom + "name")!.Value);
        Assert.Equal("self", root.Element(Atom + "link")!.Attribute("rel")!.Value);

        var items = root.Elements(Atom + "entry").ToList();
        Assert.Equal(4, items.Count);
        Assert.Equal("urn:kizuna:jjoc:warning:W-2026-0001:4", items[0].Element(Atom + "id")!.Value);
        Assert.Equal("2026-11-26T04:02:50Z", items[0].Element(Atom + "updated")!.Value);
        Assert.Equal(items[0].Element(Atom + "updated")!.Value, root.Element(Atom + "updated")!.Value);
        Assert.All(items, i => Assert.Equal("application/cap+xml", i.Element(Atom + "link")!.Attribute("type")!.Value));
        Assert.Equal("/api/cap/urn%3Akizuna%3Ajjoc%3Awarning%3AW-2026-0001%3A1.xml", items[3].Element(Atom + "link")!.Attribute("href")!.Value);
    }

    [Fact]
    public void An_empty_feed_still_has_its_id_title_updated_and_author()
    {
        var root = XDocument.Parse(CapFeed.Write([], "urn:kizuna:jjoc:cap", "Kizuna public warnings", "/api/cap")).Root!;
        Assert.Empty(root.Elements(Atom + "entry"));
        Assert.Equal("1970-01-01T00:00:00Z", root.Element(Atom + "updated")!.Value);
        Assert.NotNull(root.Element(Atom + "author"));
    }

    [Fact]
    public void Titles_with_markup_characters_are_escaped()
    {
        var xml = CapFeed.Write([("urn:x:1", "A <b> & \"c\"", DateTime.UnixEpoch, "/x?a=1&b=2")], "urn:x", "t", "/api/cap");
        var entry = XDocument.Parse(xml).Root!.Element(Atom + "entry")!;
        Assert.Equal("A <b> & \"c\"", entry.Element(Atom + "title")!.Value);
        Assert.Equal("/x?a=1&b=2", entry.Element(Atom + "link")!.Attribute("href")!.Value);
    }
}
