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
}
