using System.Net.Sockets;
using System.Text;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Sessions;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// The doors: what each listener accepts from whom (the anonymous plain-TCP listener sends
/// picture updates only and reads only UNCLASSIFIED), connections that never become clients
/// (handshake deadline, per-address limit, intake handshake slots), the data directory's modes,
/// one character rule for every decoder, and a reason told to a sender whose input is refused.
/// </summary>
public sealed class DoorTests
{
    [Fact]
    public async Task An_anonymous_tcp_client_may_send_picture_updates_only_and_is_told_why_anything_else_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var watch = await node.ConnectTlsAsync("jjoc-watch");
        await using var anonymous = await node.ConnectTcpAsync();

        // A forged sensor report, an acknowledgement, a directed message, a tasking: refused, each with its reason.
        await anonymous.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await anonymous.SendAsync(WarningCot.Acknowledgement("any-warning", 1, "anonymous", DateTime.UtcNow));
        await anonymous.SendAsync(CotText.Directed("chat-anon", "HOTEL", "hello"));
        await anonymous.SendAsync(CotText.Position("task-anon", "T", type: "t-x-m-c"));
        await anonymous.SendAsync(CotText.Labelled("directed-anon", "D", null, null, extraDetail: "<marti><dest callsign=\"HOTEL\"/></marti>"));
        var refusals = new List<CotEvent>();
        for (var i = 0; i < 5; i++)
        {
            refusals.Add(await anonymous.ExpectAsync(e => e.Type == RefusalNotice.Type && !refusals.Contains(e), "a refusal notice"));
        }

