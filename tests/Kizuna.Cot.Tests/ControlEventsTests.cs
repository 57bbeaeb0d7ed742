namespace Kizuna.Cot.Tests;

public sealed class ControlEventsTests
{
    private static readonly DateTime Now = new(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc);

    private static CotEvent Request(string detail, string type = TakControlEvents.ProtocolRequestType)
        => CotXml.Decode($"<event version=\"2.0\" uid=\"ANDROID-1\" type=\"{type}\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"0\" le=\"0\"/><detail>{detail}</detail></event>");

    [Fact]
    public void The_offer_holds_tak_protocol_support_version_1_and_the_server_version()
    {
        var offer = CotXml.Decode(CotXml.Encode(TakControlEvents.CreateProtocolOffer(Now)));
        Assert.Equal("t-x-takp-v", offer.Type);
        Assert.Equal("protouid", offer.Uid);
        var control = offer.Detail.Element("TakControl")!;
        Assert.Equal("1", control.Child("TakProtocolSupport")!.Attribute("version"));
        Assert.Equal(TakControlEvents.ServerVersion, control.Child("TakServerVersionInfo")!.Attribute("serverVersion"));
    }

    [Fact]
    public void Control_events_are_current_when_made_and_stale_twenty_seconds_later()
    {
        var offer = TakControlEvents.CreateProtocolOffer(Now);
        Assert.Equal(Now, offer.Time);
        Assert.Equal(Now, offer.Start);
        Assert.Equal(Now.AddSeconds(20), offer.Stale);
        Assert.Equal((0.0, 0.0), (offer.Point.Lat, offer.Point.Lon));
    }

    [Fact]
    public void A_protocol_request_gives_its_version()
    {
        Assert.True(TakControlEvents.TryGetProtocolRequest(Request("<TakControl><TakRequest version=\"1\"/></TakControl>"), out var version));
        Assert.Equal(1u, version);
        Assert.True(TakControlEvents.TryGetProtocolRequest(Request("<TakControl><TakRequest version=\"7\"/></TakControl>"), out version));
        Assert.Equal(7u, version);
    }

    [Theory]
    [InlineData("<TakControl><TakRequest/></TakControl>")]
    [InlineData("<TakControl><TakRequest version=\"one\"/></TakControl>")]
    [InlineData("<TakControl><TakRequest version=\"-1\"/></TakControl>")]
    [InlineData("<TakControl><TakRequest version=\" 1\"/></TakControl>")]
    [InlineData("<TakControl/>")]
    [InlineData("")]
    public void A_protocol_request_without_a_readable_version_is_not_a_request(string detail)
        => Assert.False(TakControlEvents.TryGetProtocolRequest(Request(detail), out _));

    [Fact]
    public void An_event_of_another_type_is_not_a_protocol_request()
    {
        Assert.False(TakControlEvents.TryGetProtocolRequest(Request("<TakControl><TakRequest version=\"1\"/></TakControl>", type: "a-f-G"), out _));
        Assert.False(TakControlEvents.TryGetProtocolRequest(TakControlEvents.CreateProtocolOffer(Now), out _));
    }

    [Theory]
    [InlineData(true, "true")]
    [InlineData(false, "false")]
    public void The_response_says_whether_the_switch_was_accepted(bool accepted, string status)
    {
        var response = CotXml.Decode(CotXml.Encode(TakControlEvents.CreateProtocolResponse(accepted, Now)));
        Assert.Equal("t-x-takp-r", response.Type);
        Assert.Equal(status, response.Detail.Element("TakControl")!.Child("TakResponse")!.Attribute("status"));
    }

    [Fact]
    public void A_ping_is_answered_with_a_pong()
    {
        var ping = Request(string.Empty, type: TakControlEvents.PingType);
        var pong = TakControlEvents.CreatePong(ping, Now);
        Assert.Equal("t-x-c-t-r", pong.Type);
        Assert.Equal(Now, pong.Time);
        Assert.Equal("t-x-c-t-r", CotXml.Decode(CotXml.Encode(pong)).Type);
    }

    [Fact]
    public void Control_events_also_travel_as_protobuf()
    {
        var offer = TakControlEvents.CreateProtocolOffer(Now);
        var back = TakProto.DecodeMessage(TakProto.EncodeMessage(offer)).Event!;
        Assert.Equal(Sample.Canonical(offer), Sample.Canonical(back));
    }
}
