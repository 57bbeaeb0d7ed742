using Kizuna.Core.Alliance;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Core.Tests.Routing;

/// <summary>
/// Admission that follows delivery: picture lanes report their backlog, and only when many of
/// them are backlogged (the node, not one client, is behind) is a heavy publisher held, until
/// they have caught up. Lanes here have no writer, as when the node's writers get no CPU.
/// </summary>
public sealed class AdmissionTests : IDisposable
{
    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private static readonly ConfidentialityLabel Label = Labels.Create("UNCLASSIFIED", ["JPN"]);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);
    private readonly KizunaMetrics _metrics = new();

    public void Dispose() => _metrics.Dispose();

    private Admission NewAdmission() => new(new AdmissionOptions { BacklogEvents = 16, CaughtUpEvents = 4, MaxHold = TimeSpan.FromMinutes(5) }, _metrics, NullLogger.Instance, TimeProvider.System);

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

    private static void Drain(ClientSession session)
    {
        var batch = new List<OutboundItem>();
        while (session.Queue.DequeueBatch(batch, 64) > 0)
        {
            batch.Clear();
        }
    }

    [Fact]
    public void One_backlogged_lane_is_one_slow_client_and_holds_nobody()
    {
        var admission = NewAdmission();
        var stalled = Session(admission, "stalled");
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(2);

        stalled.Deliver(Picture(100), Lane.Picture);
        admission.Count(flooder, 10_000);

        Assert.Equal(1, admission.Backlogged);
        Assert.False(admission.IsBehind);
        Assert.True(admission.WaitForTurnAsync(flooder, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task When_most_lanes_are_backlogged_a_flooding_publisher_waits_until_they_catch_up_and_a_calm_one_never_waits()
    {
        var admission = NewAdmission();
        var subscribers = new[] { Session(admission, "s1"), Session(admission, "s2"), Session(admission, "s3") };
        var flooder = Session(admission, "flooder");
        var calm = Session(admission, "calm");
        admission.SessionsChanged(5);
        admission.Count(flooder, 10_000);
        admission.Count(calm, 1);
        foreach (var s in subscribers)
        {
            s.Deliver(Picture(100), Lane.Picture);
        }

        Assert.True(admission.IsBehind);
        var held = admission.WaitForTurnAsync(flooder, CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted);
        Assert.Equal(1, admission.Held);
        Assert.True(admission.WaitForTurnAsync(calm, CancellationToken.None).IsCompletedSuccessfully);

        // One lane catching up leaves two of five backlogged: still behind.
        Drain(subscribers[0]);
        Assert.True(admission.IsBehind);
        Assert.False(held.IsCompleted);

        Drain(subscribers[1]);
        await held.WaitAsync(Bounded);
        Assert.Equal(0, admission.Held);
        Assert.Equal(1, _metrics.AdmissionHolds);
        Assert.Equal(0, subscribers.Sum(s => s.PictureDrops));
    }

    [Fact]
    public async Task A_heavy_publisher_whose_last_read_reached_no_backlogged_lane_is_not_held_while_one_that_did_is()
    {
        // The node is behind on three subscribers' lanes; a second publisher's audience keeps up
        // (its events go elsewhere, or every lane it fed has caught up): it is not the cause.
        var admission = NewAdmission();
        var subscribers = new[] { Session(admission, "s1"), Session(admission, "s2"), Session(admission, "s3") };
        var flooder = Session(admission, "flooder");
        var windowed = Session(admission, "windowed");
        admission.SessionsChanged(5);
        admission.Count(flooder, 10_000);
        admission.Count(windowed, 10_000);
        foreach (var s in subscribers)
        {
            s.Deliver(Picture(100), Lane.Picture);
        }

        admission.Fed(flooder, backloggedLane: true);
        admission.Fed(windowed, backloggedLane: false);

        Assert.True(admission.IsBehind);
        Assert.True(admission.WaitForTurnAsync(windowed, CancellationToken.None).IsCompletedSuccessfully);
        var held = admission.WaitForTurnAsync(flooder, CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted);
        Assert.Equal(1, admission.Held);
        foreach (var s in subscribers)
        {
            Drain(s);
        }

        await held.WaitAsync(Bounded);
    }

    [Fact]
    public void A_publisher_is_calm_at_one_position_a_second_and_not_once_it_floods()
    {
        var admission = NewAdmission();
        var publisher = Session(admission, "publisher");
        admission.Count(publisher, 1);
        Assert.True(admission.IsCalm(publisher));

        admission.Count(publisher, 1_000);
        Assert.False(admission.IsCalm(publisher));
    }

    [Fact]
    public void A_publisher_that_flooded_stays_out_of_the_calm_part_after_it_calms_down_so_its_updates_keep_their_order()
    {
        var clock = new Kizuna.Storage.Tests.ManualTimeProvider(new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc));
        var admission = new Admission(new AdmissionOptions { BacklogEvents = 16, CaughtUpEvents = 4, MaxHold = TimeSpan.FromMinutes(5) }, _metrics, NullLogger.Instance, clock);
        var flooder = Session(admission, "flooder");
        var steady = Session(admission, "steady");
        admission.Count(flooder, 1_000);
        admission.Count(steady, 1);
        Assert.False(admission.IsCalm(flooder));

        // Rate intervals later, both send one position: the flooder's older updates may still be
        // queued behind a backlog, so its new one must not go ahead of them.
        clock.Advance(TimeSpan.FromSeconds(10));
        admission.Count(flooder, 1);
        admission.Count(steady, 1);
        Assert.False(admission.IsCalm(flooder));
        Assert.True(admission.IsCalm(steady));
    }

    [Fact]
    public async Task A_session_that_leaves_takes_its_backlog_with_it()
    {
        var admission = NewAdmission();
        var a = Session(admission, "a");
        var b = Session(admission, "b");
        var flooder = Session(admission, "flooder");
        admission.SessionsChanged(3);
        admission.Count(flooder, 10_000);
        a.Deliver(Picture(50), Lane.Picture);
        b.Deliver(Picture(50), Lane.Picture);
        var held = admission.WaitForTurnAsync(flooder, CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted);

        a.Queue.Complete();

        await held.WaitAsync(Bounded);
        Assert.Equal(1, admission.Backlogged);
    }
}
