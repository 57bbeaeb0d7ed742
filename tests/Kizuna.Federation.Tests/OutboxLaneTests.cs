using Kizuna.Core.Alliance;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Federation.Wire;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Federation.Tests;

/// <summary>
/// The outbox's lanes, on a real node's history (the US hub's) with a partner link that stands
/// for Japan's node: a warning never waits behind a picture backlog on the link, and a cut in
/// the middle of the backlog, then a restart from the kept cursor, loses nothing and delivers
/// nothing twice, in either lane.
/// </summary>
public sealed class OutboxLaneTests : IAsyncLifetime
{
    private const string Japan = "kizuna-fake-japan";
    private const string Korea = "kizuna-fake-korea";
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private TestNode _hub = null!;
    private FederationExchange _exchange = null!;
    private FederationLink _profileLink = null!;

    public async Task InitializeAsync()
    {
        _hub = await TestNode.StartAsync(nodeOrg: "USFJ", federation: true);
        _exchange = (FederationExchange)_hub.Node.Services.GetService(typeof(IFederationStatus))!;
        _profileLink = _exchange.Labels.Profile.Federation.Find("USFJ", "JJOC")!;
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task A_warning_report_behind_a_picture_backlog_larger_than_the_window_is_sent_before_the_backlog_is_acknowledged()
    {
        await AppendPicturesAsync("backlog", FederationOutbox.Window + 300);
        await AppendAsync(Report("report-1", sequence: 1));
        var link = new PartnerLink(Japan, "JJOC", _profileLink, new KizunaHoldings(), ackEvery: 0, cutAfter: int.MaxValue);
        var outbox = new FederationOutbox(_exchange, Japan, 0);
        link.Outbox = outbox;

        outbox.Start(link);
        try
        {
            var warning = await link.FirstOfType("b-w-m-r").WaitAsync(Bounded);

            // Nothing was acknowledged: the picture lane stopped at its window, the warning passed it.
            Assert.Equal(FederationLane.Warning, warning.Lane);
            Assert.True(link.Count(FederationLane.Picture) <= FederationOutbox.Window, "the picture lane waits at its window");
            Assert.True(_exchange.Store.LastPosition - outbox.Status().LastAcknowledgedPosition > FederationOutbox.Window, "the picture backlog is still pending");
        }
        finally
        {
            outbox.Stop(link);
        }
    }

    [Fact]
    public async Task A_cut_in_the_middle_of_a_picture_backlog_then_a_restart_from_the_kept_cursor_loses_and_repeats_nothing_in_either_lane()
    {
        await AppendPicturesAsync("first", 3000);
        await AppendAsync(Report("report-1", sequence: 1));
        await AppendAsync(Coordination("coordination-1"));
        await AppendPicturesAsync("second", 1000);
        await AppendAsync(Report("report-2", sequence: 2));
        var expected = Enumerable.Range(0, 3000).Select(i => $"first-{i}")
            .Concat(["report-1", "coordination-1"])
            .Concat(Enumerable.Range(0, 1000).Select(i => $"second-{i}"))
            .Append("report-2")
            .ToHashSet(StringComparer.Ordinal);

        // Japan's node as the inbox is: de-duplicated by (origin, sequence), acknowledged per lane.
        var receiver = new Receiver();
        // The first link carries no picture until three urgent items came (a slow picture lane),
        // and is cut after 1,550 messages: the last 50 are received and not acknowledged.
        var first = new PartnerLink(Japan, "JJOC", _profileLink, new KizunaHoldings(), ackEvery: 100, cutAfter: 1550, receiver, picturesAfterUrgent: 3);
        var outbox = new FederationOutbox(_exchange, Japan, 0);
        first.Outbox = outbox;
        outbox.Start(first);
        await first.Cut.WaitAsync(Bounded);
        outbox.Stop(first);
        await outbox.SaveNowAsync();

        // Both warnings and the coordination item crossed before the pictures in front of them, on their lanes.
        Assert.Equal([FederationLane.Warning, FederationLane.Coordination, FederationLane.Warning], first.UrgentLanes());
        Assert.DoesNotContain(receiver.Delivered, u => u.StartsWith("second-", StringComparison.Ordinal));

        // A restart: a new outbox from the cursor it kept, the partner stating what it holds.
        var cursors = await _exchange.Store.FederationCursorsAsync(CancellationToken.None);
        var second = new PartnerLink(Japan, "JJOC", _profileLink, receiver.Holdings.ToWire(), ackEvery: 1, cutAfter: int.MaxValue, receiver);
        var restarted = new FederationOutbox(_exchange, Japan, cursors.GetValueOrDefault(Japan));
        second.Outbox = restarted;
        restarted.Start(second);
        try
        {
            await receiver.Until(() => expected.IsSubsetOf(receiver.Delivered)).WaitAsync(Bounded);
            await Infrastructure.Trilateral.UntilAsync(() => restarted.Status().LastAcknowledgedPosition == _exchange.Store.LastPosition, "the cursor is at the end of the history", Bounded);

            Assert.Equal(expected.Count, receiver.Delivered.Count(expected.Contains));
            Assert.Empty(receiver.DeliveredTwice);
            var status = restarted.Status();
            Assert.Equal(status.Sent, status.Acknowledged + status.Expired + status.Withheld);
        }
        finally
        {
            restarted.Stop(second);
        }
    }

    private async Task AppendPicturesAsync(string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _exchange.Store.Append(new StoredEvent(CotXml.Decode(CotText.Labelled($"{prefix}-{i}", "C" + i, "SECRET", "USA,JPN,KOR")), DateTime.UtcNow, "tls:test"));
        }

        await _exchange.Store.FlushAsync(CancellationToken.None);
    }

