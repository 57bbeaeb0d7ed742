using System.Text.Json;
using Kizuna.Browser.Tests.Infrastructure;
using Kizuna.Core.Warnings;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The missile-warning panel: a warning made from a sensor's report arrives live, is
/// acknowledged with its button (the node records the receipt of the signed-in identity), and an
/// exercise is marked as one. One node for the class: the real and the exercise warning never fuse.
/// </summary>
public sealed class WarningTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    internal static string Example(string name)
        => ExampleTimes.Resolve(File.ReadAllText(Path.Combine(ChromiumFixture.RepositoryRoot, "docs", "examples", "warning", name)), DateTime.UtcNow);

    [Fact]
    public async Task A_warning_arrives_in_the_panel_and_acknowledging_it_records_the_receipt_of_the_signed_in_identity()
    {
        var node = nodes.Node;
        await using var sensor = await node.ConnectSensorAsync("ack-jjoc-sensor-desk", "JJOC", "FPS5-SADO"); // a JJOC feed granted the Sado radar
        node.Issue("ack-jjoc-watch", org: "JJOC");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "ack-jjoc-watch");

        await sensor.SendAsync(Example("01-jpn-fps5-launch.xml"));
        var card = console.Page.GetByTestId("warnings-panel").GetByTestId("warning")
            .Filter(new() { HasNot = console.Page.GetByTestId("warning-exercise") });
        await Expect(card).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(card.GetByTestId("warning-stage")).ToHaveTextAsync("Launch detected", new() { Timeout = ConsolePage.Wait });
        var id = await card.GetAttributeAsync("data-id");
        var version = await card.GetAttributeAsync("data-version");
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal("1", version);

        var ack = card.GetByTestId("warning-ack");
        await Expect(ack).ToBeEnabledAsync(new() { Timeout = ConsolePage.Wait });
        var response = await console.Page.RunAndWaitForResponseAsync(
            () => ack.ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith($"/api/warnings/{Uri.EscapeDataString(id!)}/ack", StringComparison.Ordinal),
            new() { Timeout = ConsolePage.Wait });
        Assert.Equal(204, response.Status);

        // The console's own state follows: the button is done, the receipts list JJOC as acknowledged.
        await Expect(ack).ToBeDisabledAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(ack).ToContainTextAsync("Acknowledged", new() { Timeout = ConsolePage.Wait });
        await Expect(card.Locator("[data-testid=warning-receipts] li[data-organization=JJOC]"))
            .ToHaveAttributeAsync("data-state", "acknowledged", new() { Timeout = ConsolePage.Wait });

        // And the node's record, through the API as the page sees it.
        var json = await console.Page.EvaluateAsync<JsonElement>("async (id) => (await fetch('/api/warnings/' + encodeURIComponent(id))).json()", id);
        var v1 = json.EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 1);
        var receipt = v1.GetProperty("receipts").EnumerateArray().Single(r => r.GetProperty("recipient").GetString() == "ack-jjoc-watch");
        Assert.Equal("JJOC", receipt.GetProperty("organization").GetString());
        Assert.True(receipt.TryGetProperty("acknowledgedAt", out var at) && at.ValueKind == JsonValueKind.String, "the receipt has acknowledgedAt");
    }

    [Fact]
    public async Task An_exercise_warning_is_marked_EXERCISE_on_its_card()
    {
        var node = nodes.Node;
        await using var sensor = await node.ConnectSensorAsync("ex-rok-sensor-desk", "ROKN-FLEET");
        node.Issue("ex-usfj-watch", org: "USFJ");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "ex-usfj-watch");

        await sensor.SendAsync(Example("exercise-freedom-edge.xml"));
        var card = console.Page.GetByTestId("warnings-panel").GetByTestId("warning")
            .Filter(new() { Has = console.Page.GetByTestId("warning-exercise") });
        var band = card.GetByTestId("warning-exercise");
        await Expect(band).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(band).ToContainTextAsync("EXERCISE", new() { Timeout = ConsolePage.Wait });
        Assert.StartsWith("EX-", await card.GetAttributeAsync("data-id"), StringComparison.Ordinal);
        await card.GetByTestId("warning-label").WaitForAsync(new() { Timeout = ConsolePage.Wait });
        await console.Page.GetByTestId("warnings-panel").ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("warnings-exercise-card") });
    }
}
