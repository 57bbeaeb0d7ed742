using Kizuna.Browser.Tests.Infrastructure;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Browser.Tests;

/// <summary>
/// The console in a real Chromium: signing in with a one-time link made by the same code as
/// <c>kizuna console-token</c>, then the API through the page's own cookie. It serves whatever
/// console the build produced (web/dist), or the placeholder page when there is none yet.
/// </summary>
public sealed class SmokeTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task A_sign_in_link_opens_the_console_and_the_page_calls_the_api_as_the_signed_in_identity()
    {
        await using var node = await TestNode.StartAsync();
        node.Issue("browser-watch", org: "USFJ");
        var link = ConsoleClient.SignInLink(node, "browser-watch");

        var page = await chromium.NewPageAsync();
        try
        {
            var response = await page.GotoAsync(link.ToString());
            Assert.NotNull(response);
            Assert.True(response.Ok, $"the console answered {response.Status}");
            Assert.Equal(new Uri(node.Http, "/").ToString(), page.Url);
            Assert.Contains("default-src 'self'", await response.HeaderValueAsync("content-security-policy") ?? string.Empty, StringComparison.Ordinal);

            var whoami = await page.EvaluateAsync<string>("async () => (await (await fetch('/api/whoami')).json()).name");
            Assert.Equal("browser-watch", whoami);

            // The session cookie is HttpOnly: the page's scripts never see it.
            Assert.DoesNotContain("kizuna_console", await page.EvaluateAsync<string>("() => document.cookie"), StringComparison.Ordinal);

            await page.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("smoke-signed-in"), FullPage = true });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
