using Kizuna.Core.Alliance;
using static Kizuna.Core.Tests.TestProfiles;

namespace Kizuna.Core.Tests;

public class FederationTopologyTests
{
    private const string JjocUsfj = """{"a": "JJOC", "b": "USFJ", "flows": ["picture", "warning", "coordination"], "maxClassification": "SECRET"}""";
    private const string KorUsfj = """{"a": "ROK-JCS", "b": "USFJ", "flows": ["warning"], "maxClassification": "CONFIDENTIAL", "note": "hub"}""";

    /// <summary>The minimal profile with a federation section, each link on its own line.</summary>
    private static string WithLinks(params string[] links)
    {
        var json = Minimal();
        var end = json.LastIndexOf('}');
        return json[..end].TrimEnd() + ",\n  \"federation\": {\n    \"links\": [\n      " + string.Join(",\n      ", links) + "\n    ]\n  }\n}";
    }

    [Fact]
    public void The_default_profile_links_Japan_and_Korea_only_through_the_US_hub_up_to_secret()
    {
        var profile = ProfileLoader.LoadDefault();
        var topology = profile.Federation;
        foreach (var us in new[] { "USFJ", "INDOPACOM" })
        {
            foreach (var partner in new[] { "JJOC", "ROK-JCS" })
            {
                var link = topology.Find(partner, us);
                Assert.NotNull(link);
                Assert.Equal("SECRET", link.MaxClassification);
                Assert.Equal([FederationFlow.Picture, FederationFlow.Warning, FederationFlow.Coordination], link.Flows);
                Assert.Same(link, topology.Find(us, partner));
            }
        }

        Assert.Null(topology.Find("JJOC", "ROK-JCS"));
        Assert.Null(topology.Find("USFJ", "INDOPACOM"));
        Assert.Equal(["USFJ", "INDOPACOM"], topology.PartnersOf("JJOC"));
    }

    [Fact]
    public void A_profile_without_a_federation_section_allows_no_link()
    {
        var profile = ProfileLoader.Parse(Minimal(), Source);
        Assert.Empty(profile.Federation.Links);
        Assert.Null(profile.Federation.Find("JJOC", "USFJ"));
    }

    [Fact]
    public void Links_are_read_with_their_flows_classification_and_note()
    {
        var profile = ProfileLoader.Parse(WithLinks(JjocUsfj, KorUsfj), Source);
        var link = profile.Federation.Find("USFJ", "ROK-JCS")!;
        Assert.Equal([FederationFlow.Warning], link.Flows);
        Assert.True(link.Carries(FederationFlow.Warning));
        Assert.False(link.Carries(FederationFlow.Picture));
        Assert.Equal("CONFIDENTIAL", link.MaxClassification);
        Assert.Equal("hub", link.Note);
    }

    [Fact]
    public void A_link_naming_an_unknown_organization_is_refused_on_its_line()
    {
        var json = WithLinks(JjocUsfj, """{"a": "JJOC", "b": "PLA", "flows": ["picture"], "maxClassification": "SECRET"}""");
        RefusedOnce(json, LineOf(json, "\"PLA\""), "\"b\" of a federation link names \"PLA\"", "not an organization");
    }

    [Fact]
    public void A_link_listed_twice_in_either_direction_is_refused_on_the_second()
    {
        var json = WithLinks(JjocUsfj, """{"a": "USFJ", "b": "JJOC", "flows": ["warning"], "maxClassification": "SECRET"}""");
        RefusedOnce(json, LineOf(json, "\"a\": \"USFJ\""), "between USFJ and JJOC is listed twice");
    }

    [Fact]
    public void A_classification_the_profile_does_not_have_is_refused()
    {
        var json = WithLinks("""{"a": "JJOC", "b": "USFJ", "flows": ["picture"], "maxClassification": "TOP SECRET"}""");
        RefusedOnce(json, LineOf(json, "TOP SECRET"), "TOP SECRET", "not a classification of this profile");
    }

    [Fact]
    public void Unknown_repeated_or_missing_flows_are_refused()
    {
        var unknown = WithLinks("""{"a": "JJOC", "b": "USFJ", "flows": ["picture", "targeting"], "maxClassification": "SECRET"}""");
        RefusedOnce(unknown, LineOf(unknown, "targeting"), "unknown flow \"targeting\"");

        var twice = WithLinks("""{"a": "JJOC", "b": "USFJ", "flows": ["warning", "warning"], "maxClassification": "SECRET"}""");
        RefusedOnce(twice, LineOf(twice, "\"warning\", \"warning\""), "flow warning is listed twice");

        var none = WithLinks("""{"a": "JJOC", "b": "USFJ", "flows": [], "maxClassification": "SECRET"}""");
        RefusedOnce(none, LineOf(none, "\"flows\": []"), "non-empty array");
    }

    [Fact]
    public void A_link_of_an_organization_with_itself_and_an_unknown_property_are_refused()
    {
        var self = WithLinks("""{"a": "JJOC", "b": "JJOC", "flows": ["picture"], "maxClassification": "SECRET"}""");
        RefusedOnce(self, LineOf(self, "\"b\": \"JJOC\""), "JJOC is linked with itself");

        var misspelt = WithLinks("""{"a": "JJOC", "b": "USFJ", "flows": ["picture"], "maxClasification": "SECRET"}""");
        var problems = Refuse(misspelt);
        Assert.Contains(problems, p => p.Message.Contains("unknown property \"maxClasification\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("has no \"maxClassification\"", StringComparison.Ordinal));
    }
}
