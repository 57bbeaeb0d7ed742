using System.Net.Http.Json;
using Kizuna.Browser.Tests.Infrastructure;
using Kizuna.Server.Api;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The coordination queue of the signed-in organization (a request from its counterpart,
/// acknowledged with its button) and the readiness board of its chain, each item with its label
/// banner; in Japanese and Korean too, and a Korean headquarters never sees a JPN–USA request.
/// </summary>
public sealed class DeskTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    [Fact]
    public async Task A_request_from_the_counterpart_appears_in_the_queue_with_its_banner_and_its_acknowledge_button_records_the_transition()
    {
        var node = nodes.Node;
        using var jjoc = node.CreateHttpsClient(node.Issue("desk-jjoc-j3", "JJOC"));
        node.Issue("desk-usfj-watch", org: "USFJ");
        var body = new CoordinationBodyJson("USFJ", "Airspace window for a JASDF exercise", "Two hours, tomorrow 0200Z.", "immediate", DateTime.UtcNow.AddHours(2), null, "CONFIDENTIAL//REL TO USA, JPN");
        using var sent = await jjoc.PostAsJsonAsync("/api/coordination", body, DeskJsonContext.Default.CoordinationBodyJson);
        var request = (await sent.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!;

        await using var console = await ConsolePage.OpenAsync(chromium, node, "desk-usfj-watch");
        var item = console.Page.GetByTestId("coordination-panel").Locator($"[data-testid=coordination-item][data-id=\"{request.Id}\"]");
        await Expect(item).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(item.GetByTestId("coordination-label")).ToHaveTextAsync("CONFIDENTIAL//REL TO USA, JPN");
        await Expect(item).ToContainTextAsync("JJOC → USFJ");
        await Expect(item).ToContainTextAsync("IMMEDIATE");

        var response = await console.Page.RunAndWaitForResponseAsync(
            () => item.GetByTestId("coordination-ack").ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith($"/api/coordination/{request.Id}/ack", StringComparison.Ordinal),
            new() { Timeout = ConsolePage.Wait });
        Assert.Equal(200, response.Status);
        await Expect(item).ToHaveAttributeAsync("data-state", "acknowledged", new() { Timeout = ConsolePage.Wait });
        await Expect(item.GetByTestId("coordination-ack")).ToHaveCountAsync(0);
        var stored = await jjoc.GetFromJsonAsync($"/api/coordination/{request.Id}", DeskJsonContext.Default.CoordinationRequest);
        Assert.Equal(("acknowledged", "desk-usfj-watch"), (stored!.State, stored.History[^1].By));
        await console.Page.GetByTestId("coordination-panel").ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("coordination-queue") });
    }

    [Fact]
    public async Task A_Korean_headquarters_sees_its_counterpart_s_request_in_korean_and_never_a_JPN_USA_request_not_released_to_it()
    {
        var node = nodes.Node;
        using var usfk = node.CreateHttpsClient(node.Issue("desk-usfk-j5", "USFK"));
        using var jjoc = node.CreateHttpsClient(node.Issue("desk-jjoc-j5", "JJOC"));
        node.Issue("desk-rok-watch", org: "ROK-JCS");
        async Task<string> SendAsync(HttpClient http, string to, string label)
        {
            var body = new CoordinationBodyJson(to, "Freedom Edge liaison schedule", "Liaison officers on station from 0600Z.", "immediate", DateTime.UtcNow.AddHours(2), null, label);
            using var sent = await http.PostAsJsonAsync("/api/coordination", body, DeskJsonContext.Default.CoordinationBodyJson);
            Assert.Equal(System.Net.HttpStatusCode.Created, sent.StatusCode);
            return (await sent.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!.Id;
        }

        var hidden = await SendAsync(jjoc, "USFJ", "CONFIDENTIAL//REL TO USA, JPN");
        var shown = await SendAsync(usfk, "ROK-JCS", "CONFIDENTIAL//REL TO USA, KOR");

        await using var console = await ConsolePage.OpenAsync(chromium, node, "desk-rok-watch", locale: "ko-KR");
        var panel = console.Page.GetByTestId("coordination-panel");
        var item = panel.Locator($"[data-testid=coordination-item][data-id=\"{shown}\"]");
        await Expect(item).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(item.GetByTestId("coordination-label")).ToHaveTextAsync("CONFIDENTIAL//REL TO USA, KOR");
        await Expect(item.GetByTestId("coordination-state")).ToHaveTextAsync("수신");
        await Expect(item).ToContainTextAsync("긴급");
        await Expect(item.GetByTestId("coordination-ack")).ToHaveTextAsync("접수 확인");

        // Drawn from the same answer as the item above: the JPN–USA request is not in it.
        await Expect(panel.Locator($"[data-testid=coordination-item][data-id=\"{hidden}\"]")).ToHaveCountAsync(0);
        await Expect(panel.Locator("[data-testid=coordination-item]")).ToHaveCountAsync(1);
        await panel.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("coordination-queue-ko") });
    }

    [Fact]
    public async Task The_readiness_board_shows_the_chain_below_the_signed_in_headquarters_worst_first_in_the_summary_in_japanese()
    {
        var node = nodes.Node;
        using var gcc = node.CreateHttpsClient(node.Issue("desk-gcc-j3", "JGSDF-GCC"));
        using var adc = node.CreateHttpsClient(node.Issue("desk-adc-j3", "JASDF-ADC"));
        node.Issue("desk-jjoc-watch", org: "JJOC");
        foreach (var (http, org, level) in new[] { (gcc, "JGSDF-GCC", "ready"), (adc, "JASDF-ADC", "limited") })
        {
            using var reported = await http.PostAsJsonAsync("/api/readiness", new ReadinessBodyJson(org, level, null, null, null, "CONFIDENTIAL//REL TO JPN", null), DeskJsonContext.Default.ReadinessBodyJson);
            reported.EnsureSuccessStatusCode();
        }

        await using var console = await ConsolePage.OpenAsync(chromium, node, "desk-jjoc-watch", locale: "ja-JP");
        var board = console.Page.GetByTestId("readiness-board");
        await Expect(board.Locator("[data-testid=readiness-row][data-org=JASDF-ADC]")).ToHaveAttributeAsync("data-level", "limited", new() { Timeout = ConsolePage.Wait });
        await Expect(board.Locator("[data-testid=readiness-row][data-org=JGSDF-GCC]")).ToContainTextAsync("即応");
        await Expect(board.GetByTestId("readiness-summary")).ToHaveAttributeAsync("data-worst", "limited");
        await Expect(board.GetByTestId("readiness-summary")).ToContainTextAsync("限定的");
        await Expect(board.Locator("[data-testid=readiness-row][data-org=JASDF-ADC] [data-testid=readiness-label]")).ToHaveTextAsync("CONFIDENTIAL//REL TO JPN");
        await board.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("readiness-board-ja") });
    }
}
