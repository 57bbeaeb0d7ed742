using Kizuna.Core.Alliance;
using static Kizuna.Core.Tests.TestProfiles;

namespace Kizuna.Core.Tests;

public class ProfileValidationTests
{
    [Fact]
    public void The_minimal_test_profile_loads()
    {
        var profile = ProfileLoader.Parse(Minimal(), Source);
        Assert.Equal(7, profile.Organizations.Count);
        Assert.Equal(Source, profile.Source);
        Assert.Equal(["USA", "JPN", "KOR"], profile.FindOrganization("GCC")!.MayReleaseTo);
    }

    [Fact]
    public void An_organization_of_an_unknown_nation_is_refused_on_its_line()
    {
        var json = Minimal(organizations: ["""{"id": "PLA", "name": "Somebody", "nation": "CHN", "kind": "unit", "defaultClassification": "SECRET"}"""]);
        RefusedOnce(json, LineOf(json, "\"PLA\""), "unknown nation CHN", "organization PLA");
    }

    [Fact]
    public void A_nation_code_that_is_not_three_uppercase_letters_is_refused()
    {
        var json = Minimal().Replace("""{"code": "KOR", "name": "Republic of Korea"}""", """{"code": "Korea", "name": "Republic of Korea"}""", StringComparison.Ordinal);
        var problems = Refuse(json);
        Assert.Contains(problems, p => p.Line == LineOf(json, "\"Korea\"") && p.Message.Contains("not an ISO 3166-1 alpha-3 code", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cycle_in_the_chain_of_command_is_refused_naming_its_organizations()
    {
        var json = Minimal(relationships: ["""{"superior": "GCC", "subordinate": "JPN-MOD", "kind": "ADCON", "from": "2026-01-01"}"""]);
        var problem = RefusedOnce(json, LineOf(json, "\"subordinate\": \"JJOC\", \"kind\": \"OPCON\""), "cycle in the chain of command");
        Assert.Contains("JPN-MOD → JJOC → GCC → JPN-MOD", problem.Message, StringComparison.Ordinal);
        Assert.Contains("in force together from 2026-01-01", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relationships_that_would_close_a_cycle_but_never_hold_together_are_accepted()
    {
        var json = Minimal(relationships: ["""{"superior": "GCC", "subordinate": "JPN-MOD", "kind": "ADCON", "until": "2025-03-24"}"""]);
        ProfileLoader.Parse(json, Source);
    }

    [Fact]
    public void A_unit_with_two_OPCON_commanders_at_once_is_refused_on_the_second()
    {
        var json = Minimal(relationships: ["""{"superior": "JPN-MOD", "subordinate": "GCC", "kind": "OPCON", "until": "2025-04-01"}"""]);
        RefusedOnce(json, LineOf(json, "\"until\": \"2025-04-01\""), "GCC has two OPCON commanders at the same time", "JJOC", "JPN-MOD", "from 2025-03-24 until 2025-04-01");
    }

    [Fact]
    public void Successive_commanders_of_one_kind_and_commanders_of_different_kinds_are_accepted()
    {
        var json = Minimal(relationships:
        [
            """{"superior": "JPN-MOD", "subordinate": "GCC", "kind": "OPCON", "until": "2025-03-24"}""",
            """{"superior": "JPN-MOD", "subordinate": "GCC", "kind": "ADCON"}""",
        ]);
        var profile = ProfileLoader.Parse(json, Source);
        Assert.Equal("JPN-MOD", profile.Superior("GCC", RelationshipKind.Opcon, new DateOnly(2025, 3, 23))!.Id);
        Assert.Equal("JJOC", profile.Superior("GCC", RelationshipKind.Opcon, new DateOnly(2025, 3, 24))!.Id);
    }

    [Fact]
    public void A_relationship_naming_an_unknown_organization_is_refused_as_dangling()
    {
        var json = Minimal(relationships: ["""{"superior": "JJOC", "subordinate": "NOWHERE", "kind": "OPCON"}"""]);
        RefusedOnce(json, LineOf(json, "NOWHERE"), "\"subordinate\" of a relationship names \"NOWHERE\", which is not an organization of this profile");
    }

    [Fact]
    public void A_counterpart_naming_an_unknown_organization_is_refused_as_dangling()
    {
        var json = Minimal(counterparts: ["""{"a": "ROK-JCS", "b": "USFK"}"""]);
        RefusedOnce(json, LineOf(json, "\"b\": \"USFK\""), "\"USFK\"", "not an organization");
    }

    [Fact]
    public void A_command_relationship_across_nations_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "USFJ", "subordinate": "GCC", "kind": "TACON"}"""]);
        RefusedOnce(json, LineOf(json, "\"superior\": \"USFJ\", \"subordinate\": \"GCC\""), "TACON of USFJ (USA) over GCC (JPN) crosses nations");
    }

    [Fact]
    public void A_command_relationship_between_a_combined_command_and_one_of_its_nations_is_accepted()
    {
        var json = Minimal(relationships: ["""{"superior": "CFC", "subordinate": "ROK-JCS", "kind": "OPCON", "note": "wartime"}"""]);
        var profile = ProfileLoader.Parse(json, Source);
        Assert.Equal(["CFC"], profile.ChainAbove("ROK-JCS", new DateOnly(2026, 1, 1)).Select(o => o.Id));
    }

    [Fact]
    public void A_command_relationship_between_a_combined_command_and_a_nation_it_does_not_include_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "CFC", "subordinate": "GCC", "kind": "TACON"}"""]);
        RefusedOnce(json, LineOf(json, "\"superior\": \"CFC\""), "crosses nations");
    }

    [Fact]
    public void A_JSON_syntax_error_is_refused_with_its_line()
    {
        var json = Minimal().Replace("\"id\": \"test\",", "\"id\": \"test\"", StringComparison.Ordinal);
        RefusedOnce(json, LineOf(json, "\"name\": \"Test alliance\""), "JSON syntax error");
    }

    [Fact]
    public void A_trailing_comma_is_a_syntax_error_on_its_line()
    {
        var json = Minimal().Replace("\"version\": \"1\",", "\"version\": \"1\",,", StringComparison.Ordinal);
        RefusedOnce(json, LineOf(json, ",,"), "JSON syntax error");
    }

    [Fact]
    public void A_duplicate_organization_id_is_refused_on_the_second_one()
    {
        var json = Minimal(organizations: ["""{"id": "JJOC", "name": "Again", "nation": "JPN", "kind": "unit", "defaultClassification": "SECRET"}"""]);
        RefusedOnce(json, LineOf(json, "\"name\": \"Again\""), "organization id JJOC is used twice", $"first on line {LineOf(json, "\"id\": \"JJOC\"")}");
    }

