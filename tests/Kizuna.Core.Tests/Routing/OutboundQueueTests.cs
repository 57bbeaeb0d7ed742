using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;

namespace Kizuna.Core.Tests.Routing;

/// <summary>The lanes of a connection's queue: order, and what each does when full.</summary>
public sealed class OutboundQueueTests
{
    private static readonly ConfidentialityLabel Label = new LabelPolicy(ProfileLoader.LoadDefault()).Create("UNCLASSIFIED", ["JPN"]);

    private static SharedEvent Event(string uid)
    {
        var now = DateTime.UtcNow;
        return new SharedEvent(new CotEvent { Uid = uid, Type = "a-f-G", Time = now, Start = now, Stale = now.AddMinutes(1) }, Label, "test", now);
    }

    private static List<string> Drain(OutboundQueue queue)
    {
        var batch = new List<OutboundItem>();
        queue.DequeueBatch(batch, int.MaxValue);
        return [.. batch.Select(i => i.Event!.Event.Uid)];
    }

    [Fact]
    public void Warnings_go_out_ahead_of_control_and_control_ahead_of_the_picture()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        queue.Enqueue(new OutboundItem(Event("picture-1")), Lane.Picture);
        queue.Enqueue(new OutboundItem(Event("control-1")), Lane.Control);
        queue.Enqueue(new OutboundItem(Event("picture-2")), Lane.Picture);
        queue.Enqueue(new OutboundItem(Event("warning-1")), Lane.Warning);
        queue.Enqueue(new OutboundItem(Event("warning-2")), Lane.Warning);

