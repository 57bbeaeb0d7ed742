using System.Net;
using System.Net.Http.Json;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Readiness on a real node: versioned reports, the roll-up along a national chain (worst level,
/// counts, oldest age, stale after the profile's interval on the node's clock), and a partner that
/// sees only what the labels release (the summary, not the detail).
/// </summary>
public sealed class ReadinessTests
{
    private static async Task<HttpResponseMessage> ReportAsync(HttpClient http, string org, string level, string? label = null, string? summaryLabel = null, Dictionary<string, string>? areas = null)
        => await http.PostAsJsonAsync("/api/readiness", new ReadinessBodyJson(org, level, areas ?? new() { ["personnel"] = level }, null, "remark of " + org, label, summaryLabel), DeskJsonContext.Default.ReadinessBodyJson);

    private static async Task<ReadinessRollUpJson> RollUpAsync(HttpClient http, string org)
        => (await http.GetFromJsonAsync($"/api/readiness?org={org}", DeskJsonContext.Default.ReadinessRollUpJson))!;

    [Fact]
    public async Task A_headquarters_sees_its_subordinates_newest_reports_rolled_up_and_a_report_goes_stale_after_the_profiles_interval()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var node = await TestNode.StartAsync(time: clock);
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var gcc = node.CreateHttpsClient(node.Issue("gcc-j3", "JGSDF-GCC"));
        using var fleet = node.CreateHttpsClient(node.Issue("sdf-j3", "JMSDF-SDF"));
        using var adc = node.CreateHttpsClient(node.Issue("adc-j3", "JASDF-ADC"));

        Assert.Equal(HttpStatusCode.Created, (await ReportAsync(gcc, "JGSDF-GCC", "limited")).StatusCode);
        clock.Advance(TimeSpan.FromHours(2));
        var second = await (await ReportAsync(gcc, "JGSDF-GCC", "ready")).Content.ReadFromJsonAsync(DeskJsonContext.Default.ReadinessReportJson);
        Assert.Equal(2, second!.Version);
        await ReportAsync(fleet, "JMSDF-SDF", "ready-with-limitations");
        await ReportAsync(adc, "JASDF-ADC", "not-ready");
        await ReportAsync(jjoc, "JJOC", "ready-with-limitations");

        // Only an identity of the organization reports it.
        Assert.Equal(HttpStatusCode.Forbidden, (await ReportAsync(jjoc, "JASDF-ADC", "ready")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ReportAsync(adc, "JASDF-ADC", "almost-ready")).StatusCode);

        var rollUp = await RollUpAsync(jjoc, "JJOC");
        Assert.Equal("ready-with-limitations", rollUp.Report!.Level);
        Assert.Equal(["JASDF-ADC", "JGSDF-GCC", "JMSDF-SDF"], rollUp.Subordinates.Select(s => s.Org).ToArray());
        Assert.Equal("ready", rollUp.Subordinates.Single(s => s.Org == "JGSDF-GCC").Level); // the newest version counts
        Assert.Equal("not-ready", rollUp.Summary.Worst);
        Assert.Equal(1, rollUp.Summary.Counts["ready"]);
        Assert.Equal(2, rollUp.Summary.Counts["ready-with-limitations"]);
        Assert.Equal(0, rollUp.Summary.Counts["limited"]);
        Assert.Equal(1, rollUp.Summary.Counts["not-ready"]);
        Assert.Equal(0, rollUp.Summary.Stale);
        Assert.Equal(24 * 3600, rollUp.IntervalSeconds);

        // A component sees its own branch only, not its headquarters'.
        var branch = await RollUpAsync(gcc, "JGSDF-GCC");
        Assert.Equal(1, branch.Summary.Reports);
        Assert.Equal("ready", branch.Summary.Worst);

        clock.Advance(TimeSpan.FromHours(23));
        var later = await RollUpAsync(jjoc, "JJOC");
        Assert.Equal(0, later.Summary.Stale);
        clock.Advance(TimeSpan.FromHours(2));
        later = await RollUpAsync(jjoc, "JJOC");
        Assert.Equal(4, later.Summary.Stale);
        Assert.True(later.Subordinates.All(s => s.Stale));
        Assert.Equal(25 * 3600, later.Summary.OldestAgeSeconds); // the newest versions, all reported two hours in
    }

    [Fact]
    public async Task A_partner_sees_the_summary_its_label_releases_and_not_the_detail_and_a_nation_not_released_to_sees_nothing()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var usfj = node.CreateHttpsClient(node.Issue("usfj-j3", "USFJ"));
        using var rok = node.CreateHttpsClient(node.Issue("rok-j3", "ROK-JCS"));

        var response = await ReportAsync(jjoc, "JJOC", "limited", label: "CONFIDENTIAL//REL TO JPN", summaryLabel: "CONFIDENTIAL//REL TO USA, JPN",
            areas: new() { ["equipment"] = "limited", ["training"] = "ready" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var own = (await RollUpAsync(jjoc, "JJOC")).Report!;
        Assert.False(own.DetailWithheld);
        Assert.Equal("limited", own.Areas!["equipment"]);
        Assert.Equal("remark of JJOC", own.Remark);

        var partner = await RollUpAsync(usfj, "JJOC");
        Assert.True(partner.Report!.DetailWithheld);
        Assert.Equal("limited", partner.Report.Level);
        Assert.Null(partner.Report.Areas);
        Assert.Null(partner.Report.Remark);
        Assert.Equal("CONFIDENTIAL//REL TO USA, JPN", partner.Report.Label);
        Assert.Equal("limited", partner.Summary.Worst);

        var korea = await RollUpAsync(rok, "JJOC");
        Assert.Null(korea.Report);
        Assert.Equal(0, korea.Summary.Reports);
        Assert.Null(korea.Summary.Worst);
    }
}
