using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// Confidentiality labels through a real node and real clients: node-tak (which parses with
/// node-cot's from_xml) and an ATAK-like protobuf client sending what node-cot wrote. Senders
/// and receivers hold certificates of JJOC (JPN), USFJ (USA) and ROK-JCS (KOR), all SECRET.
/// "Never reaches" is shown with a barrier: after the event that must not arrive, the same
/// sender sends one releasable to everyone; events from one sender arrive in order, so once a
/// client has the barrier it would already have had the other.
/// </summary>
public sealed class LabelledTrafficTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    private const string TakClient = "tak-client.mjs";
    private const string Policy = "urn:kizuna:policy:us-jpn-kor";
    private const string Caveat = "EXERCISE KIZUNA SHIELD";

    [Fact]
    public async Task A_secret_event_for_usa_and_japan_reaches_the_us_client_with_its_label_intact_and_never_the_korean_client()
    {
        const string SecretUid = "interop-label-secret-usa-jpn";
        const string BarrierUid = "interop-label-barrier-all";

        await using var usfj = Watcher("usfj", "interop-label-usfj-watch", SecretUid, BarrierUid);
        await using var rok = Watcher("rok", "interop-label-rok-watch", BarrierUid);
        await using var jjoc = Watcher("bravo", "interop-label-jjoc-watch", SecretUid, BarrierUid);
        await Task.WhenAll(usfj.WaitForEventAsync("ready"), rok.WaitForEventAsync("ready"), jjoc.WaitForEventAsync("ready"));

        var sender = await NodeScript.RunAsync(node.Process, TakClient, [],
        [
            .. node.TakClientArguments(node.Client("alpha")),
            "--uid", "interop-label-sender", "--callsign", "JJOC-LABEL", "--expect-count", "0",
            "--event", EventJson(SecretUid, "SECRET", "USA,JPN", Caveat, NodeCotLabelTests.LabelJson()),
            "--event", EventJson(BarrierUid, "UNCLASSIFIED", "USA,JPN,KOR", null, NodeCotLabelTests.LabelJson(classification: "UNCLASSIFIED", releasableTo: "USA,JPN,KOR", caveat: null)),
        ]);
        sender.EnsureSuccess();
        Assert.Equal(2, sender.Messages.Count(m => m.Event() == "sent" && m.Bool("label") == true));

        await Task.WhenAll(ExitedAsync(usfj), ExitedAsync(rok), ExitedAsync(jjoc));

        // The US client has it, as node-tak / node-cot parsed it: attributes and element intact.
        var atUs = Assert.Single(Cot(usfj), m => m.Str("uid") == SecretUid);
        AssertLabel(atUs, "SECRET", "USA,JPN", Caveat, category: true);
        Assert.Equal("JJOC-LABEL", atUs.Str("callsign"));
        var barrierAtUs = Assert.Single(Cot(usfj), m => m.Str("uid") == BarrierUid);
        AssertLabel(barrierAtUs, "UNCLASSIFIED", "USA,JPN,KOR", null, category: true);
        Assert.True(
            Cot(usfj).FindIndex(m => m.Str("uid") == SecretUid) < Cot(usfj).FindIndex(m => m.Str("uid") == BarrierUid),
            "events from one sender arrive in order");

        // The originator's nation has it too.
        AssertLabel(Assert.Single(Cot(jjoc), m => m.Str("uid") == SecretUid), "SECRET", "USA,JPN", Caveat, category: true);

        // The Korean client had the barrier, so the SECRET event would have come first: it never did.
        AssertLabel(Assert.Single(Cot(rok), m => m.Str("uid") == BarrierUid), "UNCLASSIFIED", "USA,JPN,KOR", null, category: true);
        Assert.DoesNotContain(rok.Process.StandardOutputLines, line => line.Contains(SecretUid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unlabelled_node_tak_event_is_stamped_with_the_senders_default_and_stays_national()
    {
        const string PlainUid = "interop-unlabelled-event";
        const string BarrierUid = "interop-unlabelled-barrier";

        await using var jjoc = Watcher("charlie", "interop-unlabelled-jjoc-watch", PlainUid, BarrierUid);
        await using var usfj = Watcher("usfj", "interop-unlabelled-usfj-watch", BarrierUid);
        await Task.WhenAll(jjoc.WaitForEventAsync("ready"), usfj.WaitForEventAsync("ready"));

        var sender = await NodeScript.RunAsync(node.Process, TakClient, [],
        [
            .. node.TakClientArguments(node.Client("delta")),
            "--uid", "interop-unlabelled-sender", "--expect-count", "0",
            "--event", new JsonObject { ["uid"] = PlainUid }.ToJsonString(),
            "--event", EventJson(BarrierUid, "UNCLASSIFIED", "USA,JPN", null, label: null),
        ]);
        sender.EnsureSuccess();
        await Task.WhenAll(ExitedAsync(jjoc), ExitedAsync(usfj));

        // JJOC's default in the default profile: CONFIDENTIAL, releasable to Japan only; the node adds the element.
        var plain = Assert.Single(Cot(jjoc), m => m.Str("uid") == PlainUid);
        AssertLabel(plain, "CONFIDENTIAL", "JPN", null, category: false);

        // Labelled by attributes only, the barrier keeps its label in the attributes alone.
        AssertLabel(Assert.Single(Cot(usfj), m => m.Str("uid") == BarrierUid), "UNCLASSIFIED", "USA,JPN", null, category: false);
        Assert.DoesNotContain(usfj.Process.StandardOutputLines, line => line.Contains(PlainUid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_tak_client_that_labels_above_its_clearance_is_told_of_the_refusal_and_nobody_gets_the_event()
    {
        const string RefusedUid = "interop-refused-above-clearance";
        const string BarrierUid = "interop-refusal-barrier";

        await using var watcher = Watcher("charlie", "interop-refusal-watch", BarrierUid);
        await watcher.WaitForEventAsync("ready");

        // golf is JJOC cleared CONFIDENTIAL.
        var sender = await NodeScript.RunAsync(node.Process, TakClient, [],
        [
            .. node.TakClientArguments(node.Client("golf")),
            "--uid", "interop-refusal-sender", "--expect-type", "t-x-kizuna-refusal", "--expect-count", "1",
            "--event", EventJson(RefusedUid, "SECRET", "JPN", null, NodeCotLabelTests.LabelJson(classification: "SECRET", releasableTo: "JPN", caveat: null)),
            "--event", EventJson(BarrierUid, "CONFIDENTIAL", "JPN", null, label: null),
        ]);
        sender.EnsureSuccess();
        await ExitedAsync(watcher);

        var refusal = Assert.Single(Cot(sender.Messages), m => m.Str("type") == "t-x-kizuna-refusal");
        Assert.Contains($"uid=\"{RefusedUid}\"", refusal.Str("xml"), StringComparison.Ordinal);
        Assert.Contains("reason=\"AboveClearance\"", refusal.Str("xml"), StringComparison.Ordinal);

        AssertLabel(Assert.Single(Cot(watcher.Messages), m => m.Str("uid") == BarrierUid), "CONFIDENTIAL", "JPN", null, category: false);
        Assert.DoesNotContain(watcher.Process.StandardOutputLines, line => line.Contains(RefusedUid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Node_cot_written_labelled_events_from_a_protobuf_client_reach_node_tak_with_the_same_label_and_back()
    {
        // An ATAK-like client over TLS (JJOC) sends what node-cot wrote: to_xml before asking for
        // TAK protocol v1, to_proto after. node-cot's to_proto carries access and the __label
        // element but has no releasableTo field: the node takes releasability from the element
        // and stamps the attribute back on, so the XML client sees the whole label either way.
        const string XmlUid = "interop-label-node-cot-xml";
        const string ProtoUid = "interop-label-node-cot-proto";
        const string BarrierUid = "interop-label-node-cot-barrier";
        const string ReplyUid = "interop-label-usfj-reply";
        using var cts = new CancellationTokenSource(NodeScript.NetworkTimeout * 2);

        var written = await NodeScript.RunAsync("cot-roundtrip.mjs",
        [
            WriteRequest("x", XmlUid, "SECRET", "USA,JPN", Caveat),
            WriteRequest("p", ProtoUid, "SECRET", "USA,JPN", Caveat),
            WriteRequest("b", BarrierUid, "UNCLASSIFIED", "USA,JPN,KOR", null),
        ]);
        written.EnsureSuccess();
        var xml = Encoding.UTF8.GetBytes(written.Answer("x").Str("xml")!);
        var proto = Convert.FromBase64String(written.Answer("p").Str("proto_base64")!);
        var barrier = Convert.FromBase64String(written.Answer("b").Str("proto_base64")!);

        await using var usfj = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("usfj")),
            "--uid", ReplyUid, "--callsign", "USFJ-REPLY", "--send-on", "stdin",
            "--event", EventJson(ReplyUid, "SECRET", "USA,JPN", Caveat, NodeCotLabelTests.LabelJson()),
            "--expect-uid", XmlUid, "--expect-uid", ProtoUid, "--expect-uid", BarrierUid, "--expect-count", "3",
            "--timeout-ms", "55000",
        ]);
        await using var rok = Watcher("rok", "interop-label-node-cot-rok", BarrierUid);
        await Task.WhenAll(usfj.WaitForEventAsync("ready"), rok.WaitForEventAsync("ready"));

        var stage = "connect with a client certificate";
        try
        {
            await using var client = await ProtobufTakClient.ConnectAsync(node.CotTlsPort, node.Client("echo"), cts.Token);
            stage = "read the t-x-takp-v offer";
            await client.ReadXmlEventOfTypeAsync("t-x-takp-v", cts.Token);

            stage = "send node-cot's to_xml";
            await client.SendAsync(xml, cts.Token);
            var atUsXml = await usfj.WaitForEventAsync("cot", m => m.Str("uid") == XmlUid);
            AssertLabel(atUsXml, "SECRET", "USA,JPN", Caveat, category: true);

            stage = "ask for TAK protocol v1";
            var now = DateTime.UtcNow;
            var request = $"<event version=\"2.0\" uid=\"interop-label-proto-client\" type=\"t-x-takp-q\" how=\"m-g\" time=\"{Iso(now)}\" start=\"{Iso(now)}\" stale=\"{Iso(now.AddMinutes(1))}\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"9999999\" le=\"9999999\"/><detail><TakControl><TakRequest version=\"1\"/></TakControl></detail></event>";
            await client.SendAsync(Encoding.UTF8.GetBytes(request), cts.Token);
            var answer = await client.ReadXmlEventOfTypeAsync("t-x-takp-r", cts.Token);
            Assert.Contains("status=\"true\"", answer, StringComparison.Ordinal);

            stage = "send node-cot's to_proto";
            await client.SendAsync(ProtobufTakClient.Frame(proto), cts.Token);
            await client.SendAsync(ProtobufTakClient.Frame(barrier), cts.Token);
            var atUsProto = await usfj.WaitForEventAsync("cot", m => m.Str("uid") == ProtoUid);
            AssertLabel(atUsProto, "SECRET", "USA,JPN", Caveat, category: true);
            await usfj.WaitForEventAsync("cot", m => m.Str("uid") == BarrierUid);

            // The Korean client has the barrier, sent after both SECRET events: it never had them.
            await ExitedAsync(rok);
            AssertLabel(Assert.Single(Cot(rok.Messages), m => m.Str("uid") == BarrierUid), "UNCLASSIFIED", "USA,JPN,KOR", null, category: true);
            Assert.DoesNotContain(rok.Process.StandardOutputLines, line => line.Contains(XmlUid, StringComparison.Ordinal) || line.Contains(ProtoUid, StringComparison.Ordinal));

            stage = "read the US client's labelled reply as a protobuf frame and parse it with node-cot's from_proto";
            await usfj.Process.WriteLineAsync("send");
            JsonObject parsed;
            do
            {
                var frame = await client.ReadFrameAsync(cts.Token);
                var result = await NodeScript.RunAsync("cot-roundtrip.mjs",
                [
                    new JsonObject { ["op"] = "parse-proto", ["id"] = "f", ["base64"] = Convert.ToBase64String(frame) }.ToJsonString(),
                ]);
                parsed = result.EnsureSuccess().Answer("f");
                Assert.True(parsed.Bool("ok") == true, $"node-cot refused Kizuna's frame {Convert.ToHexString(frame)}: {parsed.Str("error")}");
            }
            while (parsed.Str("uid") != ReplyUid);

            // from_proto keeps access and the element; Kizuna's fields 16 and 17 are unknown to node-cot.
            Assert.Equal("SECRET", parsed.Str("access"));
            Assert.Null(parsed.Str("releasableTo"));
            Assert.Null(parsed.Str("caveat"));
            var label = Assert.IsType<JsonObject>(parsed["label"]);
            Assert.Equal(Policy, label.Str("policy"));
            Assert.Equal("SECRET", label.Str("classification"));
            Assert.Equal("USA,JPN", label.Str("releasableTo"));
            Assert.Equal(Caveat, label.Str("caveat"));
            await ExitedAsync(usfj);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException)
        {
            Assert.Fail($"The protobuf client failed at: {stage}: {e.Message}{Environment.NewLine}--- node ---{Environment.NewLine}{node.Process.Tail(40)}");
        }
    }

    /// <summary>A node-tak client that sends nothing and stops once it has the events of these uids.</summary>
    private NodeScript Watcher(string certificate, string uid, params string[] expectUids) =>
        NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client(certificate)),
            "--uid", uid,
            .. expectUids.SelectMany(u => new[] { "--expect-uid", u }),
            "--expect-count", expectUids.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--timeout-ms", "55000",
        ]);

    private static async Task ExitedAsync(NodeScript script)
    {
        var code = await script.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(code == 0, script.Process.Failure($"exited with {code}").Message);
    }

    /// <summary>One --event for tak-client.mjs.</summary>
    private static string EventJson(string uid, string access, string releasableTo, string? caveat, JsonObject? label)
    {
        var spec = new JsonObject { ["uid"] = uid, ["access"] = access, ["releasableTo"] = releasableTo };
        if (caveat is not null)
        {
            spec["caveat"] = caveat;
        }

        spec["label"] = label is null ? false : label.DeepClone();
        return spec.ToJsonString();
    }

    private static string WriteRequest(string id, string uid, string access, string releasableTo, string? caveat) => new JsonObject
    {
        ["op"] = "write",
        ["id"] = id,
        ["event"] = new JsonObject
        {
            ["uid"] = uid,
            ["type"] = "a-f-G-U-C",
            ["callsign"] = "NODE-COT-LABEL",
            ["lat"] = 35.6812,
            ["lon"] = 139.7671,
            ["access"] = access,
            ["releasableTo"] = releasableTo,
            ["caveat"] = caveat,
            ["label"] = NodeCotLabelTests.LabelJson(classification: access, releasableTo: releasableTo, caveat: caveat),
        },
    }.ToJsonString();

    /// <summary>The label of a received event as tak-client.mjs reports it: attributes and the element.</summary>
    /// <summary>
    /// The label as the client parsed it: always in the attributes; the __label element too when
    /// the label has categories (a plain label rides in the attributes alone, see docs/labels.md).
    /// </summary>
    private static void AssertLabel(JsonObject received, string classification, string releasableTo, string? caveat, bool category)
    {
        Assert.Equal(classification, received.Str("access"));
        Assert.Equal(releasableTo, received.Str("releasableTo"));
        Assert.Equal(caveat, received.Str("caveat"));
        var label = received["label"] as JsonObject;
        if (!category)
        {
            Assert.True(label is null, $"a plain label got a __label element: {received.Str("xml")}");
            return;
        }

        Assert.True(label is not null, $"no __label element in {received.Str("xml")}");
        Assert.Equal(Policy, label.Str("policy"));
        Assert.Equal(classification, label.Str("classification"));
        Assert.Equal(releasableTo, label.Str("releasableTo"));
        Assert.Equal(caveat, label.Str("caveat"));
        var only = Assert.IsType<JsonObject>(Assert.Single(Assert.IsType<JsonArray>(label["categories"])));
        Assert.Equal("exercise", only.Str("name"));
        Assert.Equal("informative", only.Str("type"));
        Assert.Equal("KIZUNA-SHIELD", only.Str("values"));
    }

    private static List<JsonObject> Cot(NodeScript script) => Cot(script.Messages);

    private static List<JsonObject> Cot(IEnumerable<JsonObject> messages) => [.. messages.Where(m => m.Event() == "cot")];

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
