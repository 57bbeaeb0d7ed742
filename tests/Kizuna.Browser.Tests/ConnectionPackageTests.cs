using System.IO.Compression;
using Kizuna.Browser.Tests.Infrastructure;
using Kizuna.Core.Labels;
using Kizuna.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Kizuna.Browser.Tests;

/// <summary>The console's "Connection package" panel: a node operator makes the zip a TAK client imports; nobody else sees the panel.</summary>
public sealed class ConnectionPackageTests(ChromiumFixture chromium, NodeFixture nodes) : IClassFixture<ChromiumFixture>, IClassFixture<NodeFixture>
{
    [Fact]
    public async Task An_operator_makes_a_connection_package_in_the_console_and_a_watch_officer_is_not_offered_the_panel()
    {
        var node = nodes.Node;
        node.IssueUnchecked(new IdentityClaims("pkg-console-ops", "JPN", "JJOC", "node-operator", "SECRET", []));
        node.Issue("pkg-console-watch", org: "JJOC");

        await using var watch = await ConsolePage.OpenAsync(chromium, node, "pkg-console-watch");
        await Expect(watch.Page.GetByTestId("package-panel")).ToBeHiddenAsync(new() { Timeout = ConsolePage.Wait });

        await using var ops = await ConsolePage.OpenAsync(chromium, node, "pkg-console-ops");
        var panel = ops.Page.GetByTestId("package-panel");
        await Expect(panel).ToBeVisibleAsync(new() { Timeout = ConsolePage.Wait });
        await ops.Page.GetByTestId("package-name").FillAsync("usfj-console-7");
        await ops.Page.GetByTestId("package-organization").SelectOptionAsync("USFJ");
        await ops.Page.GetByTestId("package-clearance").SelectOptionAsync("CONFIDENTIAL");
        await ops.Page.GetByTestId("package-host").FillAsync("kizuna.example");

        var download = await ops.Page.RunAndWaitForDownloadAsync(() => ops.Page.GetByTestId("package-make").ClickAsync(), new() { Timeout = ConsolePage.Wait });
        Assert.Equal("kizuna-usfj-console-7.zip", download.SuggestedFilename);
        var path = Path.Combine(node.DataDir, "console-download.zip");
        await download.SaveAsAsync(path);
        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.Equal(["MANIFEST/manifest.xml", "certs/config.pref", "certs/truststore.p12", "certs/usfj-console-7.p12"], zip.Entries.Select(e => e.FullName));
        }

        await Expect(ops.Page.GetByTestId("package-status")).ToContainTextAsync("usfj-console-7", new() { Timeout = ConsolePage.Wait });

        // A name the certificate authority refuses: the panel says why, no download.
        await ops.Page.GetByTestId("package-name").FillAsync("bad,name");
        await ops.Page.GetByTestId("package-make").ClickAsync();
        await Expect(ops.Page.GetByTestId("package-status")).ToContainTextAsync("Refused: name:", new() { Timeout = ConsolePage.Wait });
    }
}
