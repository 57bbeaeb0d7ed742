using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>Data packages and the requests TAK clients make with them, for the Marti sync tests.</summary>
public static class DataPackageRequests
{
    /// <summary>A data package as ATAK builds one: a manifest and the files, deflated.</summary>
    public static byte[] Package(params (string Name, byte[] Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var manifest = new StringBuilder("<MissionPackageManifest version=\"2\"><Configuration><Parameter name=\"uid\" value=\"")
                .Append(Guid.NewGuid()).Append("\"/><Parameter name=\"name\" value=\"plan\"/></Configuration><Contents>");
            foreach (var (name, _) in files)
            {
                manifest.Append("<Content ignore=\"false\" zipEntry=\"").Append(name).Append("\"/>");
            }

            manifest.Append("</Contents></MissionPackageManifest>");
            Add(zip, "MANIFEST/manifest.xml", Encoding.UTF8.GetBytes(manifest.ToString()));
            foreach (var (name, content) in files)
            {
                Add(zip, name, content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A zip of one entry of <paramref name="bytes"/> zero bytes: tiny packed, large unpacked.</summary>
    public static byte[] Zeros(string entry, int bytes) => Package((entry, new byte[bytes]));

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>ATAK's upload: <c>POST /Marti/sync/missionupload?hash=&amp;filename=&amp;creatorUid=</c>, multipart, the file in <c>assetfile</c>.</summary>
    public static Task<HttpResponseMessage> MissionUploadAsync(HttpClient http, byte[] content, string fileName, string? hash = null, string? label = null, string? partFileName = null)
    {
        var url = $"/Marti/sync/missionupload?hash={hash ?? Sha256(content)}&filename={Uri.EscapeDataString(fileName)}&creatorUid=ANDROID-test{label}";
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-zip-compressed");
        if (partFileName is null)
        {
            form.Add(file, "assetfile");
        }
        else
        {
            form.Add(file, "assetfile", partFileName);
        }

        return http.PostAsync(url, form);
    }

    /// <summary>iTAK's upload: <c>POST /Marti/sync/upload?name=&amp;keywords=&amp;creatorUid=</c> with the raw body.</summary>
    public static Task<HttpResponseMessage> UploadAsync(HttpClient http, byte[] content, string name, string contentType)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return http.PostAsync($"/Marti/sync/upload?name={Uri.EscapeDataString(name)}&keywords=photo,recon&creatorUid=IOS-test", body);
    }

    /// <summary>A raw request body with the content type given as is (for malformed multipart).</summary>
    public static Task<HttpResponseMessage> PostRawAsync(HttpClient http, string url, byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return http.PostAsync(url, content);
    }

    /// <summary>The <c>b-f-t-r</c> ATAK sends to share a file it uploaded, with the label attributes given.</summary>
    public static string FileShare(string uid, string hash, string senderUrl, long size, string access, string releasableTo)
    {
        var now = DateTime.UtcNow;
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-f-t-r\" how=\"h-e\" access=\"{access}\" releasableTo=\"{releasableTo}\" time=\"{CotText.Time(now)}\" start=\"{CotText.Time(now)}\" stale=\"{CotText.Time(now.AddMinutes(1))}\">"
               + "<point lat=\"35.68\" lon=\"139.76\" hae=\"10\" ce=\"5\" le=\"9999999\"/>"
               + $"<detail><fileshare filename=\"plan.zip\" senderUrl=\"{senderUrl}\" sizeInBytes=\"{size}\" sha256=\"{hash}\" senderUid=\"ANDROID-jjoc\" senderCallsign=\"JJOC DESK\" name=\"plan\"/>"
               + $"<ackrequest uid=\"{Guid.NewGuid()}\" ackrequested=\"true\" tag=\"plan\"/></detail></event>\n";
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        stream.Write(content);
    }
}
