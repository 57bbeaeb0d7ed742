using Microsoft.Playwright;

namespace Kizuna.Browser.Tests.Infrastructure;

/// <summary>
/// One Playwright driver and one headless Chromium for the test class: Debian's <c>chromium</c>
/// (test.sh installs it), or the executable named by <c>KIZUNA_CHROMIUM</c>. Playwright never
/// downloads a browser here: it is told the executable's path.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string Executable => Environment.GetEnvironmentVariable("KIZUNA_CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutable;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"Chromium is not at {Executable}: run ./test.sh (it installs Debian's chromium and fonts-noto-cjk), or set KIZUNA_CHROMIUM to a Chromium executable.");
        }

        _playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Timeout = 60_000,
        }).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync().ConfigureAwait(false);
        }

        _playwright?.Dispose();
    }

    /// <summary>A fresh context (its own cookies) with bounded waits; English unless a locale is asked for.</summary>
    public async Task<IPage> NewPageAsync(string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        }).ConfigureAwait(false);
        context.SetDefaultTimeout(20_000);
        context.SetDefaultNavigationTimeout(20_000);
        return await context.NewPageAsync().ConfigureAwait(false);
    }

    /// <summary>The repository's root (where Kizuna.slnx is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Kizuna.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Where screenshots go: tests/Kizuna.Browser.Tests/screenshots in the repository (ignored by git; pick the best for docs/).</summary>
    public static string ScreenshotPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
        {
            dir = dir.Parent;
        }

        var folder = dir is null
            ? Path.Combine(AppContext.BaseDirectory, "screenshots")
            : Path.Combine(dir.FullName, "tests", "Kizuna.Browser.Tests", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name + ".png");
    }
}
