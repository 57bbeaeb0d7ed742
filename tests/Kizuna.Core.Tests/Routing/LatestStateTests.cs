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

    [Fact]
    public void A_reader_is_given_the_newest_version_it_may_see_when_a_newer_one_is_hidden_from_it()
    {
        var latest = new LatestState();
        var usa = Labels.Anonymous("USFJ", "usa-reader");
        var jpn = Labels.Anonymous("JJOC", "jpn-reader");
        latest.Update(Event("alpha", T0, "shared", Labels.Create("UNCLASSIFIED", ["JPN", "USA"]), lat: 35));
        latest.Update(Event("alpha", T0.AddSeconds(1), "national", Labels.Create("UNCLASSIFIED", ["JPN"]), lat: 36));

        Assert.Equal(35, Assert.Single(latest.Snapshot(T0, usa, out var usaWithheld)).Event.Point.Lat);
        Assert.Equal(0, usaWithheld);
        Assert.Equal(36, Assert.Single(latest.Snapshot(T0, jpn, out _)).Event.Point.Lat);

        // A newer version everyone who saw the shared one may see replaces both.
        latest.Update(Event("alpha", T0.AddSeconds(2), "wider", Labels.Create("UNCLASSIFIED", ["JPN", "USA", "KOR"]), lat: 37));
        Assert.Equal(37, Assert.Single(latest.Snapshot(T0, usa, out _)).Event.Point.Lat);
        Assert.Equal(37, Assert.Single(latest.Snapshot(T0, jpn, out _)).Event.Point.Lat);
    }

    [Fact]
    public void A_uid_holds_at_most_a_bounded_number_of_versions_and_a_reader_never_gets_one_it_may_not_see()
    {
        var latest = new LatestState();
        var kor = Labels.Anonymous("ROK-JCS", "kor-reader");
        latest.Update(Event("alpha", T0, "for korea", Labels.Create("UNCLASSIFIED", ["KOR", "JPN"]), lat: 30));
        // Four newer versions, none of which any other covers, none releasable to KOR.
        (string Level, string[] Nations)[] newer = [("CONFIDENTIAL", ["JPN"]), ("CONFIDENTIAL", ["USA"]), ("SECRET", ["JPN", "USA"]), ("SECRET", ["JPN"])];
        for (var k = 0; k < newer.Length; k++)
        {
            latest.Update(Event("alpha", T0.AddSeconds(k + 1), "", Labels.Create(newer[k].Level, newer[k].Nations), lat: 31 + k));
        }

        // The Korean version was the oldest of more than the bound: gone, and nothing else shown.
        Assert.Empty(latest.Snapshot(T0, kor, out var withheld));
        Assert.Equal(1, withheld);
    }
}
