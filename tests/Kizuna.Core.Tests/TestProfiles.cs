using Kizuna.Core.Alliance;

namespace Kizuna.Core.Tests;

/// <summary>A small valid profile that tests extend line by line, and helpers to find lines and problems.</summary>
internal static class TestProfiles
{
    public const string Source = "test.json";

    /// <summary>
    /// A valid three-nation profile; each extra organization, relationship and counterpart is one
    /// JSON object written on its own line after the built-in ones.
    /// </summary>
    public static string Minimal(string[]? organizations = null, string[]? relationships = null, string[]? counterparts = null)
    {
        string[] baseOrganizations =
        [
            """{"id": "JPN-MOD", "name": "Ministry of Defense", "nation": "JPN", "kind": "ministry", "defaultClassification": "CONFIDENTIAL"}""",
            """{"id": "JJOC", "name": "JSDF Joint Operations Command", "nation": "JPN", "kind": "joint-command", "defaultClassification": "CONFIDENTIAL", "names": {"ja": "統合作戦司令部"}}""",
            """{"id": "GCC", "name": "Ground Component Command", "nation": "JPN", "kind": "component-command", "defaultClassification": "CONFIDENTIAL"}""",
            """{"id": "INDOPACOM", "name": "US Indo-Pacific Command", "nation": "USA", "kind": "combatant-command", "defaultClassification": "CONFIDENTIAL"}""",
            """{"id": "USFJ", "name": "US Forces Japan", "nation": "USA", "kind": "joint-force-headquarters", "defaultClassification": "CONFIDENTIAL"}""",
            """{"id": "ROK-JCS", "name": "ROK Joint Chiefs of Staff", "nation": "KOR", "kind": "joint-command", "defaultClassification": "CONFIDENTIAL"}""",
            """{"id": "CFC", "name": "ROK-US Combined Forces Command", "nations": ["KOR", "USA"], "kind": "combined-command", "defaultClassification": "CONFIDENTIAL"}""",
        ];
        string[] baseRelationships =
        [
            """{"superior": "JPN-MOD", "subordinate": "JJOC", "kind": "OPCON", "from": "2025-03-24"}""",
            """{"superior": "JJOC", "subordinate": "GCC", "kind": "OPCON", "from": "2025-03-24"}""",
            """{"superior": "INDOPACOM", "subordinate": "USFJ", "kind": "OPCON"}""",
            """{"superior": "JJOC", "subordinate": "USFJ", "kind": "COORDINATING-AUTHORITY"}""",
        ];
        string[] baseCounterparts = ["""{"a": "JJOC", "b": "USFJ"}"""];

        static string List(string[] first, string[]? more) => string.Join(",\n    ", first.Concat(more ?? []));

        return $$"""
            {
              "format": "kizuna-alliance-profile",
              "formatVersion": 1,
              "id": "test",
              "name": "Test alliance",
              "version": "1",
              "policy": "urn:kizuna:policy:test",
              "classifications": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"],
              "nations": [
                {"code": "USA", "name": "United States"},
                {"code": "JPN", "name": "Japan"},
                {"code": "KOR", "name": "Republic of Korea"}
              ],
              "organizations": [
                {{List(baseOrganizations, organizations)}}
              ],
              "relationships": [
                {{List(baseRelationships, relationships)}}
              ],
              "counterparts": [
                {{List(baseCounterparts, counterparts)}}
              ]
            }
            """;
    }

    /// <summary>The 1-based line of the first line of <paramref name="json"/> that contains <paramref name="fragment"/>.</summary>
    public static int LineOf(string json, string fragment)
    {
        var lines = json.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(fragment, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        throw new ArgumentException($"'{fragment}' is not in the profile", nameof(fragment));
    }

    /// <summary>The problems a profile is refused with.</summary>
    public static IReadOnlyList<ProfileProblem> Refuse(string json)
        => Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json, Source)).Problems;

    /// <summary>Asserts that the profile is refused with exactly one problem, on that line, whose message contains every fragment.</summary>
    public static ProfileProblem RefusedOnce(string json, int line, params string[] fragments)
    {
        var problems = Refuse(json);
        var problem = Assert.Single(problems);
        Assert.Equal(line, problem.Line);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        }

        return problem;
    }
}
