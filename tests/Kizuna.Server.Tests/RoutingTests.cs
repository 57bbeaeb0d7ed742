using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

public sealed class RoutingTests
{
    [Fact]
    public async Task An_event_reaches_every_other_client_and_not_its_sender()
    {
        await using var node = await TestNode.StartAsync();
        await using var alpha = await node.ConnectTcpAsync();
        await using var bravo = await node.ConnectTcpAsync();
        await using var charlie = await node.ConnectTcpAsync();

        await alpha.SendAsync(CotText.Position("alpha-1", "ALPHA"));
        await bravo.ExpectUidAsync("alpha-1");
        await charlie.ExpectUidAsync("alpha-1");

        // Barrier: a later event from charlie reaches alpha through the same picture lane,
        // so an echo of alpha's own event would have arrived before it.
        await charlie.SendAsync(CotText.Position("charlie-1", "CHARLIE"));
        await alpha.ExpectUidAsync("charlie-1");
        Assert.DoesNotContain(alpha.Received, e => e.Uid == "alpha-1");
    }

    [Fact]
    public async Task A_directed_message_reaches_only_the_client_with_that_callsign()
    {
        // Directed messages need an identity: the anonymous plain-TCP listener takes none.
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-sender");
        await using var addressee = await node.ConnectTlsAsync("jjoc-hotel");
        await using var bystander = await node.ConnectTlsAsync("jjoc-india");

        // Each client announces itself, so the node learns its callsign.
        await addressee.SendAsync(CotText.Position("addressee-uid", "HOTEL"));
        await bystander.SendAsync(CotText.Position("bystander-uid", "INDIA"));
        await sender.ExpectUidsAsync("addressee-uid", "bystander-uid");

        await sender.SendAsync(CotText.Directed("chat-1", "HOTEL", "for hotel only"));
        var received = await addressee.ExpectUidAsync("chat-1");
        Assert.Contains("for hotel only", received.Detail.InnerXml, StringComparison.Ordinal);

        await sender.SendAsync(CotText.Position("sender-after", "GOLF"));
        await bystander.ExpectUidAsync("sender-after");
        Assert.DoesNotContain(bystander.Received, e => e.Uid == "chat-1");
    }

    [Fact]
    public async Task A_new_client_receives_the_latest_non_stale_state_of_every_uid()
    {
        await using var node = await TestNode.StartAsync();
        await using var publisher = await node.ConnectTcpAsync();
        await using var witness = await node.ConnectTcpAsync();

        var now = DateTime.UtcNow;
        await publisher.SendAsync(CotText.Position("unit-1", "ONE", lat: 35.0, time: now.AddSeconds(-2)));
        await publisher.SendAsync(CotText.Position("unit-1", "ONE", lat: 36.0, time: now.AddSeconds(-1)));
        await publisher.SendAsync(CotText.Position("unit-2", "TWO", staleIn: TimeSpan.FromMilliseconds(1), time: now.AddSeconds(-1)));
        await publisher.SendAsync(CotText.Position("unit-3", "THREE"));
        await witness.ExpectUidAsync("unit-3");

        await using var late = await node.ConnectTcpAsync();
        var first = await late.ExpectAsync(e => e.Uid.StartsWith("unit-", StringComparison.Ordinal), "replayed state");
        var second = await late.ExpectAsync(e => e.Uid.StartsWith("unit-", StringComparison.Ordinal), "replayed state");
        Assert.Equal(["unit-1", "unit-3"], new[] { first.Uid, second.Uid }.Order().ToArray());
        Assert.Equal(36.0, (first.Uid == "unit-1" ? first : second).Point.Lat);
    }

    [Fact]
    public async Task Directed_messages_are_not_replayed_to_later_clients()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTcpAsync();
        await sender.SendAsync(CotText.Directed("chat-secret", "NOBODY", "private"));
        await sender.SendAsync(CotText.Position("public-1", "PUBLIC"));
        await node.Node.Store.FlushAsync(CancellationToken.None);

        await using var late = await node.ConnectTcpAsync();
        await late.ExpectUidAsync("public-1");
        Assert.DoesNotContain(late.Received, e => e.Uid == "chat-secret");
    }
}
