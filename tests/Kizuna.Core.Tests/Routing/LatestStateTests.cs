using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;

namespace Kizuna.Core.Tests.Routing;

/// <summary>The latest event of each uid, held as its XML and read back for a replay.</summary>
public sealed class LatestStateTests
{
    private static readonly DateTime T0 = new(2026, 11, 27, 6, 0, 0, DateTimeKind.Utc);
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());

    private static SharedEvent Event(string uid, DateTime time, string remarks = "", ConfidentialityLabel? label = null, string sender = "test", double lat = 35.0)
    {
        var evt = new CotEvent
        {
            Uid = uid,
            Type = "a-f-G-U-C",
            How = "m-g",
            Time = time,
            Start = time,
            Stale = time.AddMinutes(5),
            Point = new CotPoint(lat, 139.7, 10, 5, 5),
            Detail = CotDetail.FromXml($"<remarks>{remarks}</remarks>"),
        };
        return new SharedEvent(evt, label ?? Labels.Create("UNCLASSIFIED", ["JPN"]), sender, time.AddMilliseconds(3));
    }

    [Fact]
    public void A_replayed_event_comes_back_whole_with_its_label_sender_and_receive_time()
    {
        var latest = new LatestState();
        var label = Labels.Create("UNCLASSIFIED", ["JPN", "USA"]);
        var sent = Event("alpha", T0, "first words", label, "CN=jjoc-1");
        latest.Update(sent);

        var replayed = Assert.Single(latest.Snapshot(T0));

        Assert.Equal(sent.Encoded(WireFormat.CotXml).ToArray(), replayed.Encoded(WireFormat.CotXml).ToArray());
        Assert.Equal(sent.Event.Point, replayed.Event.Point);
        Assert.Equal(sent.Event.Stale, replayed.Event.Stale);
        Assert.Same(label, replayed.Label);
        Assert.Equal("CN=jjoc-1", replayed.Sender);
        Assert.Equal(sent.ReceivedAt, replayed.ReceivedAt);
    }

    [Fact]
    public void A_newer_event_replaces_the_held_one_whether_its_xml_is_longer_or_shorter_and_an_older_one_does_not()
    {
        var latest = new LatestState();
        latest.Update(Event("alpha", T0, "short"));
        latest.Update(Event("alpha", T0.AddSeconds(1), new string('x', 2000), lat: 36));
        Assert.Equal(36, Assert.Single(latest.Snapshot(T0)).Event.Point.Lat);

        latest.Update(Event("alpha", T0.AddSeconds(2), "s", lat: 37));
        var held = Assert.Single(latest.Snapshot(T0));
        Assert.Equal(37, held.Event.Point.Lat);
        Assert.Equal(Event("alpha", T0.AddSeconds(2), "s", lat: 37).Encoded(WireFormat.CotXml).ToArray(), held.Encoded(WireFormat.CotXml).ToArray());

        latest.Update(Event("alpha", T0, "late and old", lat: 1));
        Assert.Equal(37, Assert.Single(latest.Snapshot(T0)).Event.Point.Lat);
    }

    [Fact]
    public void A_snapshot_leaves_out_and_forgets_stale_entities_and_a_later_event_brings_one_back()
    {
        var latest = new LatestState();
        latest.Update(Event("alpha", T0));
        latest.Update(Event("bravo", T0.AddMinutes(10)));

        var later = latest.Snapshot(T0.AddMinutes(6));

        Assert.Equal("bravo", Assert.Single(later).Event.Uid);
        Assert.Equal(1, latest.Count);
        latest.Update(Event("alpha", T0.AddMinutes(7)));
        Assert.Equal(["alpha", "bravo"], latest.Snapshot(T0.AddMinutes(7)).Select(s => s.Event.Uid));
    }
}
