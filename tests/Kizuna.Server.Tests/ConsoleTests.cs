using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Identity;
using Kizuna.Core.Warnings;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Server.WebConsole;

namespace Kizuna.Server.Tests;

/// <summary>
/// The browser console's server side through a real node: its files and headers, one-time
/// sign-in links, the session cookie as an identity, the live WebSocket feed (the same access
/// decision as every other exit, checked on the raw text), its limits on what a browser may send,
/// and acknowledging a warning over HTTP. No front end is needed: a temporary directory stands in
/// for web/dist.
/// </summary>
public sealed class ConsoleTests
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static string TempConsoleDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kizuna-console-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "index.html"), "<!doctype html><title>console under test</title><script src=\"./app.js\"></script>");
        File.WriteAllText(Path.Combine(dir, "app.js"), "console.log('kizuna');");
        File.WriteAllText(Path.Combine(dir, "data", "land-50m.json"), "{\"type\":\"Topology\"}");
        return dir;
    }

    [Fact]
    public async Task The_console_files_are_served_at_the_root_with_the_console_security_headers()
    {
        var dist = TempConsoleDir();
        await using var node = await TestNode.StartAsync(consoleDir: dist);
        using var http = node.CreateHttpClient();

        using var index = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Contains("console under test", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/html", index.Content.Headers.ContentType!.MediaType);
        var csp = string.Join(";", index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self' ws: wss:", csp, StringComparison.Ordinal);
        Assert.Contains("img-src 'self' data: blob:", csp, StringComparison.Ordinal);
        Assert.Contains("style-src 'self' 'unsafe-inline'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", index.Headers.GetValues("X-Content-Type-Options").Single());

        using var script = await http.GetAsync("/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        using var data = await http.GetAsync("/data/land-50m.json");
        Assert.Equal(HttpStatusCode.OK, data.StatusCode);

        // The API keeps its answers, headers included.
        using var whoami = await http.GetAsync("/api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
        Assert.Equal("nosniff", whoami.Headers.GetValues("X-Content-Type-Options").Single());
        Directory.Delete(dist, recursive: true);
    }

    [Fact]
    public async Task Without_a_built_console_the_root_is_a_placeholder_page()
    {
        await using var node = await TestNode.StartAsync(consoleDir: Path.Combine(Path.GetTempPath(), "kizuna-no-console-" + Guid.NewGuid().ToString("N")));
        using var http = node.CreateHttpClient();
        var page = await http.GetStringAsync("/");
        Assert.Contains("data-testid=\"placeholder\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_link_signs_in_once_and_a_second_use_is_refused_with_the_reason()
    {
        await using var node = await TestNode.StartAsync();
        node.Issue("jjoc-console");
        var link = ConsoleClient.SignInLink(node, "jjoc-console");
        Assert.Equal("/console/sign-in", link.AbsolutePath);

        using var first = ConsoleClient.Anonymous(node);
        using var signedIn = await first.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain HTTP

        using var second = ConsoleClient.Anonymous(node);
        using var again = await second.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("already used", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(second.Cookies.GetCookies(node.Http));

        // Only the token's hash is kept in the data directory.
        var stored = await File.ReadAllTextAsync(Path.Combine(node.DataDir, ConsoleTokens.FileName));
        Assert.DoesNotContain(link.Query["?token=".Length..], stored, StringComparison.Ordinal);
        Assert.Contains(ConsoleTokens.Hash(link.Query["?token=".Length..]), stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_link_expires_after_ten_minutes()
    {
        await using var node = await TestNode.StartAsync();
        node.Issue("late-console");
        var eleven = new FixedTime(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(11));
        var token = new ConsoleTokens(node.DataDir, eleven).Issue("late-console");

        using var console = ConsoleClient.Anonymous(node);
        using var response = await console.Http.GetAsync($"/console/sign-in?token={token}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_link_is_refused_for_an_unknown_or_revoked_identity()
    {
        await using var node = await TestNode.StartAsync();
        var unknown = Assert.Throws<ArgumentException>(() => ConsoleClient.SignInLink(node, "nobody"));
        Assert.Contains("certs client", unknown.Message, StringComparison.Ordinal);

        var files = node.Issue("gone-console");
        node.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "gone-console", DateTime.UtcNow, "left the watch")]);
        var revoked = Assert.Throws<ArgumentException>(() => ConsoleClient.SignInLink(node, "gone-console"));
        Assert.Contains("revoked", revoked.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_over_plain_http_is_refused_from_an_address_other_than_loopback()
    {
        var other = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.True(other is not null, "the test needs an IPv4 address other than loopback on this machine");

        await using var node = await TestNode.StartAsync(http: new IPEndPoint(IPAddress.Any, 0));
        node.Issue("remote-console");
        var link = ConsoleClient.SignInLink(node, "remote-console");

        using var remote = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TestNode.Timeout };
        using var refused = await remote.GetAsync(new Uri($"http://{other}:{node.Http.Port}{link.PathAndQuery}"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("loopback", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 4012, TestNode.Timeout);

        // The refusal did not use the link up: from loopback it still signs in.
        using var local = ConsoleClient.Anonymous(node);
        using var accepted = await local.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);

        // And the cookie itself counts over plain HTTP only from loopback.
        var cookie = local.Cookies.GetCookies(node.Http)[ConsoleSessions.CookieName]!.Value;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{other}:{node.Http.Port}/api/whoami"));
        request.Headers.Add("Cookie", $"{ConsoleSessions.CookieName}={cookie}");
        using var fromElsewhere = await remote.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, fromElsewhere.StatusCode);
    }

    [Fact]
    public async Task Over_https_a_sign_in_link_works_without_a_client_certificate_and_the_cookie_is_secure()
    {
        await using var node = await TestNode.StartAsync();
        node.Issue("https-console", org: "USFJ");
        var link = ConsoleTokenCommand.Issue(node.DataDir, "https-console", null, node.Node.Endpoint("https"));
        Assert.Equal("https", link.Scheme);

        using var https = node.CreateHttpsClient(null, followRedirects: false);
        using var response = await https.GetAsync(new Uri(https.BaseAddress!, link.PathAndQuery));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);

        using var whoami = new HttpRequestMessage(HttpMethod.Get, "/api/whoami");
        whoami.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var answer = await https.SendAsync(whoami);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("\"name\":\"https-console\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_cookie_gives_whoami_exactly_as_the_certificate_does()
    {
        await using var node = await TestNode.StartAsync();
        var files = node.Issue("cfc-kor-console", org: "CFC", nation: "KOR", clearance: "SECRET", "SAP:MWX");
        using var console = await ConsoleClient.SignInAsync(node, "cfc-kor-console");
        using var https = node.CreateHttpsClient(files);

        var viaCookie = await console.Http.GetStringAsync("/api/whoami");
        var viaCertificate = await https.GetStringAsync("/api/whoami");
        Assert.Equal(viaCertificate, viaCookie);
        Assert.Contains("\"authorizations\":[\"SAP:MWX\"]", viaCookie, StringComparison.Ordinal);

        // Signing out ends it.
        using var signOut = await console.Http.PostAsync("/console/sign-out", null);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        using var after = await console.Http.GetAsync("/api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_revoked_identity_loses_its_console_session_and_its_live_feed()
    {
        await using var node = await TestNode.StartAsync();
        var files = node.Issue("soon-gone-console");
        using var console = await ConsoleClient.SignInAsync(node, "soon-gone-console");
        await using var feed = await console.OpenLiveAsync();
        await feed.ExpectAsync("snapshot");

        node.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "soon-gone-console", DateTime.UtcNow, "device lost")]);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await feed.WaitClosedAsync());
        Assert.Contains("revoked", feed.CloseReason, StringComparison.Ordinal);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 4015, TestNode.Timeout);

        using var whoami = await console.Http.GetAsync("/api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
        await Assert.ThrowsAnyAsync<WebSocketException>(async () => await console.OpenLiveAsync());
    }

    [Fact]
    public async Task The_live_feed_carries_what_a_TAK_client_sends_and_never_what_the_identity_may_not_see()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch"); // JPN, cleared SECRET
        node.Issue("rok-console", org: "ROK-JCS");                      // KOR

        // Before the console connects: one for everybody, one for Japan only (the snapshot).
        await jjoc.SendAsync(CotText.Labelled("before-shared", "BEFORE-SHARED", "UNCLASSIFIED", "USA,JPN,KOR"));
        await jjoc.SendAsync(CotText.Labelled("before-secret", "HIDDEN-BEFORE", "SECRET", "JPN"));
        await jjoc.SendAsync(CotText.Ping("before-barrier"));
        await jjoc.ExpectAsync(e => e.Type == Kizuna.Cot.TakControlEvents.PongType, "pong");

        using var console = await ConsoleClient.SignInAsync(node, "rok-console");
        await using var feed = await console.OpenLiveAsync();
        var hello = await feed.ExpectAsync("hello");
        Assert.Equal("rok-console", hello.GetProperty("whoami").GetProperty("name").GetString());
        var snapshot = await feed.ExpectAsync("snapshot");
        Assert.Contains(snapshot.GetProperty("events").EnumerateArray(), e => e.GetProperty("uid").GetString() == "before-shared");
        using (var http = node.CreateHttpClient())
        {
            // The feed is counted apart from CoT connections.
            Assert.Contains("\nkizuna_console_feeds 1\n", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }

        // Live: the secret one first, then the shared one; the shared one arriving proves the secret one was withheld, not late.
        var withheldBefore = node.Node.Metrics.WithheldCount(AccessExit.Console);
        await jjoc.SendAsync(CotText.Labelled("live-secret", "HIDDEN-LIVE", "SECRET", "JPN"));
        await jjoc.SendAsync(CotText.Labelled("live-shared", "<img src=x onerror=alert(1)>", "UNCLASSIFIED", "USA,JPN,KOR"));
        var shared = await feed.ExpectEventAsync("live-shared");
        Assert.Equal("UNCLASSIFIED//REL TO USA, JPN, KOR", shared.GetProperty("event").GetProperty("label").GetProperty("banner").GetString());
        Assert.Equal("<img src=x onerror=alert(1)>", shared.GetProperty("event").GetProperty("callsign").GetString());
        Assert.Equal("jjoc-watch", shared.GetProperty("event").GetProperty("sender").GetString());

        foreach (var raw in feed.Raw)
        {
            Assert.DoesNotContain("before-secret", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("HIDDEN-BEFORE", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("live-secret", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("HIDDEN-LIVE", raw, StringComparison.Ordinal);
        }

        Assert.True(node.Node.Metrics.WithheldCount(AccessExit.Console) > withheldBefore);
        Assert.Contains("kizuna_withheld_total{exit=\"Console\"}", node.Node.Metrics.ToPrometheusText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage", "not JSON")]
    [InlineData("unknown-kind", "unknown kind")]
    [InlineData("oversized", "over 4096 bytes")]
    [InlineData("binary", "binary")]
    [InlineData("flood", "more than 20 messages")]
    public async Task A_feed_that_sends_garbage_or_floods_is_closed_with_1008_and_nobody_else_is_affected(string misbehaviour, string reason)
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-watch");
        node.Issue("bad-console");
        node.Issue("good-console");
        using var bad = await ConsoleClient.SignInAsync(node, "bad-console");
        using var good = await ConsoleClient.SignInAsync(node, "good-console");
        await using var badFeed = await bad.OpenLiveAsync();
        await using var goodFeed = await good.OpenLiveAsync();
        await badFeed.ExpectAsync("snapshot");
        await goodFeed.ExpectAsync("snapshot");

        // A ping is answered.
        await goodFeed.SendTextAsync("{\"kind\":\"ping\"}");
        await goodFeed.ExpectAsync("pong");

        switch (misbehaviour)
        {
            case "garbage":
                await badFeed.SendTextAsync("<event>not json</event>");
                break;
            case "unknown-kind":
                await badFeed.SendTextAsync("{\"kind\":\"publish\",\"event\":{}}");
                break;
            case "oversized":
                await badFeed.SendTextAsync("{\"kind\":\"ping\",\"pad\":\"" + new string('x', 5000) + "\"}");
                break;
            case "binary":
                await badFeed.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
                break;
            case "flood":
                for (var i = 0; i < 25 && badFeed.CloseStatus is null; i++)
                {
                    try
                    {
                        await badFeed.SendTextAsync("{\"kind\":\"ping\"}");
                    }
                    catch (WebSocketException)
                    {
                        break; // already closed by the node
                    }
                }

                break;
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await badFeed.WaitClosedAsync());
        Assert.Contains(reason, badFeed.CloseReason, StringComparison.Ordinal);
        var logged = await node.Logs.WaitForAsync(e => e.EventId.Id == 4018, TestNode.Timeout);
        Assert.Contains(reason, logged.Message, StringComparison.Ordinal);

        // The other feed goes on: a new event reaches it, and it still answers pings.
        await jjoc.SendAsync(CotText.Labelled("after-bad", "AFTER", "UNCLASSIFIED", "USA,JPN,KOR"));
        await goodFeed.ExpectEventAsync("after-bad");
        await goodFeed.SendTextAsync("{\"kind\":\"ping\"}");
        await goodFeed.ExpectAsync("pong");
    }

    [Fact]
    public async Task The_live_feed_needs_an_identity_and_a_page_of_this_node()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = ConsoleClient.Anonymous(node);
        await Assert.ThrowsAnyAsync<WebSocketException>(async () => await anonymous.OpenLiveAsync());

        node.Issue("origin-console");
        using var console = await ConsoleClient.SignInAsync(node, "origin-console");
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = console.Cookies;
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{node.Http.Authority}/api/console/live"), cts.Token));
    }

    [Fact]
    public async Task A_warning_reaches_the_live_feed_and_an_acknowledgement_over_http_shows_in_its_receipts()
    {
        await using var node = await TestNode.StartAsync();
        await using var sensor = await node.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        node.Issue("jjoc-console");
        using var console = await ConsoleClient.SignInAsync(node, "jjoc-console");
        await using var feed = await console.OpenLiveAsync();
        await feed.ExpectAsync("snapshot");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        var message = await feed.ExpectAsync("warning");
        var warning = message.GetProperty("warning");
        var id = warning.GetProperty("id").GetString()!;
        Assert.Equal(1, warning.GetProperty("version").GetInt32());

        using var ack = await console.Http.PostAsJsonAsync($"/api/warnings/{id}/ack", new AckJson(1), ApiJsonContext.Default.AckJson);
        Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);

        var versions = await console.Http.GetFromJsonAsync($"/api/warnings/{id}", ApiJsonContext.Default.ListWarningJson);
        var receipt = Assert.Single(versions!.Single(v => v.Version == 1).Receipts, r => r.Recipient == "jjoc-console");
        Assert.Equal("JJOC", receipt.Organization);
        Assert.NotNull(receipt.AcknowledgedAt);
        Assert.Equal(1, node.Node.Metrics.WarningsAcknowledged);

        // A version that does not exist for the caller cannot be acknowledged; a body that is not the contract is refused.
        using var unknown = await console.Http.PostAsJsonAsync($"/api/warnings/{id}/ack", new AckJson(9), ApiJsonContext.Default.AckJson);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var form = await console.Http.PostAsync($"/api/warnings/{id}/ack", new StringContent("version=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);

    }
}
