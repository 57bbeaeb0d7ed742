using System.Text;
using System.Text.Json.Nodes;
using Kizuna.Cot;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// Kizuna's codecs against @tak-ps/node-cot, both ways: node-cot parses what Kizuna writes
/// (CoT XML and TAK protocol v1), and Kizuna decodes what node-cot writes (to_xml, to_proto).
/// No server: the codec output goes to cot-roundtrip.mjs as JSON lines and back.
/// </summary>
public sealed class NodeCotTests
{
    private const string RoundTrip = "cot-roundtrip.mjs";

    private static readonly DateTime Time = new(2025, 3, 24, 9, 30, 15, 250, DateTimeKind.Utc);

    public static TheoryData<string, string, string> Texts => new()
    {
        { "japanese", "統合作戦司令部", "弾道ミサイル発射。直ちに避難してください。" },
        { "korean", "합동참모본부", "탄도미사일 발사. 즉시 대피하십시오." },
        { "arabic", "قيادة العمليات المشتركة", "إطلاق صاروخ باليستي. احتموا فورًا." },
        { "markup", "A&B <HQ> \"Q\" 'R'", "x < y && y > z; </remarks> <!-- not a comment -->" },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task Node_cot_parses_kizuna_xml(string language, string callsign, string remarks)
    {
        var evt = Event($"kizuna-xml-{language}", callsign, remarks);
        var xml = Encoding.UTF8.GetString(CotXml.Encode(evt));

        var result = await NodeScript.RunAsync(RoundTrip, [RoundTripRequests.Request("parse-xml", "x", ("xml", xml))]);
        var parsed = RoundTripRequests.Parsed(result.EnsureSuccess(), "x", xml);

        AssertSame(evt, callsign, remarks, parsed);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task Node_cot_parses_kizuna_protobuf_as_message_stream_frame_and_mesh_datagram(string language, string callsign, string remarks)
    {
        var evt = Event($"kizuna-proto-{language}", callsign, remarks);
        var forms = new (string Id, byte[] Bytes, string Framing)[]
        {
            ("message", TakProto.EncodeMessage(evt), "none"),
            ("stream", TakProto.EncodeStreamFrame(evt), "stream"),
            ("mesh", TakProto.EncodeMeshDatagram(evt), "mesh"),
        };

        var result = await NodeScript.RunAsync(
            RoundTrip,
            forms.Select(f => RoundTripRequests.Request("parse-proto", f.Id, ("base64", Convert.ToBase64String(f.Bytes)))));
        result.EnsureSuccess();

        foreach (var (id, bytes, framing) in forms)
        {
            var parsed = RoundTripRequests.Parsed(result, id, Convert.ToHexString(bytes));
            Assert.Equal(framing, parsed.Str("framing"));
            AssertSame(evt, callsign, remarks, parsed);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task Kizuna_decodes_node_cot_xml(string language, string callsign, string remarks)
    {
        // node-cot writes attribute values without escaping & and <: Kizuna must take them.
        var written = await Write($"node-cot-xml-{language}", callsign, remarks);
        var xml = written.Str("xml")!;

        var evt = CotXml.Decode(Encoding.UTF8.GetBytes(xml));

        AssertDecoded($"node-cot-xml-{language}", callsign, remarks, evt, xml);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task Kizuna_decodes_node_cot_protobuf(string language, string callsign, string remarks)
    {
        var written = await Write($"node-cot-proto-{language}", callsign, remarks);
        Assert.Equal("none", written.Str("proto_framing"));
        var payload = Convert.FromBase64String(written.Str("proto_base64")!);

        var (evt, control) = TakProto.DecodeMessage(payload);

        Assert.Null(control);
        Assert.NotNull(evt);
        AssertDecoded($"node-cot-proto-{language}", callsign, remarks, evt, Convert.ToHexString(payload));
    }

    [Fact]
    public async Task Kizuna_decodes_node_cot_protobuf_in_a_stream_frame()
    {
        // node-cot's to_proto is the bare TakMessage; a client that streams it adds 0xBF and the length.
        var written = await Write("node-cot-framed", "FRAMED", "framed by hand");
        var payload = Convert.FromBase64String(written.Str("proto_base64")!);
        var frame = new List<byte> { 0xBF };
        for (var length = (uint)payload.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                frame.Add((byte)length);
                break;
            }

            frame.Add((byte)(length | 0x80));
        }

        frame.AddRange(payload);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(frame.ToArray());
        var status = new TakStreamReader().TryRead(ref buffer, out var evt, out _, out var reject);

        Assert.True(status == ReadStatus.Event, $"{status}: {reject}");
        Assert.Equal("node-cot-framed", evt!.Uid);
        Assert.Equal("FRAMED", evt.Detail.ContactCallsign);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public async Task Kizuna_decodes_what_node_cot_writes_back_after_parsing_kizuna_xml()
    {
        // A relay built on node-cot parses, then writes again: it adds
        // <_flow-tags_><NodeCoT-x.y.z>time</NodeCoT-x.y.z></_flow-tags_> and unescapes & and < in attributes.
        var evt = Event("kizuna-relayed", "J&K <relay>", "중계 & 転送");
        var xml = Encoding.UTF8.GetString(CotXml.Encode(evt));
        var result = await NodeScript.RunAsync(RoundTrip, [RoundTripRequests.Request("parse-xml", "r", ("xml", xml))]);
        var rewritten = RoundTripRequests.Parsed(result.EnsureSuccess(), "r", xml).Str("xml")!;

        var back = CotXml.Decode(Encoding.UTF8.GetBytes(rewritten));

        Assert.Equal("kizuna-relayed", back.Uid);
        Assert.Equal("J&K <relay>", back.Detail.ContactCallsign);
        Assert.Contains("_flow-tags_", back.Detail.InnerXml, StringComparison.Ordinal);
        Assert.Equal(evt.Time, back.Time);
    }

    private static CotEvent Event(string uid, string callsign, string remarks) => new()
    {
        Uid = uid,
        Type = "a-f-G-U-C",
        How = "m-g",
        Time = Time,
        Start = Time,
        Stale = Time.AddMinutes(10),
        Point = new CotPoint(35.6812, 139.7671, 40.5, 12.25, CotPoint.UnknownValue),
        Detail = CotDetail.FromXml(
            $"<contact callsign=\"{Escape(callsign)}\" endpoint=\"*:-1:stcp\"/>" +
            "<__group name=\"Cyan\" role=\"HQ\"/>" +
            $"<remarks>{Escape(remarks)}</remarks>"),
    };

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text);

    private static async Task<JsonObject> Write(string uid, string callsign, string remarks)
    {
        var request = new JsonObject
        {
            ["op"] = "write",
            ["id"] = "w",
            ["event"] = new JsonObject
            {
                ["uid"] = uid,
                ["type"] = "a-f-G-U-C",
                ["how"] = "m-g",
                ["time"] = "2025-03-24T09:30:15.250Z",
                ["stale"] = "2025-03-24T09:40:15.250Z",
                ["callsign"] = callsign,
                ["remarks"] = remarks,
                ["lat"] = 37.5326,
                ["lon"] = 127.0246,
                ["hae"] = 12.5,
                ["group"] = new JsonObject { ["name"] = "Dark Blue", ["role"] = "HQ" },
            },
        };
        var result = await NodeScript.RunAsync(RoundTrip, [request.ToJsonString()]);
        var answer = result.EnsureSuccess().Answer("w");
        Assert.True(answer.Bool("ok") == true, answer.Str("error"));
        return answer;
    }

    private static void AssertSame(CotEvent expected, string callsign, string remarks, JsonObject parsed)
    {
        Assert.Equal(expected.Uid, parsed.Str("uid"));
        Assert.Equal(expected.Type, parsed.Str("type"));
        Assert.Equal(expected.How, parsed.Str("how"));
        Assert.Equal(callsign, parsed.Str("callsign"));
        Assert.Equal(remarks, parsed.Str("remarks"));
        Assert.Equal(expected.Time, DateTime.Parse(parsed.Str("time")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal));
        Assert.Equal(expected.Stale, DateTime.Parse(parsed.Str("stale")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal));
        var point = (JsonObject)parsed["point"]!;
        Assert.Equal(expected.Point.Lat, point.Num("lat")!.Value, 9);
        Assert.Equal(expected.Point.Lon, point.Num("lon")!.Value, 9);
        Assert.Equal(expected.Point.Hae, point.Num("hae")!.Value, 9);
        var group = parsed["group"] as JsonObject;
        Assert.NotNull(group);
        Assert.Equal("Cyan", group.Str("name"));
        Assert.Equal("HQ", group.Str("role"));
    }

    private static void AssertDecoded(string uid, string callsign, string remarks, CotEvent evt, string input)
    {
        Assert.True(evt.Uid == uid, $"uid {evt.Uid} from {input}");
        Assert.Equal("a-f-G-U-C", evt.Type);
        Assert.Equal("m-g", evt.How);
        Assert.Equal(new DateTime(2025, 3, 24, 9, 30, 15, 250, DateTimeKind.Utc), evt.Time);
        Assert.Equal(new DateTime(2025, 3, 24, 9, 40, 15, 250, DateTimeKind.Utc), evt.Stale);
        Assert.Equal(37.5326, evt.Point.Lat, 9);
        Assert.Equal(127.0246, evt.Point.Lon, 9);
        Assert.Equal(12.5, evt.Point.Hae, 9);
        Assert.Equal(callsign, evt.Detail.ContactCallsign);
        Assert.Contains("__group", evt.Detail.InnerXml, StringComparison.Ordinal);
        var detail = System.Xml.Linq.XElement.Parse($"<detail>{evt.Detail.InnerXml}</detail>");
        Assert.Equal(remarks, detail.Element("remarks")?.Value);
    }
}
