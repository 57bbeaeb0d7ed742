using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kizuna.Core.Labels;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>The console's way to make a connection package (what <c>kizuna certs package</c> does), for the node's operators only.</summary>
public sealed class ConnectionPackageApiTests
{
    [Fact]
    public async Task An_operator_makes_a_connection_package_for_an_identity_the_profile_allows_and_nobody_else_may()
    {
        await using var node = await TestNode.StartAsync();
        using var operatorHttp = node.CreateHttpsClient(node.IssueUnchecked(new IdentityClaims("jjoc-ops", "JPN", "JJOC", "node-operator", "SECRET", [])));
        using var watch = node.CreateHttpsClient(node.Issue("jjoc-watch", "JJOC"));
        using var foreignOperator = node.CreateHttpsClient(node.IssueUnchecked(new IdentityClaims("usfj-ops", "USA", "USFJ", "node-operator", "SECRET", [])));
        var request = new { name = "usfj-liaison-9", organization = "USFJ", clearance = "CONFIDENTIAL", host = "kizuna.example", port = 8089 };

        var made = await operatorHttp.PostAsJsonAsync("/api/connection-packages", request);
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        Assert.Equal("application/zip", made.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-store", made.Headers.CacheControl!.ToString());
        using (var zip = new ZipArchive(await made.Content.ReadAsStreamAsync(), ZipArchiveMode.Read))
        {
            Assert.Equal(["MANIFEST/manifest.xml", "certs/config.pref", "certs/truststore.p12", "certs/usfj-liaison-9.p12"], zip.Entries.Select(e => e.FullName));
            using var pref = new StreamReader(zip.GetEntry("certs/config.pref")!.Open());
            var text = await pref.ReadToEndAsync();
            Assert.Contains("kizuna.example:8089:ssl", text, StringComparison.Ordinal);
        }

        // The certificate is in the node's registry, issued for the identity asked.
        var issued = Directory.EnumerateFiles(Path.Combine(node.DataDir, "certs"), "*", SearchOption.AllDirectories).Select(File.ReadAllText).Any(t => t.Contains("usfj-liaison-9", StringComparison.Ordinal));
        Assert.True(issued, "the registry names the identity issued");
        Assert.Contains(node.Logs.Entries, e => e.EventId.Id == 4620 && e.Message.Contains("jjoc-ops", StringComparison.Ordinal) && e.Message.Contains("usfj-liaison-9", StringComparison.Ordinal));

        var itak = await operatorHttp.PostAsJsonAsync("/api/connection-packages", new { name = "jjoc-ipad-2", organization = "JJOC", host = "kizuna.example", itak = true });
        using (var flat = new ZipArchive(await itak.Content.ReadAsStreamAsync(), ZipArchiveMode.Read))
        {
            Assert.DoesNotContain(flat.Entries, e => e.FullName.Contains('/', StringComparison.Ordinal));
        }

        // Not an operator, or another organization's operator: refused with the reason.
        foreach (var refused in new[] { watch, foreignOperator })
        {
            var answer = await refused.PostAsJsonAsync("/api/connection-packages", request);
            Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
            Assert.Contains("node-operator", (await answer.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        // Claims the profile does not allow, a bad host: 400 naming the problem; nothing issued.
        foreach (var (bad, says) in new (object Body, string Says)[]
                 {
                     (new { name = "x-1", organization = "NOPE", host = "kizuna.example" }, "organization"),
                     (new { name = "x-2", organization = "JJOC", clearance = "COSMIC", host = "kizuna.example" }, "COSMIC"),
                     (new { name = "x-3", organization = "JJOC", host = "not a host" }, "host"),
                     (new { name = "x=1,evil", organization = "JJOC", host = "kizuna.example" }, "name"),
                 })
        {
            var answer = await operatorHttp.PostAsJsonAsync("/api/connection-packages", bad);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            using var error = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Assert.Contains(says, error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }
}