    private async Task AppendAsync(StoredEvent stored)
    {
        _exchange.Store.Append(stored);
        await _exchange.Store.FlushAsync(CancellationToken.None);
    }

    /// <summary>A Korean sensor report the hub took from Korea's node (vouched there): what the outbox relays on the warning lane.</summary>
    private static StoredEvent Report(string uid, long sequence)
    {
        var now = DateTime.UtcNow;
        var xml = $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-w-m-r\" how=\"m-f\" access=\"SECRET\" releasableTo=\"USA,JPN,KOR\" time=\"{CotText.Time(now)}\" start=\"{CotText.Time(now)}\" stale=\"{CotText.Time(now.AddMinutes(10))}\">"
                  + "<point lat=\"39.2\" lon=\"125.67\" hae=\"0\" ce=\"8000\" le=\"9999999\"/>"
                  + $"<detail><__missileReport reportId=\"{uid}\" sensor=\"GREEN-PINE-1\" nation=\"KOR\" detectionTime=\"{CotText.Time(now)}\" launchTime=\"{CotText.Time(now.AddSeconds(-30))}\" state=\"tracking\" confidence=\"0.8\"/></detail></event>";
        return new StoredEvent(CotXml.Decode(xml), now, "federation:ROK-JCS") { OriginNode = Korea, OriginSequence = sequence, Provenance = Korea + "/ROK-JCS" };
    }

    /// <summary>A version of a coordination request the hub's own desk kept (sender <c>node</c>).</summary>
    private static StoredEvent Coordination(string uid)
    {
        var now = DateTime.UtcNow;
        var xml = $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-t-f\" how=\"h-g-i-g-o\" access=\"SECRET\" releasableTo=\"USA,JPN\" time=\"{CotText.Time(now)}\" start=\"{CotText.Time(now)}\" stale=\"{CotText.Time(now.AddMinutes(10))}\">"
                  + "<point lat=\"0\" lon=\"0\" hae=\"9999999\" ce=\"9999999\" le=\"9999999\"/>"
                  + "<detail><__coordination version=\"1\" state=\"sent\"/></detail></event>";
        return new StoredEvent(CotXml.Decode(xml), now, "node");
    }

    /// <summary>Japan's node as its inbox behaves: takes each event once by (origin, sequence), whichever link brought it.</summary>
    private sealed class Receiver
    {
        private readonly Lock _gate = new();
        private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiting = [];

        public FederationHoldings Holdings { get; } = new();

        public HashSet<string> Delivered { get; } = new(StringComparer.Ordinal);

        public List<string> DeliveredTwice { get; } = [];

        public void Take(string uid, KizunaEnvelope envelope)
        {
            lock (_gate)
            {
                if (!Holdings.TryAdd(envelope.OriginNodeId, (long)envelope.OriginSequence))
                {
                    return;
                }

                if (!Delivered.Add(uid))
                {
                    DeliveredTwice.Add(uid);
                }

                foreach (var (condition, done) in _waiting)
                {
                    if (condition())
                    {
                        done.TrySetResult();
                    }
                }
            }
        }

