using Kizuna.Core.Alliance;
using Kizuna.Core.Coordination;
using static Kizuna.Core.Tests.TestProfiles;

namespace Kizuna.Core.Tests;

/// <summary>The profile's optional <c>readiness</c> section, and what coordination reads from the profile.</summary>
public class ReadinessProfileTests
{
    private static string WithReadiness(string section) => Minimal().Replace("\"counterparts\": [", section + ",\n  \"counterparts\": [", StringComparison.Ordinal);

    [Fact]
    public void A_profile_without_a_readiness_section_reports_every_day()
        => Assert.Equal(TimeSpan.FromHours(24), ProfileLoader.Parse(Minimal(), Source).ReadinessInterval);

    [Fact]
    public void The_readiness_interval_is_read_from_the_profile()
        => Assert.Equal(TimeSpan.FromHours(12), ProfileLoader.Parse(WithReadiness("\"readiness\": {\"reportEvery\": \"12h\"}"), Source).ReadinessInterval);

    [Fact]
    public void A_readiness_interval_that_is_not_a_duration_is_refused_on_its_line()
    {
        var json = WithReadiness("\"readiness\": {\"reportEvery\": \"daily\"}");
        RefusedOnce(json, LineOf(json, "\"daily\""), "\"reportEvery\"", "not a duration");
    }

    [Fact]
    public void An_unknown_property_of_the_readiness_section_is_refused()
    {
        var json = WithReadiness("\"readiness\": {\"reportEvery\": \"12h\", \"reportEvry\": \"6h\"}");
        Assert.NotEmpty(Refuse(json));
    }

    [Fact]
    public void The_default_profile_relates_JJOC_and_USFJ_as_counterparts_and_escalates_each_up_its_own_chain()
    {
        var profile = ProfileLoader.LoadDefault();
        var day = new DateOnly(2026, 12, 7);
        Assert.Equal(CoordinationRelations.Counterparts, CoordinationRelations.Between(profile, "JJOC", "USFJ", day));
        Assert.Equal("dirlauth", CoordinationRelations.Between(profile, "JGSDF-ARDB", "12MLR", day));
        Assert.Null(CoordinationRelations.Between(profile, "JJOC", "USFK", day));
        // Command is not coordination.
        Assert.Null(CoordinationRelations.Between(profile, "JPN-MOD", "JJOC", day));
        Assert.Equal("JPN-MOD", CoordinationRelations.NextSuperior(profile, "JJOC", day)!.Id);
        Assert.Equal("INDOPACOM", CoordinationRelations.NextSuperior(profile, "USFJ", day)!.Id);
        Assert.Null(CoordinationRelations.NextSuperior(profile, "JPN-MOD", day));
    }
}
