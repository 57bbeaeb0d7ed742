using Kizuna.Core.Alliance;

namespace Kizuna.Core.Tests;

public class ProfileTreeTests
{
    private static readonly AllianceProfile Profile = ProfileLoader.LoadDefault();

    [Fact]
    public void The_tree_shows_JJOC_under_the_Ministry_of_Defense_with_the_edge_kind()
    {
        var text = ProfileTree.Render(Profile, new DateOnly(2026, 1, 1));
        Assert.Contains("JPN-MOD  Ministry of Defense  (ministry)\n└─ OPCON  JJOC  JSDF Joint Operations Command  (since 2025-03-24)", text, StringComparison.Ordinal);
        Assert.Contains("├─ OPCON  JGSDF-GCC  Ground Component Command", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tree_shows_relationships_not_yet_in_force_with_their_date()
    {
        var text = ProfileTree.Render(Profile, new DateOnly(2026, 1, 1));
        Assert.Contains("OPCON  USARJ  US Army Japan  (not yet in force: from 2027-04-01)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("OPCON  USARJ  US Army Japan  (not yet", ProfileTree.Render(Profile, new DateOnly(2027, 4, 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_tree_shows_combined_commands_counterparts_and_coordination_between_nations()
    {
        var text = ProfileTree.Render(Profile, new DateOnly(2026, 1, 1));
        Assert.Contains("CFC  ROK–US Combined Forces Command  (combined-command; KOR, USA)", text, StringComparison.Ordinal);
        Assert.Contains("JJOC JSDF Joint Operations Command (JPN)  ↔  USFJ US Forces Japan (USA)", text, StringComparison.Ordinal);
        Assert.Contains("─ COORDINATING-AUTHORITY →  USFJ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tree_uses_local_names_in_the_language_asked_for()
    {
        var text = ProfileTree.Render(Profile, new DateOnly(2026, 1, 1), "ko");
        Assert.Contains("합동참모본부", text, StringComparison.Ordinal);
        Assert.Contains("주한미군", text, StringComparison.Ordinal);
    }
}
