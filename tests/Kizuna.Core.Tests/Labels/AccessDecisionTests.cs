using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Tests.Labels;

/// <summary>The one access decision, as a table: recipient × label → permit or the rule that denies.</summary>
public sealed class AccessDecisionTests
{
    private static readonly LabelPolicy Policy = new(ProfileLoader.LoadDefault());

    private static Principal Who(string org, string clearance, string? nation = null, params string[] authorizations)
    {
        var organization = Policy.Profile.FindOrganization(org)!;
        Assert.True(Policy.TryCreatePrincipal(new IdentityClaims("t", nation ?? organization.Nation, org, "operator", clearance, authorizations), out var principal, out var reason), reason);
        return principal;
    }

    private static ConfidentialityLabel Label(string classification, string releasableTo, params LabelCategory[] categories)
        => Policy.Create(classification, releasableTo.Split(','), categories);

    public static TheoryData<string, string, string, string, AccessDecision> Table => new()
    {
        // recipient org, clearance, label classification, releasable to, expected
        { "JJOC", "SECRET", "SECRET", "USA,JPN", AccessDecision.Permit },
        { "USFJ", "SECRET", "SECRET", "USA,JPN", AccessDecision.Permit },
        { "ROK-JCS", "SECRET", "SECRET", "USA,JPN", AccessDecision.NotReleasable },
        { "ROK-JCS", "SECRET", "UNCLASSIFIED", "USA,JPN,KOR", AccessDecision.Permit },
        { "JJOC", "CONFIDENTIAL", "SECRET", "JPN", AccessDecision.AboveClearance },
        { "JJOC", "CONFIDENTIAL", "CONFIDENTIAL", "JPN", AccessDecision.Permit },
        { "USFK", "SECRET", "CONFIDENTIAL", "KOR", AccessDecision.NotReleasable },
        { "USFK", "CONFIDENTIAL", "SECRET", "KOR", AccessDecision.AboveClearance },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Classification_and_releasability_decide_as_the_table_says(string org, string clearance, string classification, string releasableTo, AccessDecision expected)
        => Assert.Equal(expected, AccessControl.Decide(Who(org, clearance), Label(classification, releasableTo)));

    [Fact]
    public void A_combined_command_member_is_decided_by_their_own_nation()
    {
        var label = Label("SECRET", "USA,KOR");
        Assert.Equal(AccessDecision.Permit, AccessControl.Decide(Who("CFC", "SECRET", "KOR"), label));
        Assert.Equal(AccessDecision.NotReleasable, AccessControl.Decide(Who("CFC", "SECRET", "USA"), Label("SECRET", "KOR")));
    }

    [Fact]
    public void A_restrictive_category_passes_only_when_every_value_is_held()
    {
        var label = Label("SECRET", "USA,JPN", new LabelCategory("SAP", CategoryType.Restrictive, ["MWX", "SEA"]));
        Assert.Equal(AccessDecision.Permit, AccessControl.Decide(Who("JJOC", "SECRET", null, "SAP:MWX", "SAP:SEA"), label));
        Assert.Equal(AccessDecision.RestrictiveCategoryNotHeld, AccessControl.Decide(Who("JJOC", "SECRET", null, "SAP:MWX"), label));
        Assert.Equal(AccessDecision.RestrictiveCategoryNotHeld, AccessControl.Decide(Who("JJOC", "SECRET"), label));
    }

    [Fact]
    public void A_permissive_category_passes_when_any_value_is_held()
    {
        var label = Label("SECRET", "USA,JPN", new LabelCategory("MISSION", CategoryType.Permissive, ["BMD", "ISR"]));
        Assert.Equal(AccessDecision.Permit, AccessControl.Decide(Who("USFJ", "SECRET", null, "MISSION:ISR"), label));
        Assert.Equal(AccessDecision.PermissiveCategoryNotHeld, AccessControl.Decide(Who("USFJ", "SECRET", null, "SAP:ISR"), label));
    }

    [Fact]
    public void An_informative_category_is_shown_but_never_checked()
    {
        var label = Label("CONFIDENTIAL", "JPN", new LabelCategory("NOTE", CategoryType.Informative, ["EXERCISE"]));
        Assert.Equal(AccessDecision.Permit, AccessControl.Decide(Who("JJOC", "CONFIDENTIAL"), label));
    }

    [Fact]
    public void A_label_of_another_policy_is_denied_whatever_it_says()
    {
        var other = new LabelPolicy(new AllianceProfile(
            "other", "Other", "1", "urn:other", ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"],
            [new Nation("USA", "US"), new Nation("JPN", "JP"), new Nation("KOR", "KR")], Policy.Profile.Organizations, [], [], "test"));
        var foreign = other.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]);
        Assert.Equal(AccessDecision.PolicyMismatch, AccessControl.Decide(Who("JJOC", "SECRET"), foreign));
    }

    [Theory]
    [InlineData("SECRET", "USA,JPN", "SECRET//REL TO USA, JPN")]
    [InlineData("CONFIDENTIAL", "KOR,USA,JPN", "CONFIDENTIAL//REL TO USA, JPN, KOR")]
    [InlineData("UNCLASSIFIED", "JPN", "UNCLASSIFIED//REL TO JPN")]
    public void The_banner_lists_nations_in_profile_order(string classification, string releasableTo, string banner)
        => Assert.Equal(banner, Label(classification, releasableTo).Banner);

    [Fact]
    public void The_banner_shows_restrictive_categories_and_the_caveat()
    {
        var label = Policy.Create("SECRET", ["USA", "JPN"], [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])], caveat: "EXERCISE");
        Assert.Equal("SECRET//MWX//EXERCISE//REL TO USA, JPN", label.Banner);
    }
}
