using System.Text;
using System.Text.Json.Nodes;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// Confidentiality labels through @tak-ps/node-cot, both ways, without a server: node-cot parses
/// what Kizuna stamps (XML and TAK protocol v1) and keeps the label, and Kizuna reads and accepts
/// the label of what node-cot writes. node-cot's protobuf schema has no caveat (16) or
/// releasableTo (17) fields, so through its to_proto/from_proto only <c>access</c> and the
/// <c>__label</c> detail element (carried in xmlDetail) survive: that is why the element exists.
/// </summary>
public sealed class NodeCotLabelTests
{
    private const string RoundTrip = "cot-roundtrip.mjs";
    private const string Policy = "urn:kizuna:policy:us-jpn-kor";
    private const string Caveat = "EXERCISE KIZUNA SHIELD";

    private static readonly DateTime Time = new(2025, 3, 24, 9, 30, 15, 250, DateTimeKind.Utc);

    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());

    /// <summary>A JJOC watch officer cleared SECRET, as the node would know the sender of a certificate.</summary>
    private static readonly Principal JjocSecret = Principal("jjoc-watch", "JPN", "JJOC");

    [Fact]
    public async Task Node_cot_keeps_every_part_of_the_label_kizuna_stamps_on_xml()
    {
        var evt = Stamped("kizuna-label-xml");
        var xml = Encoding.UTF8.GetString(CotXml.Encode(evt));

        var result = await NodeScript.RunAsync(RoundTrip, [RoundTripRequests.Request("parse-xml", "x", ("xml", xml))]);
        var parsed = RoundTripRequests.Parsed(result.EnsureSuccess(), "x", xml);

        Assert.Equal("SECRET", parsed.Str("access"));
        Assert.Equal("USA,JPN", parsed.Str("releasableTo"));
        Assert.Equal(Caveat, parsed.Str("caveat"));
        AssertLabelElement(parsed, "SECRET", "USA,JPN", Caveat);

        // What node-cot writes back (a relay built on it) still carries the same label for Kizuna.
        var rewritten = CotXml.Decode(Encoding.UTF8.GetBytes(parsed.Str("xml")!));
        Assert.Equal(Labels.Read(evt), Labels.Read(rewritten));
    }

    [Fact]
    public async Task Node_cot_keeps_access_and_the_label_element_of_kizuna_protobuf_but_has_no_fields_for_caveat_and_releasable_to()
    {
        var evt = Stamped("kizuna-label-proto");
        var forms = new (string Id, byte[] Bytes)[]
        {
            ("message", TakProto.EncodeMessage(evt)),
            ("stream", TakProto.EncodeStreamFrame(evt)),
        };

        var result = await NodeScript.RunAsync(
            RoundTrip,
            forms.Select(f => RoundTripRequests.Request("parse-proto", f.Id, ("base64", Convert.ToBase64String(f.Bytes)))));
        result.EnsureSuccess();

        foreach (var (id, bytes) in forms)
        {
            var parsed = RoundTripRequests.Parsed(result, id, Convert.ToHexString(bytes));
            Assert.Equal("SECRET", parsed.Str("access"));
            // Kizuna writes fields 16 and 17; node-cot's schema does not know them and drops them.
            Assert.Null(parsed.Str("releasableTo"));
            Assert.Null(parsed.Str("caveat"));
            // The element in xmlDetail still says all of it.
            AssertLabelElement(parsed, "SECRET", "USA,JPN", Caveat);

            // And Kizuna reads the whole label back from what node-cot kept.
            var back = CotXml.Decode(Encoding.UTF8.GetBytes(parsed.Str("xml")!));
            Assert.Null(back.ReleasableTo);
            Assert.Equal(Labels.Read(evt), Labels.Read(back));
        }
    }

    [Fact]
    public async Task Kizuna_accepts_the_label_of_what_node_cot_writes_as_xml()
    {
        var written = await Write("node-cot-label-xml");
        var evt = CotXml.Decode(Encoding.UTF8.GetBytes(written.Str("xml")!));

        Assert.Equal("SECRET", evt.Access);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.Equal(Caveat, evt.Caveat);
        AssertAccepted(evt);
    }

    [Fact]
    public async Task Kizuna_accepts_the_label_of_what_node_cot_writes_as_protobuf_from_the_label_element()
    {
        var written = await Write("node-cot-label-proto");
        var (evt, control) = TakProto.DecodeMessage(Convert.FromBase64String(written.Str("proto_base64")!));

        Assert.Null(control);
        Assert.NotNull(evt);
        Assert.Equal("SECRET", evt.Access);
        // node-cot's to_proto has no fields for these: releasability and caveat come from the element.
        Assert.Null(evt.ReleasableTo);
        Assert.Null(evt.Caveat);
        AssertAccepted(evt);
    }

    [Fact]
    public async Task Kizuna_refuses_a_node_cot_label_that_names_another_security_policy()
    {
        var written = await Write("node-cot-label-foreign", policy: "urn:example:policy:other");
        var evt = CotXml.Decode(Encoding.UTF8.GetBytes(written.Str("xml")!));

        var verdict = Labels.Accept(evt, JjocSecret);

        Assert.False(verdict.Accepted);
        Assert.Equal(LabelRefusal.ForeignPolicy, verdict.Refusal);
    }

    private static void AssertAccepted(CotEvent evt)
    {
        var verdict = Labels.Accept(evt, JjocSecret);

        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal(Policy, verdict.Label.Policy);
        Assert.Equal("SECRET", verdict.Label.Classification);
        Assert.Equal(["USA", "JPN"], verdict.Label.ReleasableTo);
        Assert.Equal(Caveat, verdict.Label.Caveat);
        var category = Assert.Single(verdict.Label.Categories);
        Assert.Equal("exercise", category.Name);
        Assert.Equal(CategoryType.Informative, category.Type);
        Assert.Equal(["KIZUNA-SHIELD"], category.Values);

        // Accepted means stamped: all three attributes, whatever the wire carried.
        Assert.Equal("SECRET", evt.Access);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.Equal(Caveat, evt.Caveat);
        Assert.Equal("SECRET", evt.Detail.Label?.Attribute("classification"));
    }

    private static void AssertLabelElement(JsonObject parsed, string classification, string releasableTo, string caveat)
    {
        var label = parsed["label"] as JsonObject;
        Assert.True(label is not null, $"node-cot lost the __label element: {parsed["detail"]?.ToJsonString()}");
        Assert.Equal(Policy, label.Str("policy"));
        Assert.Equal(classification, label.Str("classification"));
        Assert.Equal(releasableTo, label.Str("releasableTo"));
        Assert.Equal(caveat, label.Str("caveat"));
        var category = Assert.IsType<JsonObject>(Assert.Single(Assert.IsType<JsonArray>(label["categories"])));
        Assert.Equal("exercise", category.Str("name"));
        Assert.Equal("informative", category.Str("type"));
        Assert.Equal("KIZUNA-SHIELD", category.Str("values"));
    }

    private static Principal Principal(string name, string nation, string organization)
    {
        var claims = new IdentityClaims(name, nation, organization, "watch-officer", "SECRET", []);
        Assert.True(Labels.TryCreatePrincipal(claims, out var principal, out var reason), reason);
        return principal;
    }

    /// <summary>A JJOC event labelled SECRET, releasable to USA and JPN, with a caveat and an informative category, stamped as the node stamps it.</summary>
    private static CotEvent Stamped(string uid)
    {
        var evt = new CotEvent
        {
            Uid = uid,
            Type = "a-f-G-U-C",
            How = "m-g",
            Time = Time,
            Start = Time,
            Stale = Time.AddMinutes(10),
            Point = new CotPoint(35.6812, 139.7671, 40.5, 12.25, CotPoint.UnknownValue),
            Detail = CotDetail.FromXml("<contact callsign=\"JJOC-WATCH\"/><remarks>ラベル付き</remarks>"),
        };
        var label = Labels.Create("SECRET", ["JPN", "USA"], [new LabelCategory("exercise", CategoryType.Informative, ["KIZUNA-SHIELD"])], Caveat);
        Labels.Stamp(evt, label);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.NotNull(evt.Detail.Label);
        return evt;
    }

    /// <summary>node-cot's to_xml and to_proto of a SECRET USA,JPN event with a caveat, an informative category and the label element.</summary>
    private static async Task<JsonObject> Write(string uid, string policy = Policy)
    {
        var request = new JsonObject
        {
            ["op"] = "write",
            ["id"] = "w",
            ["event"] = new JsonObject
            {
                ["uid"] = uid,
                ["type"] = "a-f-G-U-C",
                ["callsign"] = "NODE-COT",
                ["remarks"] = "labelled by node-cot",
                ["lat"] = 35.6812,
                ["lon"] = 139.7671,
                ["access"] = "SECRET",
                ["releasableTo"] = "USA,JPN",
                ["caveat"] = Caveat,
                ["label"] = LabelJson(policy),
            },
        };
        var result = await NodeScript.RunAsync(RoundTrip, [request.ToJsonString()]);
        var answer = result.EnsureSuccess().Answer("w");
        Assert.True(answer.Bool("ok") == true, answer.Str("error"));
        return answer;
    }

    /// <summary>The label element's attributes as cot-roundtrip.mjs and tak-client.mjs take them.</summary>
    internal static JsonObject LabelJson(string policy = Policy, string classification = "SECRET", string releasableTo = "USA,JPN", string? caveat = Caveat)
    {
        var label = new JsonObject
        {
            ["policy"] = policy,
            ["classification"] = classification,
            ["releasableTo"] = releasableTo,
            ["categories"] = new JsonArray(new JsonObject { ["name"] = "exercise", ["type"] = "informative", ["values"] = "KIZUNA-SHIELD" }),
        };
        if (caveat is not null)
        {
            label["caveat"] = caveat;
        }

        return label;
    }
}
