using System.Globalization;
using System.Text.Json.Nodes;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary><c>kizuna send FILE</c> against a real node: what it sends arrives, what the node refuses is reported.</summary>
public sealed class SendCommandTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    [Fact]
    public async Task Kizuna_send_delivers_a_file_and_reports_each_refusal_with_its_reason()
    {
        var dir = Directory.CreateTempSubdirectory("kizuna-send-").FullName;
        try
        {
            var now = DateTime.UtcNow;
            string Event(string uid, string access) =>
                $"<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" access=\"{access}\" releasableTo=\"JPN\" time=\"{Iso(now)}\" start=\"{Iso(now)}\" stale=\"{Iso(now.AddMinutes(5))}\">"
                + "<point lat=\"35.68\" lon=\"139.76\" hae=\"0\" ce=\"10\" le=\"10\"/><detail><contact callsign=\"SEND\"/></detail></event>\n";
            var file = Path.Combine(dir, "two.xml");
            await File.WriteAllTextAsync(file, Event("interop-send-ok", "CONFIDENTIAL") + Event("interop-send-too-high", "SECRET"));

            // golf is a JJOC operator cleared CONFIDENTIAL.
            var identity = Path.GetDirectoryName(node.Client("golf").CertificatePem)!;
            await using var send = ChildProcess.Start(
                InteropPaths.DotnetHost,
                [InteropPaths.KizunaDll, "send", file, "--to", $"127.0.0.1:{node.CotTlsPort.ToString(CultureInfo.InvariantCulture)}", "--identity", identity],
                dir);
            var code = await send.WaitForExitAsync(KizunaProcess.StartTimeout);

            Assert.True(code == 1, send.Failure($"expected exit code 1 (one refusal), got {code}").Message);
            Assert.Contains(send.StandardOutputLines, l => l.StartsWith("sent     interop-send-ok", StringComparison.Ordinal));
            Assert.Contains(send.StandardOutputLines, l => l.StartsWith("refused  interop-send-too-high", StringComparison.Ordinal) && l.Contains("AboveClearance", StringComparison.Ordinal));

            // The accepted one is in the picture, for a caller who may see it.
            using var https = node.CreateHttpsClient(node.Client("alpha"));
            var latest = JsonNode.Parse(await https.GetStringAsync(new Uri("api/events/latest", UriKind.Relative)))!.AsArray();
            Assert.Contains(latest, e => (string?)e!["uid"] == "interop-send-ok");
            Assert.DoesNotContain(latest, e => (string?)e!["uid"] == "interop-send-too-high");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