        Assert.Equal(["warning-1", "warning-2", "control-1", "picture-1", "picture-2"], Drain(queue));
    }

    [Fact]
    public void A_calm_publishers_picture_goes_out_ahead_of_a_flood_already_queued_but_behind_warnings_and_control()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        queue.Enqueue([Event("flood-1"), Event("flood-2"), Event("flood-3")], Lane.Picture);
        queue.Enqueue([Event("calm-1")], Lane.Picture, calm: true);
        queue.Enqueue(new OutboundItem(Event("control-1")), Lane.Control);
        queue.Enqueue([Event("calm-2")], Lane.Picture, calm: true);
        queue.Enqueue(new OutboundItem(Event("warning-1")), Lane.Warning);

        Assert.Equal(5, queue.CountIn(Lane.Picture));
        Assert.Equal(["warning-1", "control-1", "calm-1", "calm-2", "flood-1", "flood-2", "flood-3"], Drain(queue));
    }

    [Fact]
    public void A_replayed_picture_larger_than_the_picture_lane_goes_out_whole_ahead_of_live_picture()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 4, warningCapacity: 8);
        var picture = Enumerable.Range(0, 10).Select(i => Event($"replayed-{i}")).ToArray();
        queue.Replay(picture);
        queue.Enqueue([Event("calm-live")], Lane.Picture, calm: true);
        queue.Enqueue([Event("flood-live")], Lane.Picture);
        queue.Enqueue(new OutboundItem(Event("warning-1")), Lane.Warning);

        Assert.Equal(12, queue.CountIn(Lane.Picture));
        Assert.Equal(["warning-1", .. picture.Select(e => e.Event.Uid), "calm-live", "flood-live"], Drain(queue));
    }

    [Fact]
    public void Calm_picture_past_the_picture_lanes_capacity_drops_its_own_oldest_and_never_the_floods()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 2, warningCapacity: 8);
        queue.Enqueue([Event("flood-1")], Lane.Picture);
        queue.Enqueue([Event("calm-1"), Event("calm-2")], Lane.Picture, calm: true);
        var (dropped, overflow) = queue.Enqueue([Event("calm-3")], Lane.Picture, calm: true);

        Assert.Equal(1, dropped);
        Assert.False(overflow);
        Assert.Equal(["calm-2", "calm-3", "flood-1"], Drain(queue));
    }

    [Fact]
    public void A_full_picture_lane_drops_its_oldest_update()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 2, warningCapacity: 8);
        queue.Enqueue(new OutboundItem(Event("p1")), Lane.Picture);
        queue.Enqueue(new OutboundItem(Event("p2")), Lane.Picture);
        var (dropped, overflow) = queue.Enqueue(new OutboundItem(Event("p3")), Lane.Picture);

        Assert.Equal(1, dropped);
        Assert.False(overflow);
        Assert.Equal(["p2", "p3"], Drain(queue));
    }

    [Fact]
    public void A_full_warning_lane_never_drops_a_warning_and_says_the_client_must_go()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 2);
        queue.Enqueue(new OutboundItem(Event("w1")), Lane.Warning);
        queue.Enqueue(new OutboundItem(Event("w2")), Lane.Warning);
        var (dropped, overflow) = queue.Enqueue(new OutboundItem(Event("w3")), Lane.Warning);

        Assert.Equal(0, dropped);
        Assert.True(overflow);
        Assert.Equal(["w1", "w2"], Drain(queue));
    }

    [Fact]
    public void A_flood_of_picture_updates_never_displaces_a_queued_warning()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 4, warningCapacity: 4);
        queue.Enqueue(new OutboundItem(Event("warning")), Lane.Warning);
        for (var i = 0; i < 1000; i++)
        {
            queue.Enqueue(new OutboundItem(Event($"p{i}")), Lane.Picture);
        }

        Assert.Equal(["warning", "p996", "p997", "p998", "p999"], Drain(queue));
    }

    [Fact]
    public async Task A_warning_for_an_idle_writer_is_handed_to_the_caller_and_the_writer_sleeps_until_the_turn_comes_back()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        var idle = queue.WaitAsync().AsTask();
        Assert.False(idle.IsCompleted);

        var express = new List<OutboundItem>();
        var (_, overflow, claimed) = queue.EnqueueWarning(new OutboundItem(Event("warning")), express);

        Assert.False(overflow);
        Assert.True(claimed);
        Assert.Equal(["warning"], express.Select(i => i.Event!.Event.Uid));
        Assert.Empty(Drain(queue));

        // Picture arriving during the express write must not wake the writer into the same pipe.
        queue.Enqueue(new OutboundItem(Event("picture")), Lane.Picture);
        Assert.False(idle.IsCompleted);

        queue.EndExpress();
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["picture"], Drain(queue));
    }

    [Fact]
    public async Task Ending_an_express_write_with_nothing_left_keeps_the_writer_waiting_for_the_next_item()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        var idle = queue.WaitAsync().AsTask();
        var express = new List<OutboundItem>();
        Assert.True(queue.EnqueueWarning(new OutboundItem(Event("warning")), express).Express);

        queue.EndExpress();
        Assert.False(idle.IsCompleted);

        // The writer is idle again: the next warning is handed over again, the next picture wakes it.
        var again = new List<OutboundItem>();
        Assert.True(queue.EnqueueWarning(new OutboundItem(Event("warning-2")), again).Express);
        queue.EndExpress();
        queue.Enqueue(new OutboundItem(Event("picture")), Lane.Picture);
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_warning_for_a_writer_in_the_middle_of_a_batch_waits_at_the_head_of_its_lane()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        queue.Enqueue(new OutboundItem(Event("picture-1")), Lane.Picture);
        Assert.Equal(["picture-1"], Drain(queue));
        queue.Enqueue(new OutboundItem(Event("picture-2")), Lane.Picture);

        // The writer took a batch and has not come back for the next (it is writing): nothing is handed over.
        var express = new List<OutboundItem>();
        Assert.False(queue.EnqueueWarning(new OutboundItem(Event("warning")), express).Express);
        Assert.Empty(express);
        Assert.Equal(["warning", "picture-2"], Drain(queue));
    }

    [Fact]
    public async Task A_warning_for_a_writer_woken_but_not_yet_run_is_handed_to_the_caller_and_the_writer_parks_until_the_turn_comes_back()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        var idle = queue.WaitAsync().AsTask();
        queue.Enqueue(new OutboundItem(Event("picture")), Lane.Picture);
        await idle.WaitAsync(TimeSpan.FromSeconds(10));

        // Woken by the picture, the writer has not dequeued yet (under load: queued in the thread pool).
        var express = new List<OutboundItem>();
        Assert.True(queue.EnqueueWarning(new OutboundItem(Event("warning")), express).Express);
        Assert.Equal(["warning"], express.Select(i => i.Event!.Event.Uid));

        // When it runs, it finds nothing to take while the turn is held, and parks.
        Assert.Empty(Drain(queue));
        var parked = queue.WaitAsync().AsTask();
        Assert.False(parked.IsCompleted);

        queue.EndExpress();
        await parked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["picture"], Drain(queue));
    }

    [Fact]
    public async Task Completing_the_queue_during_an_express_write_wakes_the_writer_only_when_the_turn_comes_back()
    {
        var queue = new OutboundQueue(controlCapacity: 8, pictureCapacity: 8, warningCapacity: 8);
        var idle = queue.WaitAsync().AsTask();
        Assert.True(queue.EnqueueWarning(new OutboundItem(Event("warning")), []).Express);

        queue.Complete();
        Assert.False(idle.IsCompleted);

        queue.EndExpress();
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(queue.IsCompleted);
    }
}
