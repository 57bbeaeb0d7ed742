using Google.Protobuf;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation.Tests;

public class MappingTests
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly FederationMapper Mapper = new(Labels);

    private static FederatedInbound ThroughTheWire(FederatedEvent message)
        => Mapper.FromFederated(FederatedEvent.Parser.ParseFrom(message.ToByteArray()));

    [Fact]
    public void Any_labelled_event_survives_the_federation_wire_unchanged()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var (evt, label) = RandomEvent(random);
            Labels.Stamp(evt, label);
            var origin = new EventOrigin("kizuna-" + random.Next(1000, 9999), (ulong)random.NextInt64(1, long.MaxValue));

            var inbound = ThroughTheWire(FederationMapper.ToFederated(evt, label, origin));

            Assert.NotNull(inbound.Event);
            Assert.Equal(label, inbound.Label);
            Assert.Null(inbound.LabelProblem);
            Assert.Equal(origin, inbound.Origin);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(CotXml.Encode(evt)), System.Text.Encoding.UTF8.GetString(CotXml.Encode(inbound.Event)));
        }
    }

    [Fact]
    public void The_label_rides_in_the_fields_a_TAK_Server_reads_too()
    {
        var (evt, _) = RandomEvent(new Random(7));
        var label = Labels.Create("SECRET", ["USA", "JPN"], caveat: "EXERCISE");
        var message = FederationMapper.ToFederated(evt, label);
        Assert.Equal("SECRET", message.Event.Access);
        Assert.Equal("USA,JPN", message.Event.ReleaseableTo);
        Assert.Equal("EXERCISE", message.Event.Caveat);
        Assert.StartsWith("<detail>", message.Event.Other, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TAK_Server_message_without_Kizuna_extensions_is_read()
    {
        var message = new FederatedEvent
        {
            Event = new GeoEvent
            {
                Uid = "ANDROID-tak-1",
                Type = "a-f-G-U-C",
                CoordSource = "m-g",
                SendTime = 1_760_000_000_000,
                StartTime = 1_760_000_000_000,
                StaleTime = 1_760_000_120_000,
                Lat = 35.68,
                Lon = 139.76,
                Hae = 40,
                Ce = 9999999,
                Le = 9999999,
                Other = "<detail><contact callsign=\"VIPER 1\" endpoint=\"*:-1:stcp\"/><remarks>on station &amp; ready</remarks></detail>",
                ScreenName = "VIPER 1",
                GroupName = "Cyan",
                GroupRole = "Team Member",
                Access = "CONFIDENTIAL",
                ReleaseableTo = "USA,JPN",
            },
            Contact = new ContactListEntry { Operation = CRUD.Update, Uid = "ANDROID-tak-1", Callsign = "VIPER 1" },
        };
        message.FederateProvenance.Add(new FederateProvenance { FederationServerId = "tak-server-1", FederationServerName = "TAK" });

        var inbound = ThroughTheWire(message);

        var evt = Assert.IsType<CotEvent>(inbound.Event);
        Assert.Equal("ANDROID-tak-1", evt.Uid);
        Assert.Equal("m-g", evt.How);
        Assert.Equal(new DateTime(2025, 10, 9, 8, 53, 20, DateTimeKind.Utc), evt.Time);
        Assert.Equal("VIPER 1", evt.Detail.ContactCallsign);
        Assert.Equal("on station & ready", evt.Detail.Element("remarks")!.Text);
        Assert.Equal("Cyan", evt.Detail.Element("__group")!.Attribute("name"));
        Assert.Equal("CONFIDENTIAL", evt.Access);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        Assert.Null(inbound.Label);
        Assert.Null(inbound.Origin);
        Assert.Equal("tak-server-1", Assert.Single(inbound.Provenance).FederationServerId);
        Assert.Equal("CONFIDENTIAL", Labels.Read(evt)!.Classification);
    }

    [Fact]
    public void A_TAK_message_with_only_typed_fields_gets_its_contact_and_group_as_detail()
    {
        var message = new FederatedEvent
        {
            Event = new GeoEvent { Uid = "u-1", Type = "a-f-G", ScreenName = "HAWK", GroupName = "Red", GroupRole = "HQ", Battery = 80 },
        };
        var evt = ThroughTheWire(message).Event!;
        Assert.Equal("HAWK", evt.Detail.ContactCallsign);
        Assert.Equal("HQ", evt.Detail.Element("__group")!.Attribute("role"));
        Assert.Equal("80", evt.Detail.Element("status")!.Attribute("battery"));
    }

    [Fact]
    public void An_acknowledgement_carries_holdings_and_no_event()
    {
        var holdings = new KizunaHoldings();
        holdings.Positions.Add(new KizunaOriginPosition { OriginNodeId = "kizuna-a", Sequence = 42 });
        var inbound = ThroughTheWire(FederationMapper.Acknowledgement(holdings));
        Assert.Null(inbound.Event);
        Assert.Equal(42UL, Assert.Single(inbound.Ack!.Positions).Sequence);
    }

    [Fact]
    public void A_label_of_another_policy_is_not_taken_and_says_why()
    {
        var (evt, label) = RandomEvent(new Random(3));
        var message = FederationMapper.ToFederated(evt, label);
        message.Kizuna.Label.Policy = "urn:other";
        var inbound = ThroughTheWire(message);
        Assert.Null(inbound.Label);
        Assert.Contains("urn:other", inbound.LabelProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_detail_that_is_not_well_formed_is_refused()
    {
        var message = new FederatedEvent { Event = new GeoEvent { Uid = "u", Type = "a-f-G", Other = "<detail><contact callsign=\"x\"></detail>" } };
        Assert.Throws<CotFormatException>(() => ThroughTheWire(message));
    }

    private static (CotEvent Event, ConfidentialityLabel Label) RandomEvent(Random random)
    {
        var nations = new[] { "USA", "JPN", "KOR" }.Where(_ => random.Next(2) == 0).ToList();
        if (nations.Count == 0)
        {
            nations.Add("JPN");
        }

        IReadOnlyList<LabelCategory>? categories = random.Next(3) == 0 ? [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])] : null;
        var label = Labels.Create(Labels.Profile.Classifications[random.Next(3)], nations, categories, random.Next(2) == 0 ? "EXERCISE" : null);
        var time = DateTime.UnixEpoch.AddMilliseconds(random.NextInt64(1_600_000_000_000, 1_900_000_000_000));
        var detail = new List<string>();
        if (random.Next(2) == 0)
        {
            detail.Add($"<contact callsign=\"CS-{random.Next(100)} &amp; &lt;x&gt;\" endpoint=\"*:-1:stcp\"/>");
        }

        if (random.Next(2) == 0)
        {
            detail.Add($"<__group name=\"Cyan\" role=\"Team Member\"/>");
        }

        if (random.Next(2) == 0)
        {
            detail.Add($"<remarks source=\"r{random.Next(10)}\">text {random.Next()} &amp; 日本語</remarks>");
        }

        if (random.Next(3) == 0)
        {
            detail.Add("<link uid=\"x\" relation=\"p-p\"><nested a=\"1\"/></link>");
        }

        var evt = new CotEvent
        {
            Uid = "uid-" + random.Next(),
            Type = random.Next(2) == 0 ? "a-f-G-U-C" : "b-m-p-s-p-i",
            How = random.Next(3) == 0 ? null : "m-g",
            Time = time,
            Start = time,
            Stale = time.AddMinutes(random.Next(1, 60)),
            Point = new CotPoint(random.NextDouble() * 180 - 90, random.NextDouble() * 360 - 180, random.Next(2) == 0 ? CotPoint.UnknownValue : random.NextDouble() * 1000, 10.5, CotPoint.UnknownValue),
            Qos = random.Next(3) == 0 ? "1-r-c" : null,
            Opex = random.Next(3) == 0 ? "e-EXERCISE" : null,
            Detail = CotDetail.FromXml(string.Concat(detail)),
        };
        if (random.Next(3) == 0)
        {
            evt.ExtraAttributes = [new("x-custom", "v" + random.Next(10))];
        }

        return (evt, label);
    }
}
