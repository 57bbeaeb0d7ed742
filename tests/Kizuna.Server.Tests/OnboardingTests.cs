using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Marti;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Server.Tests;

/// <summary>TAK clients onboarding themselves: connection packages, certificate enrollment, the Marti endpoints they poll.</summary>
public sealed class OnboardingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_connection_package_unzips_to_the_documented_layout_and_its_stores_open_with_the_generated_passwords(bool itak)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-package-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
            var claims = new IdentityClaims("jjoc-watch-7", "JPN", "JJOC", "operator", "SECRET", []);
            using var zip = new MemoryStream();
            var contents = ConnectionPackage.Build(authority, claims, "urn:kizuna:policy:us-jpn-kor", "kizuna.example", 8089, zip, flat: itak);

            zip.Position = 0;
            using var archive = new ZipArchive(zip, ZipArchiveMode.Read);
            var folder = itak ? string.Empty : "certs/";
            var expected = new List<string> { folder + "config.pref", folder + "truststore.p12", folder + "jjoc-watch-7.p12" };
            if (!itak)
            {
                expected.Insert(0, "MANIFEST/manifest.xml");
            }

            Assert.Equal(expected, archive.Entries.Select(e => e.FullName).ToList());
            Assert.Equal(expected, contents.Entries);

            if (!itak)
            {
                var manifest = XDocument.Load(archive.GetEntry("MANIFEST/manifest.xml")!.Open()).Root!;
                Assert.Equal("MissionPackageManifest", manifest.Name.LocalName);
                Assert.Equal("2", manifest.Attribute("version")!.Value);
                var parameters = manifest.Descendants("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
                Assert.True(Guid.TryParse(parameters["uid"], out _));
                Assert.Equal("kizuna-jjoc-watch-7", parameters["name"]);
                Assert.Equal("true", parameters["onReceiveDelete"]);
                Assert.Equal(expected.Skip(1), manifest.Descendants("Content").Select(c => c.Attribute("zipEntry")!.Value));
                Assert.All(manifest.Descendants("Content"), c => Assert.Equal("false", c.Attribute("ignore")!.Value));
            }

            var pref = XDocument.Load(archive.GetEntry(folder + "config.pref")!.Open()).Root!;
            string Entry(string preference, string key) => pref.Elements("preference").Single(p => p.Attribute("name")!.Value == preference)
                .Elements("entry").Single(e => e.Attribute("key")!.Value == key).Value;
            Assert.Equal("1", Entry("cot_streams", "count"));
            Assert.Equal("true", Entry("cot_streams", "enabled0"));
            Assert.Equal("kizuna.example:8089:ssl", Entry("cot_streams", "connectString0"));
            Assert.Contains("jjoc-watch-7", Entry("cot_streams", "description0"), StringComparison.Ordinal);
            Assert.Equal("cert/truststore.p12", Entry("com.atakmap.app_preferences", "caLocation"));
            Assert.Equal("cert/jjoc-watch-7.p12", Entry("com.atakmap.app_preferences", "certificateLocation"));
            var caPassword = Entry("com.atakmap.app_preferences", "caPassword");
            var clientPassword = Entry("com.atakmap.app_preferences", "clientPassword");
            Assert.Equal(contents.CaPassword, caPassword);
            Assert.Equal(contents.ClientPassword, clientPassword);
            Assert.NotEqual("atakatak", caPassword);
            Assert.NotEqual("atakatak", clientPassword);
            Assert.NotEqual(caPassword, clientPassword);
            Assert.True(caPassword.Length >= 16 && clientPassword.Length >= 16);

            var truststore = Read(archive, folder + "truststore.p12");
            var clientStore = Read(archive, folder + "jjoc-watch-7.p12");
            // The stores open with their generated passwords, and not without them.
            var trusted = X509CertificateLoader.LoadPkcs12Collection(truststore, caPassword);
            Assert.Equal(authority.CaCertificate.Thumbprint, Assert.Single(trusted).Thumbprint);
            Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12Collection(clientStore, "atakatak"));
            var client = X509CertificateLoader.LoadPkcs12Collection(clientStore, clientPassword);
            var leaf = Assert.Single(client, c => c.HasPrivateKey);
            Assert.Contains("CN=jjoc-watch-7", leaf.Subject, StringComparison.Ordinal);
            Assert.True(authority.ValidateClient(leaf, out var reason), reason);
            Assert.True(IdentityExtension.TryRead(leaf, "jjoc-watch-7", out var read, out _, out var error), error);
            Assert.Equal(("JPN", "JJOC", "SECRET"), (read!.Nation, read.Organization, read.Clearance));

            await AssertOpenSslOpensAsync(truststore, caPassword, dataDir, "truststore.p12");
            await AssertOpenSslOpensAsync(clientStore, clientPassword, dataDir, "client.p12");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task An_enrolled_certificate_carries_the_identity_of_the_token_whatever_the_signing_request_asks()
    {
        await using var node = await TestNode.StartAsync(enroll: true);
        var password = Tokens(node).Issue(new IdentityClaims("usfj-liaison-3", "USA", "USFJ", "liaison", "CONFIDENTIAL", []), TimeSpan.FromMinutes(15));
        using var key = RSA.Create(2048);
        using var http = EnrollClient(node);

        var config = XDocument.Parse(await http.GetStringAsync(MartiEnrollment.ConfigPath));
        Assert.Equal("certificateConfig", config.Root!.Name.LocalName);
        Assert.Equal(["O", "OU"], config.Descendants().Where(e => e.Name.LocalName == "nameEntry").Select(e => e.Attribute("name")!.Value));
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync(MartiEnrollment.ProfilePath)).StatusCode);

        using var response = await SignAsync(http, "usfj-liaison-3", password, Csr(key, "CN=someone-else, O=Other, OU=JJOC"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(json.RootElement.GetProperty("signedCert").GetString()!));
        using var ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(json.RootElement.GetProperty("ca0").GetString()!));

        Assert.Equal(node.Node.CertificateAuthority.CaCertificate.Thumbprint, ca.Thumbprint);
        Assert.Equal("usfj-liaison-3", NodeCertificateAuthority.IdentityOf(certificate));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(node.Node.Services.GetRequiredService<ClientAuthenticator>().TryAuthenticate(certificate, out var principal, out var reason), reason);
        Assert.Equal(("USA", "USFJ", "liaison", "CONFIDENTIAL"), (principal!.Nation, principal.Organization, principal.Role, principal.Clearance));
        Assert.Contains(node.Node.CertificateAuthority.Registry.Issued(), i => i.Serial == certificate.SerialNumber && i.Name == "usfj-liaison-3");

        // The certificate works at once: over HTTPS the API knows who it is.
        using var withKey = certificate.CopyWithPrivateKey(key);
        using var api = HttpsWith(node, node.Https, withKey);
        var whoami = await api.GetStringAsync("/api/whoami");
        Assert.Contains("USFJ", whoami, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrollment_answers_xml_when_asked_and_only_on_its_own_listener()
    {
        await using var node = await TestNode.StartAsync(enroll: true);
        var password = Tokens(node).Issue(new IdentityClaims("jjoc-xml", "JPN", "JJOC", "operator", "SECRET", []), TimeSpan.FromMinutes(15));
        using var key = RSA.Create(2048);
        using var http = EnrollClient(node);
        using var response = await SignAsync(http, "jjoc-xml", password, Csr(key, "CN=jjoc-xml"), accept: "application/xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("enrollment", xml.Name.LocalName);
        using var signed = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(xml.Element("signedCert")!.Value));
        Assert.Equal("jjoc-xml", NodeCertificateAuthority.IdentityOf(signed));
        Assert.NotEmpty(xml.Element("ca")!.Value);

        // The HTTPS API port has no enrollment; the enrollment port has nothing else.
        using var api = node.CreateHttpsClient(node.Issue("api-reader"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(MartiEnrollment.ConfigPath)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/whoami")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/Marti/api/version")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_a_reused_and_an_expired_token_and_a_malformed_signing_request_are_refused_with_a_reason_and_nothing_is_issued()
    {
        await using var node = await TestNode.StartAsync(enroll: true);
        var tokens = Tokens(node);
        var claims = new IdentityClaims("jjoc-watch-9", "JPN", "JJOC", "operator", "SECRET", []);
        var password = tokens.Issue(claims, TimeSpan.FromMinutes(15));
        var expired = new EnrollmentTokens(node.DataDir, new FixedTime(DateTimeOffset.UtcNow.AddHours(-1)))
            .Issue(claims with { Name = "jjoc-late" }, TimeSpan.FromMinutes(15));
        using var key = RSA.Create(2048);
        var csr = Csr(key, "CN=jjoc-watch-9");
        using var http = EnrollClient(node);
        var issuedBefore = node.Node.CertificateAuthority.Registry.Issued().Count;

        async Task Refused(string name, string pass, string body, HttpStatusCode status, string logged)
        {
            using var response = await SignAsync(http, name, pass, body);
            Assert.Equal(status, response.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync()), "the refusal says why");
            await node.Logs.WaitForAsync(e => e.EventId.Id == 4601 && e.Message.Contains(logged, StringComparison.Ordinal), TestNode.Timeout);
            Assert.Equal(issuedBefore, node.Node.CertificateAuthority.Registry.Issued().Count);
        }

        await Refused("jjoc-watch-9", "not-the-password", csr, HttpStatusCode.Unauthorized, "no enrollment token of this node matches");
        await Refused("someone-else", password, csr, HttpStatusCode.Unauthorized, "no enrollment token of this node matches");
        await Refused("jjoc-late", expired, csr, HttpStatusCode.Unauthorized, "expired at");
        await Refused("jjoc-watch-9", password, "not a csr at all!", HttpStatusCode.BadRequest, "not base64");
        await Refused("jjoc-watch-9", password, Convert.ToBase64String(Encoding.ASCII.GetBytes("a certificate request, honest")), HttpStatusCode.BadRequest, "cannot be read");
        await Refused("jjoc-watch-9", password, TamperedCsr(key), HttpStatusCode.BadRequest, "cannot be read or its signature does not verify");

        // A malformed request did not use the token up; the good one enrolls once, never twice.
        using (var ok = await SignAsync(http, "jjoc-watch-9", password, csr))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        issuedBefore++;
        await Refused("jjoc-watch-9", password, csr, HttpStatusCode.Unauthorized, "was already used");
        using var noAuth = await http.PostAsync(MartiEnrollment.SignPath + "?clientUid=x&version=3", new StringContent(csr));
        Assert.Equal(HttpStatusCode.Unauthorized, noAuth.StatusCode);
        Assert.Equal("Basic", noAuth.Headers.WwwAuthenticate.Single().Scheme);

        // The token file keeps only hashes.
        var stored = await File.ReadAllTextAsync(Path.Combine(node.DataDir, EnrollmentTokens.FileName));
        Assert.DoesNotContain(password, stored, StringComparison.Ordinal);
        Assert.Contains(EnrollmentTokens.Hash("jjoc-watch-9", password), stored, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node.DataDir, EnrollmentTokens.FileName)));
        }
    }

    [Fact]
    public async Task Enrollment_attempts_from_one_address_beyond_the_limit_are_refused_429_and_logged()
    {
        await using var node = await TestNode.StartAsync(enroll: true);
        using var http = EnrollClient(node);
        var max = node.Node.Services.GetRequiredService<EnrollmentAttempts>().Max;
        for (var i = 0; i < max; i++)
        {
            using var refused = await SignAsync(http, "guess", "guess-" + i, "x");
            Assert.NotEqual(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        using var limited = await SignAsync(http, "guess", "guess-last", "x");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 4602, TestNode.Timeout);
    }

    [Fact]
    public void The_attempt_limit_forgets_attempts_older_than_its_window()
    {
        var time = new FixedTime(DateTimeOffset.UtcNow);
        var attempts = new EnrollmentAttempts(time, max: 2, window: TimeSpan.FromMinutes(10));
        Assert.True(attempts.TryAttempt(IPAddress.Loopback));
        Assert.True(attempts.TryAttempt(IPAddress.Loopback));
        Assert.False(attempts.TryAttempt(IPAddress.Loopback));
        Assert.True(attempts.TryAttempt(IPAddress.IPv6Loopback), "another address has its own count");
        time.Now += TimeSpan.FromMinutes(10);
        Assert.True(attempts.TryAttempt(IPAddress.Loopback));
    }

    [Fact]
    public async Task The_version_endpoints_answer_anyone_and_client_endpoints_list_only_contacts_the_caller_may_see()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.CreateHttpsClient(null);
        Assert.StartsWith("Kizuna ", await anonymous.GetStringAsync("/Marti/api/version"), StringComparison.Ordinal);
        using (var config = JsonDocument.Parse(await anonymous.GetStringAsync("/Marti/api/version/config")))
        {
            Assert.Equal("3", config.RootElement.GetProperty("version").GetString());
            Assert.Equal("ServerConfig", config.RootElement.GetProperty("type").GetString());
            Assert.Equal(32, config.RootElement.GetProperty("nodeId").GetString()!.Length);
            Assert.Equal("3", config.RootElement.GetProperty("data").GetProperty("api").GetString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/Marti/api/clientEndPoints")).StatusCode);

        // Each sends its position with its default label: released to its own nation only.
        await using var japanese = await node.ConnectTlsAsync("jjoc-desk", "JJOC");
        await using var american = await node.ConnectTlsAsync("usfj-desk", "USFJ", clearance: "SECRET");
        await japanese.SendAsync(CotText.Position("jjoc-desk-uid", "JJOC DESK"));
        await american.SendAsync(CotText.Position("usfj-desk-uid", "USFJ DESK"));
        await japanese.SendAsync(CotText.Ping("j-barrier"));
        await japanese.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
        await american.SendAsync(CotText.Ping("u-barrier"));
        await american.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");

        using var reader = node.CreateHttpsClient(node.Issue("jjoc-reader", "JJOC"));
        using var contacts = JsonDocument.Parse(await reader.GetStringAsync("/Marti/api/clientEndPoints"));
        Assert.Equal("com.bbn.marti.remote.ClientEndpoint", contacts.RootElement.GetProperty("type").GetString());
        var contact = Assert.Single(contacts.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("JJOC DESK", contact.GetProperty("callsign").GetString());
        Assert.Equal("jjoc-desk-uid", contact.GetProperty("uid").GetString());
        Assert.Equal("jjoc-desk", contact.GetProperty("username").GetString());
        Assert.Equal("Connected", contact.GetProperty("lastStatus").GetString());
        Assert.True(DateTime.TryParse(contact.GetProperty("lastEventTime").GetString(), out _));
    }

    internal static EnrollmentTokens Tokens(TestNode node) => node.Node.Services.GetRequiredService<EnrollmentTokens>();

    internal static HttpClient EnrollClient(TestNode node) => HttpsWith(node, new Uri($"https://localhost:{node.Node.Endpoint("enroll")!.Port}"), null);

    private static HttpClient HttpsWith(TestNode node, Uri baseAddress, X509Certificate2? clientCertificate)
    {
        var ca = node.Node.CertificateAuthority.CaCertificate;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        if (clientCertificate is not null)
        {
            handler.ClientCertificates.Add(X509CertificateLoader.LoadPkcs12(clientCertificate.Export(X509ContentType.Pkcs12), null));
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
        }

        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TestNode.Timeout };
    }

    internal static Task<HttpResponseMessage> SignAsync(HttpClient http, string name, string password, string csr, string accept = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, MartiEnrollment.SignPath + "?clientUid=ANDROID-test&version=3") { Content = new StringContent(csr) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(name + ":" + password)));
        request.Headers.Accept.ParseAdd(accept);
        return http.SendAsync(request);
    }

    /// <summary>A base64 PKCS#10 request without PEM armour, as ATAK sends it.</summary>
    internal static string Csr(RSA key, string subject)
        => Convert.ToBase64String(new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest());

    private static string TamperedCsr(RSA key)
    {
        var der = new CertificateRequest("CN=jjoc-watch-9", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
        der[^5] ^= 0x55; // inside the signature
        return Convert.ToBase64String(der);
    }

    private static byte[] Read(ZipArchive archive, string entry)
    {
        using var stream = archive.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>With openssl on the path, the store opens under its password (and the test says so when openssl is missing by falling back to .NET alone).</summary>
    private static async Task AssertOpenSslOpensAsync(byte[] store, string password, string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        await File.WriteAllBytesAsync(path, store);
        ProcessStartInfo start = new("openssl", ["pkcs12", "-in", path, "-passin", "pass:" + password, "-nodes", "-info"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return; // no openssl here; the .NET loader above opened it
        }

        using (process)
        {
            Assert.NotNull(process);
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TestNode.Timeout);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"openssl pkcs12 could not open {fileName}: {await error}");
            Assert.Contains("BEGIN CERTIFICATE", await output, StringComparison.Ordinal);
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
