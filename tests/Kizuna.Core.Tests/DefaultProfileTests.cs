using Kizuna.Core.Alliance;

namespace Kizuna.Core.Tests;

public class DefaultProfileTests
{
    private static readonly AllianceProfile Profile = ProfileLoader.LoadDefault();

    private static DateOnly Day(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void The_default_profile_loads_with_the_organization_ids_scripts_rely_on()
    {
        Assert.Equal(ProfileLoader.DefaultProfileName, Profile.Id);
        Assert.Equal("urn:kizuna:policy:us-jpn-kor", Profile.PolicyId);
        Assert.Equal(["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"], Profile.Classifications);
        Assert.Equal(["USA", "JPN", "KOR"], Profile.Nations.Select(n => n.Code));
        foreach (var id in new[] { "JPN-MOD", "JJOC", "INDOPACOM", "USFJ", "USFK", "ROK-JCS", "CFC" })
        {
            Assert.NotNull(Profile.FindOrganization(id));
        }

        Assert.Equal("統合作戦司令部", Profile.FindOrganization("JJOC")!.LocalNames["ja"]);
        Assert.Equal("한미연합군사령부", Profile.FindOrganization("CFC")!.LocalNames["ko"]);
    }

    [Fact]
    public void The_default_profile_pairs_JJOC_with_USFJ_and_ROK_JCS_with_USFK()
    {
        Assert.Equal(["USFJ"], Profile.CounterpartsOf("JJOC").Select(o => o.Id));
        Assert.Equal(["JJOC"], Profile.CounterpartsOf("USFJ").Select(o => o.Id));
        Assert.Equal(["USFK"], Profile.CounterpartsOf("ROK-JCS").Select(o => o.Id));
    }

    [Fact]
    public void CFC_is_the_one_combined_command_and_is_staffed_by_KOR_and_USA()
    {
        var combined = Assert.Single(Profile.Organizations, o => o.IsCombined);
        Assert.Equal("CFC", combined.Id);
        Assert.Equal(["KOR", "USA"], combined.Nations);
    }

    [Fact]
    public void Every_organization_of_the_default_profile_may_release_to_all_three_nations()
    {
        Assert.All(Profile.Organizations, o => Assert.Equal(["USA", "JPN", "KOR"], o.MayReleaseTo));
        Assert.All(Profile.Organizations, o => Assert.True(Profile.ClassificationLevel(o.DefaultClassification) >= 0));
    }

    [Fact]
    public void No_command_relationship_of_the_default_profile_joins_organizations_without_a_common_nation()
    {
        foreach (var r in Profile.Relationships.Where(r => r.Kind.IsCommand()))
        {
            Assert.NotEmpty(Profile.FindOrganization(r.Superior)!.Nations.Intersect(Profile.FindOrganization(r.Subordinate)!.Nations));
        }
    }

    [Fact]
    public void JJOC_commands_the_Ground_Component_Command_from_its_establishment_on_2025_03_24()
    {
        Assert.Equal("JPN-MOD", Profile.Superior("JGSDF-GCC", RelationshipKind.Opcon, Day("2025-03-23"))!.Id);
        Assert.Equal("JJOC", Profile.Superior("JGSDF-GCC", RelationshipKind.Opcon, Day("2025-03-24"))!.Id);
        Assert.Null(Profile.Superior("JJOC", RelationshipKind.Opcon, Day("2025-03-23")));
        Assert.Equal("JPN-MOD", Profile.Superior("JJOC", RelationshipKind.Opcon, Day("2025-03-24"))!.Id);
    }

    [Fact]
    public void USFJ_coordinates_US_forces_in_Japan_in_phase_1_and_takes_operational_control_in_phase_2()
    {
        var phase1 = Day("2026-01-01");
        var phase2 = Day("2027-04-01");
        Assert.Equal("USARPAC", Profile.Superior("USARJ", RelationshipKind.Opcon, phase1)!.Id);
        Assert.Equal("USFJ", Profile.Superior("USARJ", RelationshipKind.CoordinatingAuthority, phase1)!.Id);
        Assert.Equal("USFJ", Profile.Superior("USARJ", RelationshipKind.Opcon, phase2)!.Id);
        Assert.Null(Profile.Superior("USARJ", RelationshipKind.CoordinatingAuthority, phase2));
        Assert.Equal("USARPAC", Profile.Superior("USARJ", RelationshipKind.Adcon, phase2)!.Id);
        Assert.Null(Profile.Superior("USARJ", RelationshipKind.CoordinatingAuthority, Day("2024-12-31")));
        Assert.All(
            Profile.Relationships.Where(r => r.From == phase2 || r.Until == phase2),
            r => Assert.Contains("illustrative", r.Note, StringComparison.Ordinal));
    }

    [Fact]
    public void ChainAbove_the_12th_Marine_Littoral_Regiment_runs_up_the_US_chain_and_moves_to_USFJ_in_phase_2()
    {
        Assert.Equal(
            ["3MARDIV", "III-MEF", "MARFORPAC", "INDOPACOM"],
            Profile.ChainAbove("12MLR", Day("2026-06-01")).Select(o => o.Id));
        Assert.Equal(
            ["3MARDIV", "III-MEF", "USFJ", "INDOPACOM"],
            Profile.ChainAbove("12MLR", Day("2027-06-01")).Select(o => o.Id));
    }

    [Fact]
    public void ChainAbove_stays_in_each_national_chain()
    {
        Assert.Equal(["JJOC", "JPN-MOD"], Profile.ChainAbove("JGSDF-GCC", Day("2026-01-01")).Select(o => o.Id));
        Assert.Equal(["INDOPACOM"], Profile.ChainAbove("USFK", Day("2026-01-01")).Select(o => o.Id));
        Assert.Equal(["ROK-MND"], Profile.ChainAbove("ROK-JCS", Day("2026-01-01")).Select(o => o.Id));
        Assert.Empty(Profile.ChainAbove("CFC", Day("2026-01-01")));
    }

    [Fact]
    public void The_embedded_default_profile_is_the_file_in_profiles()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kizuna.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var fromFile = ProfileLoader.LoadFile(Path.Combine(directory.FullName, "profiles", "us-jpn-kor.json"));
        Assert.Equal(Profile.Organizations.Select(o => o.Id), fromFile.Organizations.Select(o => o.Id));
        Assert.Equal(Profile.Relationships, fromFile.Relationships);
    }
}
