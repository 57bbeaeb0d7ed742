using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// The npm client @tak-ps/node-tak against a real Kizuna node over TLS with client certificates.
/// One node serves the whole class; each test uses its own uids so they do not interfere.
/// </summary>
public sealed class NodeTakTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    private const string TakClient = "tak-client.mjs";

    [Fact]
    public async Task Node_tak_clients_exchange_cot_over_tls_with_issued_certificates()
    {
        const string AlphaUid = "interop-exchange-alpha";
        const string BravoUid = "interop-exchange-bravo";
        const string AlphaCallsign = "統合作戦司令部 JJOC";
        const string BravoCallsign = "قيادة العمليات";
        const string AlphaRemarks = "합동참모본부와 협조 / 日米調整";

        await using var alpha = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("alpha")),
            "--uid", AlphaUid, "--callsign", AlphaCallsign, "--remarks", AlphaRemarks,
            "--send", "2", "--send-on", "stdin", "--expect-uid", BravoUid, "--expect-count", "1",
            "--timeout-ms", "45000",
        ]);
        await using var bravo = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("bravo")),
            "--uid", BravoUid, "--callsign", BravoCallsign,
            "--send", "1", "--send-on", "stdin", "--expect-uid", AlphaUid, "--expect-count", "2",
            "--timeout-ms", "45000",
        ]);

        // Both are accepted (a pong came back) before either sends, so neither misses the other.
        await Task.WhenAll(alpha.WaitForEventAsync("ready"), bravo.WaitForEventAsync("ready"));
        await alpha.Process.WriteLineAsync("send");
        await bravo.Process.WriteLineAsync("send");

        var alphaCode = await alpha.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        var bravoCode = await bravo.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(alphaCode == 0, alpha.Process.Failure($"exited with {alphaCode}").Message);
        Assert.True(bravoCode == 0, bravo.Process.Failure($"exited with {bravoCode}").Message);

        var atAlpha = Cot(alpha);
        var atBravo = Cot(bravo);

        var fromBravo = Assert.Single(atAlpha, m => m.Str("uid") == BravoUid);
        Assert.Equal(BravoCallsign, fromBravo.Str("callsign"));
        Assert.Equal("a-f-G-U-C", fromBravo.Str("type"));

        var fromAlpha = atBravo.Where(m => m.Str("uid") == AlphaUid).ToList();
        Assert.Equal(2, fromAlpha.Count);
        Assert.All(fromAlpha, m =>
        {
            Assert.Equal(AlphaCallsign, m.Str("callsign"));
            Assert.Equal(AlphaRemarks, m.Str("remarks"));
            Assert.Equal(139.7671, m.Num("lon")!.Value, 6);
        });

        // No echo of a client's own events, and node-tak's pings are answered, not passed on.
        Assert.DoesNotContain(atAlpha, m => m.Str("uid") == AlphaUid);
        Assert.DoesNotContain(atBravo, m => m.Str("uid") == BravoUid);
        Assert.DoesNotContain(atAlpha.Concat(atBravo), m => m.Str("type") == "t-x-c-t");
    }

    [Fact]
    public async Task Node_tak_ping_is_answered_with_a_pong()
    {
        await using var client = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("charlie")),
            "--uid", "interop-ping", "--expect-count", "0",
        ]);

        var connected = await client.WaitForEventAsync("connected");
        Assert.Equal("TLSv1.3", connected.Str("protocol"));
        await client.WaitForEventAsync("pong");
        var code = await client.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(code == 0, client.Process.Failure($"exited with {code}").Message);
    }

    [Fact]
    public async Task Node_tak_takes_the_protocol_offer_as_control_and_never_hands_it_on_as_cot()
    {
        // node-tak swallows t-x-takp-v only when it carries TakControl/TakServerVersionInfo
        // (it reads serverVersion from it); otherwise the offer reaches the application as data.
        await using var client = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("charlie")),
            "--uid", "interop-offer", "--expect-count", "0",
        ]);

        var done = await client.WaitForEventAsync("done");
        Assert.DoesNotContain(client.Messages, m => m.Event() == "control");
        Assert.False(string.IsNullOrEmpty(done.Str("serverVersion")), client.Process.Failure("node-tak saw no serverVersion").Message);
    }

    [Fact]
    public async Task Node_tak_client_with_a_certificate_from_another_ca_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("kizuna-rogue-").FullName;
        try
        {
            var (certPem, keyPem, caPem) = WriteForeignCertificate(dir);
            var result = await NodeScript.RunAsync(node.Process, TakClient, [],
                "--host", "127.0.0.1", "--port", Port(node.CotTlsPort),
                "--cert", certPem, "--key", keyPem, "--ca", caPem,
                "--uid", "interop-rogue", "--send", "1", "--expect-refusal", "--timeout-ms", "30000");

            Assert.True(result.ExitCode == 0, result.Process.Failure($"the node did not refuse the client (exit {result.ExitCode})").Message);
            Assert.Contains(result.Messages, m => m.Event() == "refused");
            Assert.DoesNotContain(result.Messages, m => m.Event() is "pong" or "cot" or "control");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused()
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(NodeScript.NetworkTimeout);
        await tcp.ConnectAsync("127.0.0.1", node.CotTlsPort, cts.Token);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);

        var received = new StringBuilder();
        var refused = false;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [],
            }, cts.Token);

            // With TLS 1.3 the client finishes first; the server's refusal arrives on the first read.
            var ping = $"<event version=\"2.0\" uid=\"interop-nocert\" type=\"t-x-c-t\" how=\"h-g-i-g-o\" time=\"{Iso(DateTime.UtcNow)}\" start=\"{Iso(DateTime.UtcNow)}\" stale=\"{Iso(DateTime.UtcNow.AddMinutes(1))}\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"9999999\" le=\"9999999\"/><detail/></event>\n";
            await tls.WriteAsync(Encoding.UTF8.GetBytes(ping), cts.Token);
            var buffer = new byte[4096];
            while (true)
            {
                var n = await tls.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    refused = true;
                    break;
                }

                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            refused = true;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The node neither refused nor closed a client without a certificate within {NodeScript.NetworkTimeout.TotalSeconds:0} s.");
        }

        Assert.True(refused);
        Assert.DoesNotContain("<event", received.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_sent_by_node_tak_are_listed_by_the_latest_events_api()
    {
        const string Uid = "interop-latest-api";
        await using var watcher = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("delta")),
            "--uid", "interop-latest-watcher", "--expect-uid", Uid, "--expect-count", "1",
        ]);
        await watcher.WaitForEventAsync("ready");

        var sender = await NodeScript.RunAsync(node.Process, TakClient, [],
        [
            .. node.TakClientArguments(node.Client("charlie")),
            "--uid", Uid, "--callsign", "LATEST", "--send", "1", "--expect-count", "0",
        ]);
        sender.EnsureSuccess();

        // Once another client has it, the node has routed it, and the latest picture lists it.
        await watcher.WaitForEventAsync("cot", m => m.Str("uid") == Uid);

        // Plain HTTP carries no identity: health yes, events no.
        using (var plain = node.CreateHttpClient())
        {
            var health = await plain.GetAsync(new Uri("healthz", UriKind.Relative));
            Assert.True(health.IsSuccessStatusCode, $"/healthz answered {(int)health.StatusCode}");
            var events = await plain.GetAsync(new Uri("api/events", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
        }

        using var https = node.CreateHttpsClient(node.Client("delta"));
        var body = await https.GetStringAsync(new Uri("api/events/latest", UriKind.Relative));
        var latest = Assert.IsType<JsonArray>(JsonNode.Parse(body)).OfType<JsonObject>().ToList();
        var listed = Assert.Single(latest, e => e.Str("uid") == Uid);
        Assert.Equal("LATEST", listed.Str("callsign"));

        // An unlabelled event gets the sender's organization's default (JJOC's in the default
        // profile: CONFIDENTIAL), releasable to its nation only.
        var label = Assert.IsType<JsonObject>(listed["label"]);
        Assert.Equal("CONFIDENTIAL", label.Str("classification"));
        Assert.Equal(["JPN"], Assert.IsType<JsonArray>(label["releasableTo"]).Select(n => n!.GetValue<string>()));
        Assert.Equal("CONFIDENTIAL", listed.Str("access"));
        Assert.Equal("JPN", listed.Str("releasableTo"));

        // So a US caller is not shown it.
        using var us = node.CreateHttpsClient(node.Client("usfj"));
        var atUs = await us.GetStringAsync(new Uri("api/events/latest", UriKind.Relative));
        Assert.DoesNotContain(Uid, atUs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protobuf_client_and_node_tak_exchange_through_the_node()
    {
        // An ATAK-like client asks for TAK protocol v1 and sends what node-cot's to_proto wrote;
        // node-tak (XML only, never asks for protobuf) receives it, and the reverse.
        const string ProtoUid = "interop-protobuf-client";
        const string XmlUid = "interop-xml-client";
        const string ProtoCallsign = "A&B <東京> 서울";
        using var cts = new CancellationTokenSource(NodeScript.NetworkTimeout * 2);

        var written = await NodeScript.RunAsync("cot-roundtrip.mjs",
        [
            new JsonObject
            {
                ["op"] = "write",
                ["id"] = "p",
                ["event"] = new JsonObject
                {
                    ["uid"] = ProtoUid,
                    ["type"] = "a-f-G-U-C",
                    ["callsign"] = ProtoCallsign,
                    ["remarks"] = "from protobuf",
                    ["lat"] = 26.2124,
                    ["lon"] = 127.6809,
                },
            }.ToJsonString(),
        ]);
        var payload = Convert.FromBase64String(written.EnsureSuccess().Answer("p").Str("proto_base64")!);

        var stage = "connect with a client certificate";
        try
        {
            await ExchangeAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException)
        {
            Assert.Fail($"The protobuf client failed at: {stage}: {e.Message}{Environment.NewLine}--- node ---{Environment.NewLine}{node.Process.Tail(40)}");
        }

        async Task ExchangeAsync()
        {
            await using var proto = await ProtobufTakClient.ConnectAsync(node.CotTlsPort, node.Client("echo"), cts.Token);
            stage = "read the t-x-takp-v offer";
            await proto.ReadXmlEventOfTypeAsync("t-x-takp-v", cts.Token);
            var now = DateTime.UtcNow;
            var request = $"<event version=\"2.0\" uid=\"{ProtoUid}\" type=\"t-x-takp-q\" how=\"m-g\" time=\"{Iso(now)}\" start=\"{Iso(now)}\" stale=\"{Iso(now.AddMinutes(1))}\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"9999999\" le=\"9999999\"/><detail><TakControl><TakRequest version=\"1\"/></TakControl></detail></event>";
            await proto.SendAsync(Encoding.UTF8.GetBytes(request), cts.Token);
            stage = "read the t-x-takp-r answer to t-x-takp-q version 1";
            var answer = await proto.ReadXmlEventOfTypeAsync("t-x-takp-r", cts.Token);
            Assert.Contains("status=\"true\"", answer, StringComparison.Ordinal);

            await using var xml = NodeScript.Start(node.Process, TakClient,
            [
                .. node.TakClientArguments(node.Client("foxtrot")),
                "--uid", XmlUid, "--callsign", "XML CLIENT", "--send", "1", "--send-on", "stdin",
                "--expect-uid", ProtoUid, "--expect-count", "1",
            ]);
            await xml.WaitForEventAsync("ready");

            await proto.SendAsync(ProtobufTakClient.Frame(payload), cts.Token);
            var atXml = await xml.WaitForEventAsync("cot", m => m.Str("uid") == ProtoUid);
            Assert.Equal(ProtoCallsign, atXml.Str("callsign"));
            Assert.Equal("from protobuf", atXml.Str("remarks"));

            await xml.Process.WriteLineAsync("send");
            stage = "read a protobuf stream frame with node-tak's event";
            byte[] frame;
            JsonObject parsed;
            do
            {
                frame = await proto.ReadFrameAsync(cts.Token);
                var result = await NodeScript.RunAsync("cot-roundtrip.mjs",
                [
                    new JsonObject { ["op"] = "parse-proto", ["id"] = "f", ["base64"] = Convert.ToBase64String(frame) }.ToJsonString(),
                ]);
                parsed = result.EnsureSuccess().Answer("f");
                Assert.True(parsed.Bool("ok") == true, $"node-cot refused Kizuna's frame {Convert.ToHexString(frame)}: {parsed.Str("error")}");
            }
            while (parsed.Str("uid") != XmlUid);

            Assert.Equal("stream", parsed.Str("framing"));
            Assert.Equal("XML CLIENT", parsed.Str("callsign"));
            Assert.Equal("seq 0", parsed.Str("remarks"));
            var code = await xml.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
            Assert.True(code == 0, xml.Process.Failure($"exited with {code}").Message);
        }
    }

    private static List<JsonObject> Cot(NodeScript script) =>
        [.. script.Messages.Where(m => m.Event() == "cot")];

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A CA that the node has never seen, and a client certificate it signed, as PEM files.</summary>
    private static (string Cert, string Key, string Ca) WriteForeignCertificate(string dir)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Rogue Interop CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(2));

        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=rogue,O=Nowhere", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        clientRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var client = clientRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));

        var certPath = Path.Combine(dir, "client.pem");
        var keyPath = Path.Combine(dir, "client.key");
        var caPath = Path.Combine(dir, "ca.pem");
        File.WriteAllText(certPath, client.ExportCertificatePem());
        File.WriteAllText(keyPath, clientKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        return (certPath, keyPath, caPath);
    }
}