        string[] reasons = [.. refusals.Select(r => r.Detail.Element("__refusal")!.Attribute("reason")!)];
        Assert.Equal(4, reasons.Count(r => r == nameof(SendRefusal.NotPictureUpdate)));
        Assert.Single(reasons, nameof(SendRefusal.Directed));
        Assert.Contains("picture updates only", refusals[0].Detail.InnerXml, StringComparison.Ordinal);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1035, 5, TestNode.Timeout);
        Assert.Equal(4, node.Node.Metrics.SenderRefusalCount(SendRefusal.NotPictureUpdate));
        Assert.Contains("kizuna_sender_refusals_total{reason=\"Directed\"} 1", node.Node.Metrics.ToPrometheusText(), StringComparison.Ordinal);

        // A picture update still goes through; nothing refused reached anyone, no warning was made.
        await anonymous.SendAsync(CotText.Position("anon-position", "A"));
        await watch.ExpectUidAsync("anon-position");
        Assert.DoesNotContain(watch.Received, e => e.Type is WarningCot.WarningType || e.Uid is "chat-anon" or "task-anon" or "directed-anon");
        Assert.Equal(0, node.Node.Metrics.WarningsIssued);
        Assert.Empty(await node.Node.Warnings.LatestVersionsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_anonymous_tcp_client_reads_nothing_above_unclassified_live_or_replayed()
    {
        await using var node = await TestNode.StartAsync();
        await using var live = await node.ConnectTcpAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-publisher");

        // JJOC's default is CONFIDENTIAL//REL JPN: before, the anonymous client (a member of JJOC
        // at its default classification) read it.
        await jjoc.SendAsync(CotText.Position("jjoc-default", "C"));
        await jjoc.SendAsync(CotText.Labelled("jjoc-unclassified", "U", "UNCLASSIFIED", "JPN"));
        await live.ExpectUidAsync("jjoc-unclassified");
        Assert.DoesNotContain(live.Received, e => e.Uid == "jjoc-default");

        await using var late = await node.ConnectTcpAsync();
        await late.SendAsync(CotText.Ping("barrier"));
        await late.ExpectAsync(e => e.Type == TakControlEvents.PongType, "the pong after the replay");
        Assert.Contains(late.Received, e => e.Uid == "jjoc-unclassified");
        Assert.DoesNotContain(late.Received, e => e.Uid == "jjoc-default");

        // What it sends itself is UNCLASSIFIED, releasable to the hosting nation.
        await live.SendAsync(CotText.Position("anon-own", "O"));
        var own = await jjoc.ExpectUidAsync("anon-own");
        Assert.Equal("UNCLASSIFIED", own.Access);
        Assert.Equal("JPN", own.ReleasableTo);
    }

    [Fact]
    public async Task Trickling_handshakes_on_the_intake_cannot_lock_a_real_sensor_out()
    {
        // A deadline far beyond the test: the handshake slots, not the deadline, keep the intake open.
        await using var node = await TestNode.StartAsync(warningIntake: true, intakeHandshakeSlots: 4, handshakeTimeout: TimeSpan.FromMinutes(10));
        var files = node.IssueSensorFeed("jpn-sensor-feed");
        var intake = node.Node.Endpoint("warning-intake")!;
        var tricklers = new List<TcpClient>();
        try
        {
            for (var i = 0; i < WarningIntakeListenerMax; i++)
            {
                var socket = new TcpClient();
                tricklers.Add(socket);
                using var cts = new CancellationTokenSource(TestNode.Timeout);
                await socket.ConnectAsync(intake, cts.Token);
                await socket.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01 }, cts.Token); // a TLS record header, and no more
            }

            // All were taken in turn; all but the last four gave way to the next.
            await node.Logs.WaitForAsync(e => e.EventId.Id == 4032, WarningIntakeListenerMax - 4, TestNode.Timeout);

            await using var sensor = await node.ConnectIntakeAsync(files);
            await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
            await sensor.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning back on the intake");
            Assert.True(node.Node.Metrics.ConnectionRefusalCount(ConnectionRefusal.HandshakeDisplaced) >= WarningIntakeListenerMax - 3);
            Assert.Equal(0, node.Node.Metrics.ConnectionRefusalCount(ConnectionRefusal.IntakeFull));
        }
        finally
        {
            tricklers.ForEach(t => t.Dispose());
        }
    }

    private const int WarningIntakeListenerMax = Hosting.WarningIntakeListener.MaxConnections;

    [Fact]
    public async Task A_tls_handshake_that_does_not_finish_within_the_deadline_is_closed_on_every_tls_listener()
    {
        await using var node = await TestNode.StartAsync(warningIntake: true, handshakeTimeout: TimeSpan.FromSeconds(1));
        foreach (var listener in new[] { "cot-tls", "warning-intake", "https" })
        {
            using var socket = new TcpClient();
            using var cts = new CancellationTokenSource(TestNode.Timeout);
            await socket.ConnectAsync(node.Node.Endpoint(listener)!, cts.Token);
            var stream = socket.GetStream();
            await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01 }, cts.Token);

            // The node closes it: the read ends (0 bytes or a reset), well before the test's own bound.
            try
            {
                var buffer = new byte[64];
                while (await stream.ReadAsync(buffer, cts.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
                // Reset by the node: closed as well.
            }

            Assert.False(cts.IsCancellationRequested, $"{listener} left the handshake open");
            await node.Logs.WaitForAsync(e => e.EventId.Id == 4031 && e.Message.Contains(" on " + listener + " ", StringComparison.Ordinal), TestNode.Timeout);
        }

        Assert.True(node.Node.Metrics.ConnectionRefusalCount(ConnectionRefusal.HandshakeTimeout) >= 3);
    }

    [Fact]
    public async Task One_address_may_hold_only_so_many_connections_on_a_listener_and_the_rest_are_refused_with_the_reason()
    {
        await using var node = await TestNode.StartAsync(maxConnectionsPerAddress: 3);
        var clients = new List<CotTestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await node.ConnectTcpAsync());
            }

            // The fourth is closed before it is a client: it never gets the protocol offer.
            await using (var refused = await CotTestClient.ConnectAsync(node.CotTcp, read: true).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null))
            {
                Assert.Null(refused);
            }

            var logged = await node.Logs.WaitForAsync(e => e.EventId.Id == 4030, TestNode.Timeout);
            Assert.Contains("cot-tcp", logged.Message, StringComparison.Ordinal);
            Assert.Equal(1, node.Node.Metrics.ConnectionRefusalCount(ConnectionRefusal.PerAddressLimit));

            // Another listener counts its own; and a slot given back can be taken again.
            await using var tls = await node.ConnectTlsAsync("jjoc-other-listener");
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            await node.Logs.WaitForAsync(e => e.EventId.Id == 1002, TestNode.Timeout);
            clients.Add(await node.ConnectTcpAsync());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_data_directory_is_the_owners_alone_and_every_file_in_it_too()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes
        }

        await using var node = await TestNode.StartAsync(warningIntake: true);
        await using var sensor = await node.ConnectIntakeAsync("jpn-sensor-feed");
        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));
        await sensor.ExpectOrSeenAsync(e => e.Type == WarningCot.WarningType, "the warning");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(node.DataDir));
        var files = Directory.GetFiles(node.DataDir, "*", SearchOption.AllDirectories);
        foreach (var name in new[] { "kizuna.db", "kizuna.db-wal", "warnings.db", "warnings.db-wal", Path.Combine("certs", "ca.key"), Path.Combine("certs", "ca.pem"), Path.Combine("certs", "issued.json") })
        {
            Assert.Contains(Path.Combine(node.DataDir, name), files);
        }

        foreach (var file in files)
        {
            Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{Path.GetRelativePath(node.DataDir, file)} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task The_node_refuses_to_run_on_a_data_directory_other_users_can_read_and_says_how_to_fix_it()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes
        }

        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            var refused = await Assert.ThrowsAsync<SettingsException>(() => TestNode.StartAsync(dataDir: dataDir));
            Assert.Contains($"chmod 700 {dataDir}", refused.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(dataDir));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_control_character_sent_through_protobuf_never_reaches_an_xml_client()
    {
        await using var node = await TestNode.StartAsync();
        using var raw = new TcpClient();
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await raw.ConnectAsync(node.CotTcp, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        async Task ReadUntilAsync(string marker)
        {
            while (!Encoding.UTF8.GetString(received.ToArray()).Contains(marker, StringComparison.Ordinal))
            {
                var n = await raw.GetStream().ReadAsync(buffer, cts.Token);
                Assert.True(n > 0, "the node closed the XML client");
                received.Write(buffer, 0, n);
            }
        }

        await ReadUntilAsync(TakControlEvents.ProtocolOfferType); // the XML client is routable

        await using var sender = await node.ConnectTcpAsync();
        await sender.SendAsync(CotText.ProtocolRequest(1));
        await sender.ExpectAsync(e => e.Type == TakControlEvents.ProtocolResponseType, "the protocol answer");
        // Built as a client would send them: the codec under test refuses to make such events.
        var hostile = CotXml.Decode(Encoding.UTF8.GetBytes(CotText.Position("ctl-uid", "ESC")));
        hostile.Uid = "ctl-uid\u0001\u0000";
        var inDetail = TakProto.EncodeStreamFrame(CotXml.Decode(Encoding.UTF8.GetBytes(CotText.Position("ctl-callsign", "CXXXX"))));
        var at = inDetail.AsSpan().IndexOf("XXXX"u8);
        "\u001b[2J"u8.CopyTo(inDetail.AsSpan(at)); // ESC [ 2 J: clear the screen of a terminal that shows it
        await sender.SendAsync(TakProto.EncodeStreamFrame(hostile));
        await sender.SendAsync(inDetail);
        await sender.SendAsync(TakProto.EncodeStreamFrame(CotXml.Decode(Encoding.UTF8.GetBytes(CotText.Position("after-control", "OK")))));

        await ReadUntilAsync("after-control");
        var bytes = received.ToArray();
        Assert.DoesNotContain(bytes, b => b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r'));
        Assert.DoesNotContain("ctl-", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1003 && e.Message.Contains(nameof(CotRejectReason.ControlCharacter), StringComparison.Ordinal), 2, TestNode.Timeout);
        Assert.Equal(2, node.Node.Metrics.Rejects(CotRejectReason.ControlCharacter));
    }

    [Fact]
    public async Task A_sender_whose_input_is_refused_by_the_decoder_is_told_why_at_most_once_an_interval()
    {
        // An interval longer than the test: the second reject is certainly within it.
        await using var node = await TestNode.StartAsync(new ConnectionOptions { RejectNoticeInterval = TimeSpan.FromHours(1) });
        await using var client = await node.ConnectTcpAsync();

        await client.SendAsync(CotText.Position("bad-lat-1", "B", lat: 200));
        var notice = await client.ExpectAsync(e => e.Type == RefusalNotice.Type, "the refusal notice");
        var refusal = notice.Detail.Element("__refusal")!;
        Assert.Equal(nameof(CotRejectReason.BadCoordinate), refusal.Attribute("reason"));
        Assert.DoesNotContain("200", refusal.ToXml(), StringComparison.Ordinal); // the reason, never the input

        await client.SendAsync(CotText.Position("bad-lat-2", "B", lat: 200));
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1036, TestNode.Timeout);
        await client.SendAsync(CotText.Ping("barrier"));
        await client.ExpectAsync(e => e.Type == TakControlEvents.PongType, "the pong");
        Assert.Single(client.Received, e => e.Type == RefusalNotice.Type);
        Assert.Equal(2, node.Node.Metrics.Rejects(CotRejectReason.BadCoordinate));
    }
}
