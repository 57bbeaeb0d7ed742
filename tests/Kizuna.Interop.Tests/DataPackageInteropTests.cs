using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// Data packages driven by @tak-ps/node-tak's own API client (<c>packages.mjs</c>: its <c>Files</c> and
/// <c>Package</c> commands over TLS with a client certificate) against a real node: a Japanese
/// identity uploads a package (its default label: releasable to Japan only), finds it, downloads the
/// very bytes; a Korean identity finds it neither in the lists nor by its hash.
/// </summary>
public sealed class DataPackageInteropTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    [Fact]
    public async Task Node_tak_uploads_lists_and_downloads_a_package_that_a_korean_identity_finds_neither_in_the_lists_nor_by_its_hash()
    {
        var directory = Path.Combine(node.DataDirectory, "interop-packages");
        Directory.CreateDirectory(directory);
        var package = Path.Combine(directory, "plan.zip");
        await File.WriteAllBytesAsync(package, Package());
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(package)));
        var japanese = node.Client("alpha");
        var korean = node.Client("rok");

        var uploaded = await RunAsync(japanese, "--op", "upload-package", "--file", package, "--name", "plan.zip");
        Assert.Equal(hash, uploaded.Str("hash"));
        Assert.Equal($"https://127.0.0.1:{Port}/Marti/sync/content?hash={hash}", uploaded.Str("url"));

        var listed = await RunAsync(japanese, "--op", "list");
        Assert.Contains(hash, Strings(listed, "hashes"));
        Assert.Contains("CONFIDENTIAL//REL TO JPN", Strings(listed, "labels"));
        Assert.Contains(hash, Strings(await RunAsync(japanese, "--op", "files"), "hashes"));
        Assert.Equal(uploaded.Str("url"), (await RunAsync(japanese, "--op", "query", "--hash", hash)).Str("url"));

        var downloaded = await RunAsync(japanese, "--op", "download", "--hash", hash, "--out", Path.Combine(directory, "downloaded.zip"));
        Assert.Equal(200, downloaded.Num("status"));
        Assert.Equal(hash, downloaded.Str("sha256"));

        // iTAK's way: a raw upload, answered with the record.
        var note = Path.Combine(directory, "note.txt");
        await File.WriteAllTextAsync(note, "rendezvous at 0600");
        var file = await RunAsync(japanese, "--op", "upload-file", "--file", note, "--name", "note.txt");
        Assert.Equal("note.txt", file.Str("name"));
        Assert.Equal("CONFIDENTIAL//REL TO JPN", file.Str("label"));

        // The Korean: not in either list, and by hash the answer of a file nobody uploaded.
        Assert.DoesNotContain(hash, Strings(await RunAsync(korean, "--op", "list"), "hashes"));
        Assert.DoesNotContain(hash, Strings(await RunAsync(korean, "--op", "files"), "hashes"));
        var query = await RunAsync(korean, expectedExit: 3, "--op", "query", "--hash", hash);
        Assert.Equal(404, query.Num("status"));
        var hidden = await RunAsync(korean, "--op", "download", "--hash", hash);
        var absent = await RunAsync(korean, "--op", "download", "--hash", new string('0', 64));
        Assert.Equal(404, hidden.Num("status"));
        Assert.Equal(absent.Num("status"), hidden.Num("status"));
        Assert.Equal(absent.Str("body"), hidden.Str("body"));
    }

    private string Port => node.HttpsPort.ToString(CultureInfo.InvariantCulture);

    private async Task<System.Text.Json.Nodes.JsonObject> RunAsync(ClientCertificate client, params string[] arguments) => await RunAsync(client, 0, arguments);

    private async Task<System.Text.Json.Nodes.JsonObject> RunAsync(ClientCertificate client, int expectedExit, params string[] arguments)
    {
        var result = await NodeScript.RunAsync(node.Process, "packages.mjs", [],
            ["--url", $"https://127.0.0.1:{Port}", "--cert", client.CertificatePem, "--key", client.KeyPem, .. arguments]);
        Assert.True(result.ExitCode == expectedExit, result.Process.Failure($"packages.mjs {string.Join(' ', arguments)} exited with {result.ExitCode}").Message);
        return Assert.Single(result.Messages);
    }

    private static IReadOnlyList<string?> Strings(System.Text.Json.Nodes.JsonObject message, string name)
        => [.. message[name]!.AsArray().Select(n => n?.GetValue<string>())];

    /// <summary>A data package as ATAK builds one: a manifest and a file.</summary>
    private static byte[] Package()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var manifest = new StreamWriter(zip.CreateEntry("MANIFEST/manifest.xml").Open(), Encoding.UTF8))
            {
                manifest.Write($"<MissionPackageManifest version=\"2\"><Configuration><Parameter name=\"uid\" value=\"{Guid.NewGuid()}\"/><Parameter name=\"name\" value=\"plan\"/></Configuration>"
                               + "<Contents><Content ignore=\"false\" zipEntry=\"plan/overlay.kml\"/></Contents></MissionPackageManifest>");
            }

            using var overlay = new StreamWriter(zip.CreateEntry("plan/overlay.kml").Open(), Encoding.UTF8);
            overlay.Write("<kml><Document><name>overlay</name></Document></kml>");
        }

        return buffer.ToArray();
    }
}
