using System.Collections.Concurrent;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests.Infrastructure;

/// <summary>
/// The console in one Chromium page, signed in with a one-time link as <c>kizuna console-token</c>
/// makes it. Every WebSocket frame the page receives is recorded from before the page loads, so a
/// test can check what reached the browser, not only what it drew.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    /// <summary>The bound on every wait for something the network brings (a loaded 2-core machine included).</summary>
    public const float Wait = 20_000;

    private readonly ConcurrentQueue<string> _frames = new();
    private int _dialogs;

    private ConsolePage(IPage page) => Page = page;

    public IPage Page { get; }

    /// <summary>The text of every WebSocket frame the page received, in arrival order.</summary>
    public IReadOnlyList<string> Frames => [.. _frames];

    /// <summary>How many JavaScript dialogs (alert, confirm, prompt) the page opened.</summary>
    public int Dialogs => Volatile.Read(ref _dialogs);

    public ILocator Entity(string uid) => Page.Locator($"[data-testid=entity-list] [data-testid=entity][data-uid=\"{uid}\"]");

    public ILocator Detail => Page.GetByTestId("entity-detail");

    /// <summary>
    /// Issues nothing: <paramref name="name"/> must be issued already. Opens the console signed in
    /// as that identity and returns once the live feed is open.
    /// </summary>
    public static async Task<ConsolePage> OpenAsync(ChromiumFixture chromium, TestNode node, string name, string locale = "en-US")
    {
        var console = new ConsolePage(await chromium.NewPageAsync(locale).ConfigureAwait(false));
        var page = console.Page;
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            if (frame.Text is { } text)
            {
                console._frames.Enqueue(text);
            }
        };
        page.Dialog += (_, dialog) =>
        {
            Interlocked.Increment(ref console._dialogs);
            _ = dialog.DismissAsync();
        };

        var response = await page.GotoAsync(ConsoleClient.SignInLink(node, name).ToString()).ConfigureAwait(false);
        Assert.True(response is { Ok: true }, $"the console answered {response?.Status}");
        await Expect(page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = Wait }).ConfigureAwait(false);
        await Expect(page.GetByTestId("whoami")).ToContainTextAsync(name, new() { Timeout = Wait }).ConfigureAwait(false);
        return console;
    }

    /// <summary>Clicks the entity in the list and waits for its detail panel.</summary>
    public async Task SelectAsync(string uid, string callsign)
    {
        await Entity(uid).ClickAsync(new() { Timeout = Wait }).ConfigureAwait(false);
        await Expect(Page.GetByTestId("entity-callsign")).ToHaveTextAsync(callsign, new() { Timeout = Wait }).ConfigureAwait(false);
    }

    public Task ScreenshotAsync(string name) => Page.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath(name) });

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync().ConfigureAwait(false);
}
