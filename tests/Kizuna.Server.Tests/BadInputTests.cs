using System.Text;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// One named test per class of bad input: each is refused with a logged, counted reason that
/// never echoes the bytes, and no other client sees loss or delay.
/// </summary>
public sealed class BadInputTests
{
    private const string Secret = "SECRET-PAYLOAD-MARKER";

    [Fact]
    public async Task A_truncated_event_is_counted_when_the_connection_ends()
    {
        await using var node = await TestNode.StartAsync();
        await using (var attacker = await node.ConnectTcpAsync())
        {
            await attacker.SendAsync(CotText.Position("cut", Secret)[..60]);
        }

        await ExpectRejectAsync(node, CotRejectReason.Truncated);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task A_document_type_declaration_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await attacker.SendAsync("<?xml version=\"1.0\"?><!DOCTYPE event [<!ENTITY x \"" + Secret + "\">]>" + CotText.Position("dtd", "&x;"));
        await ExpectRejectAsync(node, CotRejectReason.DtdForbidden);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task An_entity_reference_is_refused_and_never_expanded()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await attacker.SendAsync(CotText.Position("laughs", "&lol9;"));
        await ExpectRejectAsync(node, CotRejectReason.EntityForbidden);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task An_oversized_event_is_refused_and_the_same_connection_goes_on()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await using var witness = await node.ConnectTcpAsync();
        var huge = CotText.Position("huge", "H").Replace("<detail>", "<detail><remarks>" + new string('x', 100 * 1024) + Secret + "</remarks>", StringComparison.Ordinal);
        await attacker.SendAsync(huge + CotText.Position("after-huge", "A"));
        await ExpectRejectAsync(node, CotRejectReason.Oversize);
        await witness.ExpectUidAsync("after-huge");
        Assert.DoesNotContain(witness.Received, e => e.Uid == "huge");
    }

