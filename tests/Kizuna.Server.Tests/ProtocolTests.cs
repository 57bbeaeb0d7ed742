using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

public sealed class ProtocolTests
{
    [Fact]
    public async Task A_ping_is_answered_with_a_pong_and_not_relayed()
    {
        await using var node = await TestNode.StartAsync();
        await using var pinger = await node.ConnectTcpAsync();
        await using var other = await node.ConnectTcpAsync();

        await pinger.SendAsync(CotText.Ping());
        await pinger.ExpectAsync(e => e.Type == TakControlEvents.PongType, "a pong");

        await pinger.SendAsync(CotText.Position("after-ping", "P"));
        await other.ExpectUidAsync("after-ping");
        Assert.DoesNotContain(other.Received, e => e.Type == TakControlEvents.PingType);
    }

    [Fact]
    public async Task The_node_offers_protobuf_and_switches_a_client_that_asks()
    {
        await using var node = await TestNode.StartAsync();
        await using var proto = await node.ConnectTcpAsync();
        await using var xml = await node.ConnectTcpAsync();

        await proto.SendAsync(CotText.ProtocolRequest(1));
        var answer = await proto.ExpectAsync(e => e.Type == TakControlEvents.ProtocolResponseType, "the protocol answer");
        Assert.Contains("status=\"true\"", answer.Detail.InnerXml, StringComparison.Ordinal);
        Assert.Equal(WireFormat.TakProtobufV1, proto.Format);

        // XML in, protobuf out.
        await xml.SendAsync(CotText.Position("xml-sender", "XRAY"));
        var relayed = await proto.ExpectUidAsync("xml-sender");
        Assert.Equal("XRAY", relayed.Detail.ContactCallsign);

        // Protobuf in, XML out.
        await proto.SendAsync(CotXml.Decode(System.Text.Encoding.UTF8.GetBytes(CotText.Position("proto-sender", "PAPA"))));
        var back = await xml.ExpectUidAsync("proto-sender");
        Assert.Equal("PAPA", back.Detail.ContactCallsign);

        // Pings keep working in protobuf.
        await proto.SendAsync(CotXml.Decode(System.Text.Encoding.UTF8.GetBytes(CotText.Ping("proto-ping"))));
        await proto.ExpectAsync(e => e.Type == TakControlEvents.PongType, "a pong in protobuf");
    }

    [Fact]
    public async Task An_unsupported_protocol_version_is_declined_and_the_client_stays_on_xml()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await node.ConnectTcpAsync();
        await using var other = await node.ConnectTcpAsync();

        await client.SendAsync(CotText.ProtocolRequest(7));
        var answer = await client.ExpectAsync(e => e.Type == TakControlEvents.ProtocolResponseType, "the protocol answer");
        Assert.Contains("status=\"false\"", answer.Detail.InnerXml, StringComparison.Ordinal);
        Assert.Equal(WireFormat.CotXml, client.Format);

        await other.SendAsync(CotText.Position("still-xml", "S"));
        await client.ExpectUidAsync("still-xml");
    }
}
