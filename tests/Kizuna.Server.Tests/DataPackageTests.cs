using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kizuna.Core.DataPackages;
using Kizuna.Server.Marti;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Kizuna.Server.Tests.Infrastructure.DataPackageRequests;

namespace Kizuna.Server.Tests;

/// <summary>
/// Data packages shared the way ATAK and iTAK share them (the Marti sync endpoints and the
/// b-f-t-r file share), each file under a label: who may not see a file cannot tell it from a
/// missing one, and bad uploads are refused with a reason and leave nothing behind.
/// </summary>
public sealed class DataPackageTests
{
    private const string ReleasableToAll = "USA,JPN,KOR";

    [Fact]
    public async Task A_package_releasable_to_japan_only_reaches_a_japanese_reader_and_a_korean_finds_it_neither_in_search_nor_by_hash_nor_in_the_file_share()
    {
        await using var node = await TestNode.StartAsync();
        var plan = Package(("plan/overlay.kml", Encoding.UTF8.GetBytes("<kml><Document><name>overlay</name></Document></kml>")));
        var hash = Sha256(plan);
        using var uploader = node.CreateHttpsClient(node.Issue("jjoc-desk", "JJOC"));
        using var japanese = node.CreateHttpsClient(node.Issue("jjoc-reader", "JJOC"));
        using var korean = node.CreateHttpsClient(node.Issue("rok-reader", "ROK-JCS"));

        // ATAK's share flow: the server does not hold it yet; upload (labelled Japan only); mark it private.
        var before = await uploader.GetAsync($"/Marti/sync/missionquery?hash={hash}");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        var upload = await MissionUploadAsync(uploader, plan, "plan.zip", label: "&access=CONFIDENTIAL&releasableTo=JPN");
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var url = await upload.Content.ReadAsStringAsync();
        Assert.Equal($"{node.Https.Scheme}://{node.Https.Authority}/Marti/sync/content?hash={hash}", url);
        Assert.Equal(url, await uploader.GetStringAsync($"/Marti/sync/missionquery?hash={hash}"));
        var put = await uploader.PutAsync($"/Marti/api/sync/metadata/{hash}/tool", new StringContent("private"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // The share event, labelled by its sender wider than the file: it reaches the Japanese reader only, narrowed.
        await using var sender = await node.ConnectTlsAsync("jjoc-sender", "JJOC");
        await using var japaneseStream = await node.ConnectTlsAsync("jjoc-stream", "JJOC");
        await using var koreanStream = await node.ConnectTlsAsync("rok-stream", "ROK-JCS");
        await using var americanStream = await node.ConnectTlsAsync("usfj-stream", "USFJ");
        await sender.SendAsync(FileShare("share-1", hash, url, plan.Length, "CONFIDENTIAL", ReleasableToAll));
        var share = await japaneseStream.ExpectUidAsync("share-1");
        Assert.Equal("JPN", share.ReleasableTo);
        Assert.Equal(hash, share.Detail.Element("fileshare")!.Attribute("sha256"));
        await Barrier(sender, japaneseStream, koreanStream, americanStream);
        Assert.DoesNotContain(koreanStream.Received, e => e.Type == "b-f-t-r");
        Assert.DoesNotContain(americanStream.Received, e => e.Type == "b-f-t-r");
        Assert.Contains(node.Logs.Entries, e => e.EventId.Id == 4642);

        // The Japanese reader finds it and downloads the very bytes.
        using (var list = JsonDocument.Parse(await japanese.GetStringAsync("/Marti/sync/search")))
        {
            Assert.Equal(1, list.RootElement.GetProperty("resultCount").GetInt32());
            var found = list.RootElement.GetProperty("results")[0];
            Assert.Equal(hash, found.GetProperty("Hash").GetString());
            Assert.Equal("plan.zip", found.GetProperty("Name").GetString());
            Assert.Equal("private", found.GetProperty("Tool").GetString());
            Assert.Equal("CONFIDENTIAL//REL TO JPN", found.GetProperty("Label").GetString());
        }

        Assert.Equal(plan, await japanese.GetByteArrayAsync($"/Marti/sync/content?hash={hash}"));

        // To the Korean it is not there: every answer is the one for a hash nobody uploaded.
        var missing = Convert.ToHexStringLower(SHA256.HashData("never uploaded"u8));
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, "/Marti/sync/missionquery?hash={0}"), (HttpMethod.Get, "/Marti/sync/content?hash={0}"),
                     (HttpMethod.Head, "/Marti/sync/content?hash={0}"), (HttpMethod.Get, "/Marti/api/sync/metadata/{0}/tool"),
                     (HttpMethod.Put, "/Marti/api/sync/metadata/{0}/tool"), (HttpMethod.Get, "/Marti/sync/{0}/metadata"),
                 })
        {
            var hidden = await SendAsync(korean, method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, hash));
            var absent = await SendAsync(korean, method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, missing));
            Assert.Equal(HttpStatusCode.NotFound, hidden.Status);
            Assert.Equal(absent, hidden);
        }

        using (var list = JsonDocument.Parse(await korean.GetStringAsync("/Marti/sync/search")))
        {
            Assert.Equal(0, list.RootElement.GetProperty("resultCount").GetInt32());
        }

        using (var list = JsonDocument.Parse(await korean.GetStringAsync("/Marti/api/sync/search")))
        {
            Assert.Empty(list.RootElement.GetProperty("data").EnumerateArray());
        }

        // The Korean uploading the same bytes is answered as for a new file, and holds a record of its own.
        var again = await MissionUploadAsync(korean, plan, "copy.zip");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(url, await again.Content.ReadAsStringAsync());
        using (var list = JsonDocument.Parse(await korean.GetStringAsync("/Marti/sync/search")))
        {
            var own = Assert.Single(list.RootElement.GetProperty("results").EnumerateArray());
            Assert.Equal("copy.zip", own.GetProperty("Name").GetString());
            Assert.EndsWith("REL TO KOR", own.GetProperty("Label").GetString(), StringComparison.Ordinal);
        }

        Assert.Single(Directory.EnumerateFiles(Path.Combine(node.DataDir, DataPackageStore.DirectoryName), hash));
    }

    [Fact]
    public async Task Itak_uploads_a_file_that_is_kept_private_and_searchable_by_keyword()
    {
        await using var node = await TestNode.StartAsync();
        using var http = node.CreateHttpsClient(node.Issue("jjoc-ipad", "JJOC"));
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4 };
        var response = await UploadAsync(http, png, "recon.png", "image/png");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(Sha256(png), record.RootElement.GetProperty("Hash").GetString());
        Assert.Equal("recon.png", record.RootElement.GetProperty("Name").GetString());
        Assert.Equal("image/png", record.RootElement.GetProperty("MIMEType").GetString());
        Assert.Equal("jjoc-ipad", record.RootElement.GetProperty("SubmissionUser").GetString());
        Assert.Equal("IOS-test", record.RootElement.GetProperty("CreatorUid").GetString());

        using (var publicList = JsonDocument.Parse(await http.GetStringAsync("/Marti/sync/search?keywords=missionpackage&tool=public")))
        {
            Assert.Equal(0, publicList.RootElement.GetProperty("resultCount").GetInt32());
        }

        using (var byKeyword = JsonDocument.Parse(await http.GetStringAsync("/Marti/sync/search?keywords=recon")))
        {
            Assert.Equal(1, byKeyword.RootElement.GetProperty("resultCount").GetInt32());
        }

        var download = await http.GetAsync($"/Marti/sync/content?hash={Sha256(png)}");
        Assert.Equal(png, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
    }

    [Fact]
    public async Task Bad_uploads_are_refused_with_a_reason_logged_and_counted_and_nothing_is_kept()
    {
        await using var node = await TestNode.StartAsync(configure: s => s with { MaxPackageBytes = 64 * 1024, MaxPackageUnpackedBytes = 4 * 1024 * 1024 });
        using var http = node.CreateHttpsClient(node.Issue("jjoc-desk", "JJOC", clearance: "CONFIDENTIAL"));
        var good = Package(("a.txt", "alpha"u8.ToArray()));
        var oversized = RandomNumberGenerator.GetBytes(100 * 1024);
        var cases = new (string What, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status, PackageRefusal Refusal, string Says)[]
        {
            ("a raw upload over the limit", () => UploadAsync(http, oversized, "big.bin", "application/octet-stream"), HttpStatusCode.RequestEntityTooLarge, PackageRefusal.TooLarge, "larger than 65536 bytes"),
            ("a multipart upload over the limit", () => MissionUploadAsync(http, oversized, "big.zip", hash: Sha256(oversized)), HttpStatusCode.RequestEntityTooLarge, PackageRefusal.TooLarge, "larger than 65536 bytes"),
            ("multipart without its boundary", () => PostRawAsync(http, "/Marti/sync/missionupload?filename=x.zip", "PK\u0003\u0004 not multipart"u8.ToArray(), "multipart/form-data"), HttpStatusCode.BadRequest, PackageRefusal.MalformedUpload, "no boundary"),
            ("multipart cut short", () => PostRawAsync(http, "/Marti/sync/missionupload?filename=x.zip", Encoding.ASCII.GetBytes("--kb\r\nContent-Disposition: form-data; name=\"assetfile\"\r\n\r\nPK\u0003\u0004 and no end"), "multipart/form-data; boundary=kb"), HttpStatusCode.BadRequest, PackageRefusal.MalformedUpload, "malformed or ended early"),
            ("multipart with no file", () => PostRawAsync(http, "/Marti/sync/missionupload?filename=x.zip", Encoding.ASCII.GetBytes("--kb\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--kb--\r\n"), "multipart/form-data; boundary=kb"), HttpStatusCode.BadRequest, PackageRefusal.MalformedUpload, "no file"),
            ("a data package that is not multipart", () => UploadRawToMissionUpload(http, good), HttpStatusCode.BadRequest, PackageRefusal.MalformedUpload, "multipart/form-data"),
            ("a zip bomb by ratio", () => MissionUploadAsync(http, Zeros("zeros.bin", 2 * 1024 * 1024), "bomb.zip"), HttpStatusCode.BadRequest, PackageRefusal.ZipBomb, "times its size"),
            ("a zip bomb by size", () => MissionUploadAsync(http, Zeros("zeros.bin", 5 * 1024 * 1024), "bomb.zip"), HttpStatusCode.BadRequest, PackageRefusal.ZipBomb, "more than 4194304"),
            ("a path in the file name", () => MissionUploadAsync(http, good, "../../etc/cron.d/x.zip"), HttpStatusCode.BadRequest, PackageRefusal.BadFileName, "has a path in it"),
            ("a Windows path in the file name", () => UploadAsync(http, good, "C:\\Users\\x.zip", "application/zip"), HttpStatusCode.BadRequest, PackageRefusal.BadFileName, "has a path in it"),
            ("a path in the multipart file name", () => MissionUploadAsync(http, good, "plan.zip", partFileName: "sub/plan.zip"), HttpStatusCode.BadRequest, PackageRefusal.BadFileName, "in the multipart body"),
            ("a zip entry climbing out", () => MissionUploadAsync(http, Package(("../../.bashrc", "x"u8.ToArray())), "slip.zip"), HttpStatusCode.BadRequest, PackageRefusal.UnsafeZipEntry, "climbs out"),
            ("a hash that is not the content's", () => MissionUploadAsync(http, good, "plan.zip", hash: new string('a', 64)), HttpStatusCode.BadRequest, PackageRefusal.HashMismatch, "not the SHA-256"),
            ("a hash that is no hash", () => MissionUploadAsync(http, good, "plan.zip", hash: "1234"), HttpStatusCode.BadRequest, PackageRefusal.BadParameter, "64 hex digits"),
            ("a zip declared as a picture", () => UploadAsync(http, good, "photo.png", "image/png"), HttpStatusCode.UnsupportedMediaType, PackageRefusal.ContentTypeMismatch, "the content is a zip"),
            ("a picture declared as a zip", () => UploadAsync(http, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0], "plan.zip", "application/zip"), HttpStatusCode.UnsupportedMediaType, PackageRefusal.ContentTypeMismatch, "declared a zip"),
            ("a label above the uploader's clearance", () => MissionUploadAsync(http, good, "plan.zip", label: "&access=SECRET"), HttpStatusCode.Forbidden, PackageRefusal.LabelRefused, "above the sender's clearance"),
        };

        foreach (var (what, send, status, refusal, says) in cases)
        {
            var logged = node.Logs.Entries.Count(e => e.EventId.Id == 4611);
            var response = await send();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{what}: {response.StatusCode} {body}");
            Assert.Contains(says, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
            var entry = await node.Logs.WaitForAsync(e => e.EventId.Id == 4611, logged + 1, TestNode.Timeout);
            Assert.Contains(": " + refusal + ": ", entry.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(node.DataDir, DataPackageStore.DirectoryName)));
        }

        Assert.Equal(0, node.Node.Services.GetRequiredService<DataPackageStore>().Count);
        using var list = JsonDocument.Parse(await http.GetStringAsync("/Marti/sync/search"));
        Assert.Equal(0, list.RootElement.GetProperty("resultCount").GetInt32());
        using var metricsHttp = node.CreateHttpClient();
        var text = await metricsHttp.GetStringAsync("/metrics");
        Assert.Contains("kizuna_packages_refusals_total{reason=\"ZipBomb\"} 2", text, StringComparison.Ordinal);

        // The same good package goes in afterwards: the refusals left nothing that stands in its way.
        Assert.Equal(HttpStatusCode.OK, (await MissionUploadAsync(http, good, "plan.zip")).StatusCode);
    }

    [Fact]
    public async Task A_file_and_its_label_survive_a_restart_in_a_directory_only_the_node_can_read()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-packages-" + Guid.NewGuid().ToString("N"));
        var plan = Package(("plan/notes.txt", "JPN only"u8.ToArray()));
        var hash = Sha256(plan);
        await using (var first = await TestNode.StartAsync(dataDir: dataDir))
        {
            first.KeepDataDir = true;
            using var uploader = first.CreateHttpsClient(first.Issue("jjoc-desk", "JJOC"));
            Assert.Equal(HttpStatusCode.OK, (await MissionUploadAsync(uploader, plan, "plan.zip", label: "&access=SECRET&releasableTo=JPN")).StatusCode);
        }

        await using var second = await TestNode.StartAsync(dataDir: dataDir);
        using var japanese = second.CreateHttpsClient(second.Issue("jjoc-reader", "JJOC"));
        using var korean = second.CreateHttpsClient(second.Issue("rok-reader", "ROK-JCS"));
        using (var list = JsonDocument.Parse(await japanese.GetStringAsync("/Marti/sync/search")))
        {
            var found = Assert.Single(list.RootElement.GetProperty("results").EnumerateArray());
            Assert.Equal("SECRET//REL TO JPN", found.GetProperty("Label").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await korean.GetAsync($"/Marti/sync/content?hash={hash}")).StatusCode);
        Assert.Equal(plan, await japanese.GetByteArrayAsync($"/Marti/sync/content?hash={hash}"));
        if (!OperatingSystem.IsWindows())
        {
            var directory = Path.Combine(dataDir, DataPackageStore.DirectoryName);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
    }

    [Theory]
    [InlineData("plan.zip", true)]
    [InlineData("作戦計画 v2.zip", true)]
    [InlineData("../plan.zip", false)]
    [InlineData("dir/plan.zip", false)]
    [InlineData("dir\\plan.zip", false)]
    [InlineData("C:plan.zip", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    [InlineData("plan\u0000.zip", false)]
    public void A_file_name_is_taken_only_without_a_path(string name, bool taken)
        => Assert.Equal(taken, PackageInspection.IsSafeFileName(name, 255, out _));

    private static async Task<HttpResponseMessage> UploadRawToMissionUpload(HttpClient http, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
        return await http.PostAsync($"/Marti/sync/missionupload?filename=plan.zip&hash={Sha256(content)}", body);
    }

    private static async Task<(HttpStatusCode Status, string Body, string? Type)> SendAsync(HttpClient http, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Put)
        {
            request.Content = new StringContent("public");
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    /// <summary>An event every recipient may see, waited for: what the sender sent before it has arrived by then.</summary>
    private static async Task Barrier(CotTestClient sender, params CotTestClient[] recipients)
    {
        var uid = "barrier-" + Guid.NewGuid().ToString("N");
        await sender.SendAsync(CotText.Labelled(uid, "BARRIER", "UNCLASSIFIED", ReleasableToAll));
        foreach (var recipient in recipients)
        {
            await recipient.ExpectUidAsync(uid);
        }
    }
}
