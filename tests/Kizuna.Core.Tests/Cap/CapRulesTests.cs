using Kizuna.Core.Warnings;
using Kizuna.Core.Warnings.Cap;
using static Kizuna.Core.Tests.Cap.CapFixtures;

namespace Kizuna.Core.Tests.Cap;

public class CapRulesTests
{
    private static string Valid => WriteAll(Sequence())[1].Xml;

    private static string Minimal(string header = "", string area = "<areaDesc>Tokyo</areaDesc>", string sent = "2026-11-26T04:00:00-00:00", string scope = "Public", string msgType = "Alert", string identifier = "urn:x:1", string info = "<language>en-US</language>")
        => $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>{identifier}</identifier>
              <sender>kizuna@example.invalid</sender>
              <sent>{sent}</sent>
              <status>Actual</status>
              <msgType>{msgType}</msgType>
              <scope>{scope}</scope>
              {header}
              <info>
                {info}
                <category>Safety</category>
                <event>Test</event>
                <urgency>Immediate</urgency>
                <severity>Extreme</severity>
                <certainty>Likely</certainty>
                <area>{area}</area>
              </info>
            </alert>
            """;

    private static void AssertOneProblem(string xml, string containing)
    {
        var problems = CapRules.Check(xml);
        Assert.Single(problems);
        Assert.Contains(containing, problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_written_alert_and_the_minimal_alert_pass()
    {
        Assert.Empty(CapRules.Check(Valid));
        Assert.Empty(CapRules.Check(Minimal()));
        Assert.Equal("", SchemaProblems(Minimal()));
    }

    [Fact]
    public void A_time_in_Z_form_is_caught()
        => AssertOneProblem(Minimal(sent: "2026-11-26T04:00:00Z"), "uses 'Z'");

    [Fact]
    public void A_Z_time_the_writer_never_makes_is_caught_in_a_written_alert_too()
    {
        var xml = Valid.Replace("-00:00</expires>", "Z</expires>", StringComparison.Ordinal);
        Assert.Equal(3, CapRules.Check(xml).Count(p => p.Contains("expires", StringComparison.Ordinal) && p.Contains("'Z'", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_time_without_an_offset_is_caught()
        => AssertOneProblem(Minimal(sent: "2026-11-26T04:00:00"), "not a time with an offset");

    [Fact]
    public void An_open_polygon_is_caught()
        => AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><polygon>35,139 35,140 36,140 36,139</polygon>"), "not closed");

    [Fact]
    public void A_polygon_of_fewer_than_four_pairs_is_caught()
        => AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><polygon>35,139 35,140 35,139</polygon>"), "at least 4");

    [Fact]
    public void A_polygon_point_off_the_globe_is_caught()
        => AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><polygon>35,139 95,140 36,140 35,139</polygon>"), "not a valid lat,lon");

    [Fact]
    public void Restriction_without_scope_Restricted_is_caught()
        => AssertOneProblem(Minimal(header: "<restriction>officials only</restriction>"), "restriction is used only when scope is Restricted");

    [Fact]
    public void Scope_Restricted_without_a_restriction_is_caught()
        => AssertOneProblem(Minimal(scope: "Restricted"), "needs a restriction");

    [Fact]
    public void Addresses_with_scope_Public_are_caught_and_Private_needs_them()
    {
        AssertOneProblem(Minimal(header: "<addresses>a b</addresses>"), "addresses is used only when scope is Private");
        AssertOneProblem(Minimal(scope: "Private"), "needs addresses");
        Assert.Empty(CapRules.Check(Minimal(scope: "Private", header: "<addresses>a b</addresses>")));
    }

    [Fact]
    public void An_Update_or_Cancel_without_references_is_caught()
    {
        AssertOneProblem(Minimal(msgType: "Update"), "needs references");
        AssertOneProblem(Minimal(msgType: "Cancel"), "needs references");
    }

    [Fact]
    public void A_reference_that_is_not_sender_identifier_sent_is_caught()
        => AssertOneProblem(Minimal(msgType: "Update", header: "<references>kizuna@x,urn:x:0</references>"), "is not sender,identifier,sent");

    [Fact]
    public void An_identifier_with_a_space_comma_or_ampersand_is_caught()
    {
        AssertOneProblem(Minimal(identifier: "urn:x 1"), "identifier may not contain");
        AssertOneProblem(Minimal(identifier: "urn:x,1"), "identifier may not contain");
        AssertOneProblem(Minimal(identifier: "urn:x&amp;1"), "identifier may not contain");
    }

    [Fact]
    public void An_info_without_language_or_area_is_caught()
    {
        AssertOneProblem(Minimal(info: ""), "has no language");
        var noArea = Minimal().Replace("<area><areaDesc>Tokyo</areaDesc></area>", "", StringComparison.Ordinal);
        AssertOneProblem(noArea, "has no area");
    }

    [Fact]
    public void A_geocode_without_a_value_is_caught()
        => AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><geocode><valueName>JIS X 0401</valueName><value></value></geocode>"), "geocode lacks");

    [Fact]
    public void A_circle_must_be_a_point_and_a_radius()
    {
        Assert.Empty(CapRules.Check(Minimal(area: "<areaDesc>x</areaDesc><circle>35.68,139.69 10</circle>")));
        AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><circle>35.68,139.69</circle>"), "circle");
        AssertOneProblem(Minimal(area: "<areaDesc>x</areaDesc><circle>35.68,139.69 -1</circle>"), "circle");
    }

    [Fact]
    public void Input_that_is_not_XML_or_not_CAP_is_a_problem_not_an_exception()
    {
        AssertOneProblem("<alert", "not well-formed");
        AssertOneProblem("<alert xmlns=\"urn:other\"/>", "root element");
        AssertOneProblem("<!DOCTYPE alert [<!ENTITY x \"y\">]><alert/>", "not well-formed");
    }

    [Fact]
    public void Every_CapRules_problem_the_writer_could_make_is_absent_across_many_sequences()
    {
        // Ellipses of many sizes and orientations, over the dateline too: polygons stay closed and valid.
        for (var i = 0; i < 36; i++)
        {
            var ellipse = new ImpactEllipse(new GeoPoint(-80 + (i * 4.5), 170 + (i % 3 * 5)), 1_000 + (i * 20_000), 500 + (i * 5_000), i * 10);
            var xml = CapAlert.Write(Version(1, WarningStage.TakeShelter, impact: ellipse), Options, Profile, [])!;
            Assert.Empty(CapRules.Check(xml));
        }
    }
}
