using Kizuna.Browser.Tests.Infrastructure;
using Kizuna.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The console shows only what the signed-in identity may see, and withholds the rest before it
/// leaves the node: not in the page, and not in any WebSocket frame the browser received.
/// </summary>
public sealed class AccessTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    [Fact]
    public async Task An_entity_not_releasable_to_the_signed_in_nation_is_neither_in_the_page_nor_in_its_websocket_traffic()
    {
        var node = nodes.Node;
        await using var jjoc = await node.ConnectTlsAsync("leak-jjoc-tak"); // JPN
        node.Issue("leak-rok-watch", org: "ROK-JCS");                        // KOR: the identity under test
        node.Issue("leak-jjoc-watch", org: "JJOC");                          // JPN: the control, who may see it

        // One Japan-only entity before the consoles open (their snapshot), then they open and a
        // second arrives live; each is followed, on the same connection, by one for everybody.
        await jjoc.SendAsync(TestCot.Position("leak-jpn-only-before", "JPN EYES BEFORE", 35.0, 135.0, DateTime.UtcNow, releasableTo: "JPN"));
        await jjoc.SendAsync(TestCot.Position("leak-shared-before", "SHARED BEFORE", 35.5, 135.5, DateTime.UtcNow));
        await TestCot.BarrierAsync(jjoc, "leak-ping-before");

        await using var rok = await ConsolePage.OpenAsync(chromium, node, "leak-rok-watch");
        await using var control = await ConsolePage.OpenAsync(chromium, node, "leak-jjoc-watch");
        await Expect(rok.Entity("leak-shared-before")).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });

        await jjoc.SendAsync(TestCot.Position("leak-jpn-only-live", "JPN EYES LIVE", 36.0, 136.0, DateTime.UtcNow, releasableTo: "JPN"));
        await jjoc.SendAsync(TestCot.Position("leak-barrier", "BARRIER", 36.5, 136.5, DateTime.UtcNow));

        // The barrier was published after the Japan-only event: once the Korean console has it,
        // the feed has delivered everything it was ever going to deliver before it.
        await Expect(rok.Entity("leak-barrier")).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        Assert.Contains(rok.Frames, f => f.Contains("leak-barrier", StringComparison.Ordinal));

        // The test could fail: the Japanese console got both Japan-only entities, in its page and on its wire.
        await Expect(control.Entity("leak-jpn-only-before")).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(control.Entity("leak-jpn-only-live")).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await Expect(control.Entity("leak-barrier")).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        Assert.Contains(control.Frames, f => f.Contains("leak-jpn-only-live", StringComparison.Ordinal));
        Assert.Contains(control.Frames, f => f.Contains("leak-jpn-only-before", StringComparison.Ordinal));

        // The Korean console: not in the DOM, not in a single frame (not even the uid).
        var html = await rok.Page.ContentAsync();
        var frames = rok.Frames;
        Assert.NotEmpty(frames);
        foreach (var secret in new[] { "leak-jpn-only-before", "leak-jpn-only-live", "JPN EYES BEFORE", "JPN EYES LIVE" })
        {
            Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
            Assert.DoesNotContain(frames, f => f.Contains(secret, StringComparison.Ordinal));
        }

        Assert.Equal(0, await rok.Page.Locator("[data-uid^='leak-jpn-only']").CountAsync());
        await Expect(rok.Page.GetByTestId("banner-top")).ToHaveTextAsync("UNCLASSIFIED//REL TO USA, JPN, KOR", new() { Timeout = ConsolePage.Wait });
    }
}
