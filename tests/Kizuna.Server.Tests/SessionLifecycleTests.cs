using Kizuna.Core.Routing;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// The one lifecycle of a router session (CoT clients, console feeds, federation links to come):
/// attach as the kind of session needs, and an end that detaches and logs drops once.
/// </summary>
public sealed class SessionLifecycleTests
{
    private static CotEvent Position(string uid)
    {
        var now = DateTime.UtcNow;
        return new CotEvent { Uid = uid, Type = "a-f-G-U-C", How = "m-g", Time = now, Start = now, Stale = now.AddMinutes(5) };
    }

    private static List<string> Drain(OutboundQueue queue)
    {
        var batch = new List<OutboundItem>();
        queue.DequeueBatch(batch, int.MaxValue);
        return [.. batch.Select(i => i.Event!.Event.Uid)];
    }

    [Fact]
    public async Task A_live_only_session_gets_what_is_published_after_it_attached_and_none_of_the_picture_before()
    {
        await using var node = await TestNode.StartAsync();
        var router = node.Node.Router;
        var principal = node.Node.NodePrincipal;
        router.Publish(Position("before-1"), principal.DefaultLabel, null);
        var life = new SessionLifecycle(router, new ConnectionOptions(), node.Node.Metrics, principal, "test", "federation", _ => { }, (_, _) => { });

        var snapshot = life.Attach(AttachMode.LiveOnly);
        router.Publish(Position("after-1"), principal.DefaultLabel, null);

        Assert.Empty(snapshot);
        Assert.Equal(["after-1"], Drain(life.Queue));
        life.End();
    }

    [Fact]
    public async Task A_replaying_session_is_queued_the_picture_that_was_there_before_it()
    {
        await using var node = await TestNode.StartAsync();
        var router = node.Node.Router;
        var principal = node.Node.NodePrincipal;
        router.Publish(Position("before-2"), principal.DefaultLabel, null);
        var life = new SessionLifecycle(router, new ConnectionOptions(), node.Node.Metrics, principal, "test", "test", _ => { }, (_, _) => { });

        life.Attach(AttachMode.ReplayPicture);

        Assert.Equal(["before-2"], Drain(life.Queue));
        life.End();
    }

    [Fact]
    public async Task A_replaying_session_is_queued_the_whole_picture_even_when_it_is_larger_than_its_picture_lane()
    {
        await using var node = await TestNode.StartAsync();
        var router = node.Node.Router;
        var principal = node.Node.NodePrincipal;
        var before = Enumerable.Range(0, 40).Select(i => $"unit-{i:D2}").ToArray();
        router.Publish([.. before.Select(uid => new LabelledEvent(Position(uid), principal.DefaultLabel))], null);
        var life = new SessionLifecycle(router, new ConnectionOptions { PictureQueueCapacity = 8 }, node.Node.Metrics, principal, "test", "test", _ => { }, (_, _) => { });

        life.Attach(AttachMode.ReplayPicture);

        Assert.Equal(before, Drain(life.Queue).Order(StringComparer.Ordinal));
        Assert.Equal(0, life.Session.PictureDrops);
        life.End();
    }

    [Fact]
    public async Task An_ended_session_is_detached_its_queue_completed_and_its_drops_logged_once()
    {
        await using var node = await TestNode.StartAsync();
        var router = node.Node.Router;
        var principal = node.Node.NodePrincipal;
        var logged = new List<long>();
        var life = new SessionLifecycle(router, new ConnectionOptions { PictureQueueCapacity = 1 }, node.Node.Metrics, principal, "test", "test", _ => { }, (_, drops) => logged.Add(drops));
        life.Attach(AttachMode.LiveOnly);
        router.Publish([new LabelledEvent(Position("drop-1"), principal.DefaultLabel), new LabelledEvent(Position("drop-2"), principal.DefaultLabel), new LabelledEvent(Position("kept-3"), principal.DefaultLabel)], null);

        life.End();
        life.End();

        Assert.DoesNotContain(life.Session, router.Sessions);
        Assert.True(life.Queue.IsCompleted);
        Assert.Equal([2L], logged);
    }
}
