using Kizuna.Core.Alliance;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Kizuna.Storage.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Core.Tests.Routing;

/// <summary>
/// A picture lane whose writer has taken nothing for <see cref="AdmissionOptions.StalledAfter"/>
/// is its client's backlog, not the node's (docs/dev/admission.md): it stops counting towards
/// "the node is behind" and out of the share, so clients that never read hold nobody back; a lane
/// that is read, however backlogged, still counts. On a manual clock; lanes here have no writer
/// but the test's own dequeues.
/// </summary>
public sealed class StalledLaneTests : IDisposable
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly ConfidentialityLabel Label = Labels.Create("UNCLASSIFIED", ["JPN"]);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(2);
    private readonly KizunaMetrics _metrics = new();
    private readonly ManualTimeProvider _clock = new(new DateTime(2026, 12, 8, 0, 0, 0, DateTimeKind.Utc));

    public void Dispose() => _metrics.Dispose();

    // A held publisher is released only by the lanes, never by MaxHold, within these tests.
    private Admission NewAdmission() => new(new AdmissionOptions { BacklogEvents = 16, CaughtUpEvents = 4, MaxHold = TimeSpan.FromHours(1), StalledAfter = StalledAfter }, _metrics, NullLogger.Instance, _clock);

    private ClientSession Session(Admission admission, string name)
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 256, warningCapacity: 8);
        queue.ReportTo(admission);
        return new ClientSession(Labels.Anonymous("JJOC", name), name, "test", queue, _metrics, _ => { });
    }

    private static SharedEvent[] Picture(int count)
    {
        var now = DateTime.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i => new SharedEvent(new CotEvent { Uid = $"flood-{i}", Type = "a-f-G", Time = now, Start = now, Stale = now.AddMinutes(1) }, Label, "test", now))];
    }

    /// <summary>One read of <paramref name="publisher"/>, as the router does it: counted, then queued to each subscriber.</summary>
    private static void Publish(Admission admission, ClientSession publisher, int events, params ClientSession[] subscribers)
    {
        admission.Count(publisher, events);
        foreach (var s in subscribers)
        {
            s.Deliver(Picture(events), Lane.Picture);
        }
    }

    private static void TakeOneBatch(ClientSession session) => session.Queue.DequeueBatch([], 8);

    [Fact]
    public async Task Lanes_whose_clients_stopped_reading_stop_counting_after_a_while_and_the_publisher_they_held_goes_on()
    {
        var admission = NewAdmission();
        var stalled = new[] { Session(admission, "s1"), Session(admission, "s2"), Session(admission, "s3") };
        var flooder = Session(admission, "flooder");
        var calm = Session(admission, "calm");
        admission.SessionsChanged(5);
        Publish(admission, flooder, 100, stalled);
        admission.Fed(flooder, backloggedLane: true);
        var held = admission.WaitForTurnAsync(flooder, CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted);

        // Not yet a while: a calm client's read finds them backlogged still.
        _clock.Advance(StalledAfter - TimeSpan.FromMilliseconds(1));
        Publish(admission, calm, 1, stalled);
        Assert.True(admission.IsBehind);
        Assert.False(held.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Publish(admission, calm, 1, stalled);

        await held.WaitAsync(Bounded);
        Assert.Equal(3, admission.Stalled);
        Assert.Equal(0, admission.Backlogged);
        Assert.False(admission.IsBehind);
        Assert.Equal(3, _metrics.AdmissionStalls);
        Assert.All(stalled, s => Assert.False(s.Queue.PictureBacklogged));

        // The flooder's next reads reach only stalled lanes: they lose their own oldest, and it is not held.
        Publish(admission, flooder, 200, stalled);
        Assert.True(admission.WaitForTurnAsync(flooder, CancellationToken.None).IsCompletedSuccessfully);
        Assert.All(stalled, s => Assert.True(s.PictureDrops > 0));
    }

    [Fact]
    public void A_backlogged_lane_that_its_writer_keeps_taking_from_still_counts_however_long_it_stays_backlogged()
    {
        // The node behind: every lane backlogged, each writer taking a batch now and then.
        var admission = NewAdmission();
        var slow = new[] { Session(admission, "s1"), Session(admission, "s2"), Session(admission, "s3") };
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(4);
        Publish(admission, flooder, 100, slow);

        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(StalledAfter - TimeSpan.FromMilliseconds(500));
            foreach (var s in slow)
            {
                TakeOneBatch(s);
            }

            Publish(admission, flooder, 8, slow);
        }

        Assert.Equal(0, admission.Stalled);
        Assert.Equal(3, admission.Backlogged);
        Assert.True(admission.IsBehind);
        admission.Fed(flooder, backloggedLane: true);
        Assert.False(admission.WaitForTurnAsync(flooder, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void A_stalled_lane_counts_again_once_its_client_reads_again()
    {
        var admission = NewAdmission();
        var lanes = new[] { Session(admission, "s1"), Session(admission, "s2") };
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(3);
        Publish(admission, flooder, 100, lanes);
        _clock.Advance(StalledAfter);
        Publish(admission, flooder, 1, lanes);
        Assert.Equal(2, admission.Stalled);
        Assert.False(admission.IsBehind);

        TakeOneBatch(lanes[0]);
        TakeOneBatch(lanes[1]);

        Assert.Equal(0, admission.Stalled);
        Assert.Equal(2, admission.Backlogged);
        Assert.True(admission.IsBehind);
    }

    [Fact]
    public void Stalled_lanes_are_out_of_the_share_so_many_clients_that_never_read_cannot_keep_the_node_from_being_behind()
    {
        var admission = NewAdmission();
        var stalled = Enumerable.Range(0, 10).Select(i => Session(admission, $"stalled-{i}")).ToArray();
        var readers = new[] { Session(admission, "r1"), Session(admission, "r2") };
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(13);
        Publish(admission, flooder, 100, stalled);
        _clock.Advance(StalledAfter);
        Publish(admission, flooder, 1, stalled);
        Assert.Equal(10, admission.Stalled);

        // Two of the three lanes that are read are backlogged: the node is behind.
        Publish(admission, flooder, 100, readers);
        Assert.Equal(2, admission.Backlogged);
        Assert.True(admission.IsBehind);
    }

    [Fact]
    public void A_stalled_lane_that_leaves_or_catches_up_is_no_longer_counted_as_stalled()
    {
        var admission = NewAdmission();
        var a = Session(admission, "a");
        var b = Session(admission, "b");
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(3);
        Publish(admission, flooder, 100, a, b);
        _clock.Advance(StalledAfter);
        Publish(admission, flooder, 1, a, b);
        Assert.Equal(2, admission.Stalled);

        a.Queue.ReportTo(null);
        while (b.Queue.DequeueBatch([], 64) > 0)
        {
        }

        Assert.Equal(0, admission.Stalled);
        Assert.Equal(0, admission.Backlogged);
    }
}