    [Fact]
    public void A_duplicate_property_is_refused()
    {
        var json = Minimal(organizations: ["""{"id": "X1", "name": "X", "name": "Y", "nation": "JPN", "kind": "unit", "defaultClassification": "SECRET"}"""]);
        RefusedOnce(json, LineOf(json, "\"X1\""), "\"name\" appears twice in organization X1");
    }

    [Fact]
    public void An_unknown_relationship_kind_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "JJOC", "subordinate": "GCC", "kind": "COMMAND"}"""]);
        RefusedOnce(json, LineOf(json, "COMMAND"), "unknown relationship kind \"COMMAND\"", "DIRLAUTH");
    }

    [Fact]
    public void A_relationship_that_ends_before_it_starts_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "JJOC", "subordinate": "USFJ", "kind": "DIRLAUTH", "from": "2026-01-01", "until": "2026-01-01"}"""]);
        RefusedOnce(json, LineOf(json, "\"until\": \"2026-01-01\""), "until 2026-01-01", "from 2026-01-01");
    }

    [Fact]
    public void A_date_that_is_not_YYYY_MM_DD_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "JJOC", "subordinate": "USFJ", "kind": "DIRLAUTH", "from": "2026-13-01"}"""]);
        RefusedOnce(json, LineOf(json, "2026-13-01"), "\"2026-13-01\"", "YYYY-MM-DD");
    }

    [Fact]
    public void An_unknown_default_classification_is_refused()
    {
        var json = Minimal(organizations: ["""{"id": "X1", "name": "X", "nation": "JPN", "kind": "unit", "defaultClassification": "TOP SECRET"}"""]);
        RefusedOnce(json, LineOf(json, "TOP SECRET"), "unknown classification \"TOP SECRET\"", "organization X1");
    }

    [Fact]
    public void Counterparts_of_one_nation_are_refused()
    {
        var json = Minimal(counterparts: ["""{"a": "INDOPACOM", "b": "USFJ"}"""]);
        RefusedOnce(json, LineOf(json, "\"a\": \"INDOPACOM\""), "counterparts INDOPACOM and USFJ are both of USA");
    }

    [Fact]
    public void An_organization_paired_with_itself_is_refused()
    {
        var json = Minimal(counterparts: ["""{"a": "USFJ", "b": "USFJ"}"""]);
        RefusedOnce(json, LineOf(json, "\"a\": \"USFJ\""), "USFJ is paired with itself");
    }

    [Fact]
    public void MayReleaseTo_naming_an_unknown_nation_is_refused()
    {
        var json = Minimal(organizations: ["""{"id": "X1", "name": "X", "nation": "JPN", "kind": "unit", "defaultClassification": "SECRET", "mayReleaseTo": ["JPN", "GBR"]}"""]);
        RefusedOnce(json, LineOf(json, "GBR"), "unknown nation GBR in mayReleaseTo of organization X1");
    }

    [Fact]
    public void MayReleaseTo_narrows_the_releasability_of_an_organization()
    {
        var json = Minimal(organizations: ["""{"id": "X1", "name": "X", "nation": "JPN", "kind": "unit", "defaultClassification": "SECRET", "mayReleaseTo": ["JPN", "USA"]}"""]);
        Assert.Equal(["JPN", "USA"], ProfileLoader.Parse(json, Source).FindOrganization("X1")!.MayReleaseTo);
    }

    [Fact]
    public void Another_format_or_format_version_is_refused()
    {
        var json = Minimal().Replace("\"formatVersion\": 1", "\"formatVersion\": 2", StringComparison.Ordinal);
        RefusedOnce(json, 3, "formatVersion");
        json = Minimal().Replace("kizuna-alliance-profile", "something-else", StringComparison.Ordinal);
        RefusedOnce(json, 2, "\"format\"", "something-else");
    }

    [Fact]
    public void A_missing_required_field_is_refused_naming_it()
    {
        var json = Minimal(organizations: ["""{"id": "X1", "name": "X", "nation": "JPN", "defaultClassification": "SECRET"}"""]);
        RefusedOnce(json, LineOf(json, "\"X1\""), "organization X1 has no \"kind\"");
    }

    [Fact]
    public void A_misspelt_property_is_refused()
    {
        var json = Minimal(relationships: ["""{"superior": "JJOC", "subordinate": "USFJ", "kind": "DIRLAUTH", "untill": "2030-01-01"}"""]);
        RefusedOnce(json, LineOf(json, "untill"), "unknown property \"untill\"");
    }

    [Fact]
    public void A_profile_with_several_problems_lists_all_of_them_by_line()
    {
        var json = Minimal(
            organizations:
            [
                """{"id": "PLA", "name": "Somebody", "nation": "CHN", "kind": "unit", "defaultClassification": "SECRET"}""",
                """{"id": "JJOC", "name": "Again", "nation": "JPN", "kind": "unit", "defaultClassification": "SECRET"}""",
            ],
            relationships:
            [
                """{"superior": "USFJ", "subordinate": "GCC", "kind": "OPCON"}""",
                """{"superior": "JJOC", "subordinate": "GHOST", "kind": "OPCON"}""",
                """{"superior": "GCC", "subordinate": "JPN-MOD", "kind": "ADCON"}""",
            ]);
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json, Source));
        int[] expected =
        [
            LineOf(json, "\"subordinate\": \"JJOC\", \"kind\": \"OPCON\""), // the cycle, reported on its first edge
            LineOf(json, "CHN"),
            LineOf(json, "\"Again\""),
            LineOf(json, "\"superior\": \"USFJ\", \"subordinate\": \"GCC\""), // command across nations; also GCC's second OPCON commander
            LineOf(json, "\"superior\": \"USFJ\", \"subordinate\": \"GCC\""),
            LineOf(json, "GHOST"),
        ];
        Assert.Equal(expected.Order(), ex.Problems.Select(p => p.Line));
        var messageLines = ex.Message.Split('\n');
        Assert.Equal(ex.Problems.Count, messageLines.Length);
        for (var i = 0; i < messageLines.Length; i++)
        {
            Assert.StartsWith($"{Source}:{ex.Problems[i].Line}: ", messageLines[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_missing_file_is_refused_with_a_ProfileException()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.LoadFile(Path.Combine(Path.GetTempPath(), "kizuna-no-such-profile.json")));
        Assert.Contains("cannot read the profile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_is_reported_against_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kizuna-profile-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\n  \"format\": \"kizuna-alliance-profile\",\n  \"formatVersion\": 1,\n}\n");
        try
        {
            var ex = Assert.Throws<ProfileException>(() => ProfileLoader.LoadFile(path));
            Assert.StartsWith($"{path}:4: JSON syntax error", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
