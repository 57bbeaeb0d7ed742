using Kizuna.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The picture in the console: what a TAK client sends over TLS appears in the entity list and
/// moves, its text is shown as text, and the time slider replays it from storage. One node for
/// the class; each test has its own identities and uids.
/// </summary>
public sealed class PictureTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = ConsolePage.Wait };

    private static LocatorAssertionsToContainTextOptions Within => new() { Timeout = ConsolePage.Wait };

    [Fact]
    public async Task An_entity_sent_by_a_TAK_client_appears_in_the_console_and_moves_when_it_reports_a_new_position()
    {
        var node = nodes.Node;
        await using var tak = await node.ConnectTlsAsync("appear-tak-client");
        node.Issue("appear-watch", org: "USFJ");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "appear-watch");

        var t0 = DateTime.UtcNow;
        await tak.SendAsync(TestCot.Position("appear-1", "HAWK 1", 35.1, 136.2, t0));
        var entity = console.Entity("appear-1");
        await Expect(entity).ToBeVisibleAsync(Visible);
        await Expect(entity).ToHaveTextAsync("HAWK 1", new() { Timeout = ConsolePage.Wait });

        await console.SelectAsync("appear-1", "HAWK 1");
        await Expect(console.Detail).ToContainTextAsync(TestCot.LatLon(35.1, 136.2), Within);
        await Expect(console.Page.GetByTestId("entity-label")).ToHaveTextAsync("UNCLASSIFIED//REL TO USA, JPN, KOR", new() { Timeout = ConsolePage.Wait });

        await tak.SendAsync(TestCot.Position("appear-1", "HAWK 1", 36.25, 137.5, t0.AddSeconds(5)));
        await Expect(console.Detail).ToContainTextAsync(TestCot.LatLon(36.25, 137.5), Within);
        await Expect(console.Detail).Not.ToContainTextAsync(TestCot.LatLon(35.1, 136.2));
        await Expect(entity).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_callsign_written_as_markup_is_shown_as_text_and_never_runs()
    {
        const string callsign = "<img src=x onerror=alert(1)>";
        var node = nodes.Node;
        await using var tak = await node.ConnectTlsAsync("xss-tak-client");
        node.Issue("xss-watch", org: "USFJ");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "xss-watch");

        await tak.SendAsync(TestCot.Position("xss-1", callsign, 34.2, 131.5, DateTime.UtcNow));
        var entity = console.Entity("xss-1");
        await Expect(entity).ToBeVisibleAsync(Visible);
        Assert.Equal(callsign, await entity.TextContentAsync());
        await console.SelectAsync("xss-1", callsign);

        // The text is there as characters; no element was made of it and nothing ran.
        Assert.Equal(0, await console.Page.Locator("img").CountAsync());
        Assert.Equal(0, await console.Page.EvaluateAsync<int>("() => document.querySelectorAll('[onerror], img[src=\"x\"]').length"));
        Assert.Equal(0, await entity.Locator("*").CountAsync());
        Assert.Equal(0, console.Dialogs);
    }

    [Fact]
    public async Task Replay_shows_an_entity_where_it_was_before_it_moved()
    {
        var node = nodes.Node;
        await using var tak = await node.ConnectTlsAsync("replay-tak-client");
        node.Issue("replay-watch", org: "USFJ");
        await using var console = await ConsolePage.OpenAsync(chromium, node, "replay-watch");

        // Reported four minutes ago, moved one minute ago: the slider (whole seconds) goes between.
        var now = DateTime.UtcNow;
        var before = now.AddMinutes(-4);
        var moved = now.AddMinutes(-1);
        await tak.SendAsync(TestCot.Position("replay-1", "RAVEN 7", 33.5, 129.5, before));
        await tak.SendAsync(TestCot.Position("replay-1", "RAVEN 7", 37.75, 133.25, moved));
        await TestCot.BarrierAsync(tak, "replay-barrier");
        await node.Node.Store.FlushAsync(CancellationToken.None); // history is written behind a queue

        await Expect(console.Entity("replay-1")).ToBeVisibleAsync(Visible);
        await console.SelectAsync("replay-1", "RAVEN 7");
        await Expect(console.Detail).ToContainTextAsync(TestCot.LatLon(37.75, 133.25), Within);

        var toggle = console.Page.GetByTestId("replay-toggle");
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("data-mode", "replay", new() { Timeout = ConsolePage.Wait });
        // Replay at the present: the latest state, from history.
        await Expect(console.Detail).ToContainTextAsync(TestCot.LatLon(37.75, 133.25), Within);

        var between = new DateTimeOffset(now.AddMinutes(-2.5)).ToUnixTimeSeconds();
        await console.Page.GetByTestId("time-slider").FillAsync(between.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(console.Detail).ToContainTextAsync(TestCot.LatLon(33.5, 129.5), Within);
        await Expect(console.Entity("replay-1")).ToBeVisibleAsync(Visible);
        await console.ScreenshotAsync("replay-before-the-move");

        // Before the first report the entity is not in the picture at all.
        var earlier = new DateTimeOffset(now.AddMinutes(-10)).ToUnixTimeSeconds();
        await console.Page.GetByTestId("time-slider").FillAsync(earlier.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(console.Entity("replay-1")).ToHaveCountAsync(0, new() { Timeout = ConsolePage.Wait });

        // And back to live.
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("data-mode", "live", new() { Timeout = ConsolePage.Wait });
        await Expect(console.Entity("replay-1")).ToBeVisibleAsync(Visible);
    }
}