    [Fact]
    public async Task Deep_nesting_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        var nested = string.Concat(Enumerable.Repeat("<a>", 200)) + string.Concat(Enumerable.Repeat("</a>", 200));
        await attacker.SendAsync(CotText.Position("deep", "D").Replace("<detail>", "<detail>" + nested, StringComparison.Ordinal));
        await ExpectRejectAsync(node, CotRejectReason.TooDeep);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task Bad_numbers_and_impossible_coordinates_are_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await attacker.SendAsync(CotText.Position("nan", "N").Replace("hae=\"10\"", "hae=\"ten\"", StringComparison.Ordinal));
        await ExpectRejectAsync(node, CotRejectReason.BadNumber);
        await attacker.SendAsync(CotText.Position("north-of-pole", "N", lat: 91));
        await ExpectRejectAsync(node, CotRejectReason.BadCoordinate);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task Bad_times_are_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await attacker.SendAsync(CotText.Position("badtime", "T").Replace("stale=\"", "stale=\"the day after ", StringComparison.Ordinal));
        await ExpectRejectAsync(node, CotRejectReason.BadTime);
        await attacker.SendAsync(CotText.Position("future", "F", time: DateTime.UtcNow.AddDays(30)));
        await ExpectRejectAsync(node, CotRejectReason.BadTime, count: 2);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task Binary_garbage_is_skipped_and_the_next_event_is_accepted()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await node.ConnectTcpAsync();
        await using var witness = await node.ConnectTcpAsync();
        var garbage = new byte[] { 0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE, 0x07, 0x08 };
        await attacker.SendAsync([.. garbage, .. Encoding.UTF8.GetBytes(CotText.Position("after-garbage", "G"))]);
        await ExpectRejectAsync(node, CotRejectReason.BinaryGarbage);
        await witness.ExpectUidAsync("after-garbage");
    }

    [Fact]
    public async Task A_protobuf_frame_with_a_bad_varint_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await SwitchedToProtobufAsync(node);
        await attacker.SendAsync([0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        await ExpectRejectAsync(node, CotRejectReason.BadVarint);
        await AssertOthersUnaffectedAsync(node);
    }

    [Fact]
    public async Task A_protobuf_frame_with_a_lying_length_is_refused_and_the_stream_resynchronises()
    {
        await using var node = await TestNode.StartAsync();
        await using var attacker = await SwitchedToProtobufAsync(node);
        await using var witness = await node.ConnectTcpAsync();
        var good = TakProto.EncodeStreamFrame(CotXml.Decode(Encoding.UTF8.GetBytes(CotText.Position("after-lie", "L"))));
        // Claims 10 MB, far over the limit.
        await attacker.SendAsync([0xBF, 0x80, 0xAD, 0xE2, 0x04, .. "short"u8.ToArray(), .. good]);
        await ExpectRejectAsync(node, CotRejectReason.BadLength);
        await witness.ExpectUidAsync("after-lie");
    }

    [Fact]
    public async Task A_client_that_sends_half_a_message_and_stalls_is_closed_when_idle_and_delays_nobody()
    {
        await using var node = await TestNode.StartAsync(new ConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var staller = await node.ConnectTcpAsync();
        await staller.SendAsync(CotText.Position("half", "H")[..80]);
        await AssertOthersUnaffectedAsync(node);
        await staller.Closed.WaitAsync(TestNode.Timeout);
        var closed = await node.Logs.WaitForAsync(e => e.EventId.Id == 1002 && e.Message.Contains("idle", StringComparison.Ordinal), TestNode.Timeout);
        Assert.DoesNotContain(Secret, closed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_never_reads_loses_only_its_own_oldest_updates()
    {
        await using var node = await TestNode.StartAsync(new ConnectionOptions { PictureQueueCapacity = 64 });
        await using var deaf = await CotTestClient.ConnectAsync(node.CotTcp, read: false);
        await using var publisher = await node.ConnectTcpAsync();
        await using var listener = await node.ConnectTcpAsync();
        var remarks = new string('r', 4000);

        // Paced in batches smaller than the queue, so the reading client never falls behind;
        // the deaf client's socket and queue fill, and only it loses updates.
        const int Batches = 120, BatchSize = 32;
        for (var b = 0; b < Batches; b++)
        {
            var batch = new StringBuilder();
            for (var i = 0; i < BatchSize; i++)
            {
                batch.Append(CotText.Position($"flood-{b}-{i}", "F").Replace("<detail>", $"<detail><remarks>{remarks}</remarks>", StringComparison.Ordinal));
            }

            await publisher.SendAsync(batch.ToString());
            await listener.ExpectUidAsync($"flood-{b}-{BatchSize - 1}");
        }

        Assert.Equal(Batches * BatchSize, listener.Received.Count(e => e.Uid.StartsWith("flood-", StringComparison.Ordinal)));
        Assert.True(node.Node.Metrics.Drops(DropReason.PictureQueueFull) > 0, "the deaf client's oldest updates were dropped");
        var sessions = node.Node.Router.Sessions;
        Assert.Equal(0, sessions.Single(x => x.RemoteEndpoint.EndsWith(":" + listener.LocalPort, StringComparison.Ordinal)).PictureDrops);
        Assert.True(sessions.Single(x => x.RemoteEndpoint.EndsWith(":" + deaf.LocalPort, StringComparison.Ordinal)).PictureDrops > 0);
    }

    [Fact]
    public async Task A_client_that_keeps_failing_is_disconnected()
    {
        await using var node = await TestNode.StartAsync(new ConnectionOptions { MaxConsecutiveRejects = 4 });
        await using var attacker = await node.ConnectTcpAsync();
        for (var i = 0; i < 4; i++)
        {
            await attacker.SendAsync(CotText.Position($"bad-{i}", "B", lat: 200));
        }

        await attacker.Closed.WaitAsync(TestNode.Timeout);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1004 && e.Message.Contains("in a row", StringComparison.Ordinal), TestNode.Timeout);
        await AssertOthersUnaffectedAsync(node);
    }

    private static async Task<CotTestClient> SwitchedToProtobufAsync(TestNode node)
    {
        var client = await node.ConnectTcpAsync();
        await client.SendAsync(CotText.ProtocolRequest(1));
        await client.ExpectAsync(e => e.Type == TakControlEvents.ProtocolResponseType, "the protocol answer");
        Assert.Equal(WireFormat.TakProtobufV1, client.Format);
        return client;
    }

    /// <summary>Waits for the reject to be logged (event 1003) and counted; the log line never carries the payload.</summary>
    private static async Task ExpectRejectAsync(TestNode node, CotRejectReason reason, int count = 1)
    {
        var entry = await node.Logs.WaitForAsync(e => e.EventId.Id == 1003 && e.Message.Contains(": " + reason + ":", StringComparison.Ordinal), count, TestNode.Timeout);
        Assert.DoesNotContain(Secret, entry.Message, StringComparison.Ordinal);
        Assert.True(node.Node.Metrics.Rejects(reason) >= count);
    }

    /// <summary>Two fresh clients still exchange an event at once.</summary>
    private static async Task AssertOthersUnaffectedAsync(TestNode node)
    {
        await using var sender = await node.ConnectTcpAsync();
        await using var receiver = await node.ConnectTcpAsync();
        var uid = "healthy-" + Guid.NewGuid().ToString("N");
        await sender.SendAsync(CotText.Position(uid, "OK"));
        await receiver.ExpectUidAsync(uid);
    }
}