        public Task Until(Func<bool> condition)
        {
            lock (_gate)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (condition())
                {
                    done.TrySetResult();
                }
                else
                {
                    _waiting.Add((condition, done));
                }

                return done.Task;
            }
        }
    }

    /// <summary>
    /// The partner's end of a link, with no transport between: each message is received when sent
    /// (the order of the calls is the wire order), an acknowledgement is given per lane, as the
    /// inbox gives it, after every <c>ackEvery</c> messages, and the link is cut after <c>cutAfter</c> messages.
    /// </summary>
    private sealed class PartnerLink(string nodeId, string organization, FederationLink profileLink, KizunaHoldings holdings, int ackEvery, int cutAfter, Receiver? receiver = null, int picturesAfterUrgent = 0) : IFederationLink
    {
        private readonly TaskCompletionSource _picturesMayPass = NewPass(picturesAfterUrgent);
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource _closed = new();
        private readonly List<(string Type, FederationLane Lane, KizunaOriginPosition Origin)> _received = [];
        private readonly List<(string Type, TaskCompletionSource<(string Type, FederationLane Lane)> Seen)> _watching = [];
        private readonly TaskCompletionSource _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _sinceAck;

        public FederationOutbox? Outbox { get; set; }

        public FederationPeer Peer { get; } = new(nodeId, organization, "JPN", "fingerprint-" + nodeId, profileLink);

        public LinkDirection Direction => LinkDirection.Inbound;

        public bool PeerIsKizuna => true;

        public KizunaHoldings PeerHoldings { get; } = holdings;

        public CancellationToken Closed => _closed.Token;

        public Task Cut => _cut.Task;

        public Task<(string Type, FederationLane Lane)> FirstOfType(string type)
        {
            lock (_gate)
            {
                var seen = new TaskCompletionSource<(string Type, FederationLane Lane)>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_received.FirstOrDefault(r => r.Type == type) is { Type: not null } found)
                {
                    seen.TrySetResult((found.Type, found.Lane));
                }
                else
                {
                    _watching.Add((type, seen));
                }

                return seen.Task;
            }
        }

        public int Count(FederationLane lane)
        {
            lock (_gate)
            {
                return _received.Count(r => r.Lane == lane);
            }
        }

        public ValueTask SendAsync(FederatedEvent message, CancellationToken cancellationToken = default)
            => SendAsync(message, FederationLane.Picture, cancellationToken);

        public List<FederationLane> UrgentLanes()
        {
            lock (_gate)
            {
                return [.. _received.Where(r => r.Lane != FederationLane.Picture).Select(r => r.Lane)];
            }
        }

        private static TaskCompletionSource NewPass(int after)
        {
            var pass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (after == 0)
            {
                pass.TrySetResult();
            }

            return pass;
        }

        public async ValueTask SendAsync(FederatedEvent message, FederationLane lane, CancellationToken cancellationToken)
        {
            if (lane == FederationLane.Picture)
            {
                await _picturesMayPass.Task.WaitAsync(cancellationToken);
            }

            KizunaHoldings? ack = null;
            lock (_gate)
            {
                if (_closed.IsCancellationRequested)
                {
                    throw new OperationCanceledException("the link was cut");
                }

                _received.Add((message.Event.Type, lane, new KizunaOriginPosition { OriginNodeId = message.Kizuna.OriginNodeId, Sequence = message.Kizuna.OriginSequence }));
                receiver?.Take(message.Event.Uid, message.Kizuna);
                if (_received.Count(r => r.Lane != FederationLane.Picture) >= picturesAfterUrgent)
                {
                    _picturesMayPass.TrySetResult();
                }

                foreach (var (type, seen) in _watching)
                {
                    if (type == message.Event.Type)
                    {
                        seen.TrySetResult((type, lane));
                    }
                }

                if (ackEvery > 0 && ++_sinceAck >= ackEvery)
                {
                    _sinceAck = 0;
                    ack = new KizunaHoldings();
                    foreach (var last in _received.GroupBy(r => r.Lane).Select(g => g.Last().Origin))
                    {
                        ack.Positions.Add(last);
                    }
                }

                if (_received.Count >= cutAfter)
                {
                    _closed.Cancel();
                    _cut.TrySetResult();
                }
            }

            if (ack is not null)
            {
                Outbox?.OnAck(ack);
            }
        }
    }
}
