using Kizuna.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The console's languages, and screenshots of its main views (saved to the screenshots
/// directory; the best are copied to docs/screenshots/ by hand after looking at them).
/// </summary>
public sealed class ViewTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    private static LocatorAssertionsToHaveTextOptions Within => new() { Timeout = ConsolePage.Wait };

    [Fact]
    public async Task Switching_the_language_to_Japanese_then_Korean_changes_the_page_language_and_its_text()
    {
        var node = nodes.Node;
        node.Issue("lang-watch", org: "USFJ");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "lang-watch");
        var page = console.Page;
        var html = page.Locator("html");
        var title = page.GetByTestId("warnings-panel").Locator("h2");
        await Expect(html).ToHaveAttributeAsync("lang", "en");
        await Expect(title).ToHaveTextAsync("Missile warnings", Within);

        await page.GetByTestId("language").SelectOptionAsync("ja");
        await Expect(html).ToHaveAttributeAsync("lang", "ja");
        await Expect(title).ToHaveTextAsync("ミサイル警報", Within);
        await Expect(page.GetByTestId("replay-toggle")).ToHaveTextAsync("ライブ", Within);

        await page.GetByTestId("language").SelectOptionAsync("ko");
        await Expect(html).ToHaveAttributeAsync("lang", "ko");
        await Expect(title).ToHaveTextAsync("미사일 경보", Within);
        await Expect(page.GetByTestId("replay-toggle")).ToHaveTextAsync("실시간", Within);
        Assert.Equal("ko", await page.EvaluateAsync<string>("() => document.documentElement.lang"));

        // The connection state is a stable token in every language.
        await Expect(page.GetByTestId("connection-state")).ToHaveTextAsync("live", Within);
    }

    [Fact]
    public async Task The_main_views_are_captured_with_entities_and_warnings_in_English_Japanese_and_Korean()
    {
        var node = nodes.Node;
        await using var jjoc = await node.ConnectSensorAsync("views-jjoc-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var rok = await node.ConnectSensorAsync("views-rok-sensor-desk", "ROKN-FLEET");
        node.Issue("views-watch", org: "JJOC");

        var now = DateTime.UtcNow;
        (string Uid, string Callsign, double Lat, double Lon, string Type)[] picture =
        [
            ("views-ddg-maya", "JS MAYA", 38.9, 134.6, "a-f-S-C-L-D-D"),
            ("views-ddg-kongo", "JS KONGO", 33.2, 128.9, "a-f-S-C-L-D-D"),
            ("views-ddg-sejong", "ROKS SEJONG", 36.4, 130.6, "a-f-S-C-L-D-D"),
            ("views-ddg-barry", "USS BARRY", 35.0, 136.8, "a-f-S-C-L-D-D"),
            ("views-p1", "JMSDF P-1 05", 40.2, 136.0, "a-f-A-M-F-P"),
            ("views-rc135", "COBRA 21", 37.4, 127.2, "a-f-A-M-F-R"),
            ("views-tpy2", "SHARIKI TPY-2", 40.95, 140.3, "a-f-G-U-S-R"),
            ("views-pac3", "PAC-3 ICHIGAYA", 35.69, 139.73, "a-f-G-U-C-D-M"),
            ("views-unknown-1", "TRACK 4411", 39.6, 131.2, "a-u-S"),
            ("views-hostile-1", "TRACK 7702", 41.3, 129.5, "a-h-S-C"),
            ("views-hostile-2", "TRACK 7719", 38.7, 127.9, "a-h-A"),
        ];
        foreach (var e in picture)
        {
            await jjoc.SendAsync(TestCot.Position(e.Uid, e.Callsign, e.Lat, e.Lon, now, type: e.Type));
        }

        await jjoc.SendAsync(WarningTests.Example("01-jpn-fps5-launch.xml"));
        await jjoc.SendAsync(WarningTests.Example("03-jpn-aegis-update.xml"));
        await rok.SendAsync(WarningTests.Example("exercise-freedom-edge.xml"));

        await using var console = await ConsolePage.OpenAsync(chromium, node, "views-watch");
        var page = console.Page;
        await Expect(page.Locator("#map-status")).ToBeHiddenAsync(new() { Timeout = ConsolePage.Wait }); // basemap loaded
        foreach (var e in picture)
        {
            await Expect(console.Entity(e.Uid)).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        }

        var warnings = page.GetByTestId("warnings-panel").GetByTestId("warning");
        await Expect(warnings).ToHaveCountAsync(2, new() { Timeout = ConsolePage.Wait });
        await Expect(warnings.Filter(new() { HasNot = page.GetByTestId("warning-exercise") })).ToHaveAttributeAsync("data-version", "2", new() { Timeout = ConsolePage.Wait });
        await Expect(page.GetByTestId("warning-exercise")).ToContainTextAsync("EXERCISE", new() { Timeout = ConsolePage.Wait });
        await Expect(page.GetByTestId("command-tree").GetByTestId("org").First).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await console.SelectAsync("views-ddg-maya", "JS MAYA");

        await console.ScreenshotAsync("console-live-en");
        await page.GetByTestId("warnings-panel").ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("warnings-panel-en") });

        // The tree dock takes at most 28 % of the window's height: a taller window shows all of it.
        await page.SetViewportSizeAsync(1400, 2000);
        await page.Locator("#tree-dock").ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("command-tree-en") });
        await page.SetViewportSizeAsync(1400, 900);

        await page.GetByTestId("language").SelectOptionAsync("ja");
        await Expect(page.GetByTestId("warnings-panel").Locator("h2")).ToHaveTextAsync("ミサイル警報", Within);
        await console.ScreenshotAsync("console-live-ja");

        await page.GetByTestId("language").SelectOptionAsync("ko");
        await Expect(page.GetByTestId("warnings-panel").Locator("h2")).ToHaveTextAsync("미사일 경보", Within);
        await console.ScreenshotAsync("console-live-ko");
    }
}
