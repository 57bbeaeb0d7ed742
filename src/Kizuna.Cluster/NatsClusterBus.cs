using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Kizuna.Cluster;

/// <summary>
/// The cluster bus on NATS JetStream. Each accepted event is published once, as the CoT XML the
/// router already encoded (the label is stamped in it), on a subject that says its label
/// (<see cref="ClusterSubjects"/>), with headers naming the instance, sender, receive time and
/// uid owner. A JetStream stream keeps the cluster's subjects for a short while, so an instance
/// reads through an ordered consumer: nothing is skipped across a reconnect, and a starting
/// instance reads back over the moment it loaded the picture from PostgreSQL. An instance skips its own events.
/// </summary>
public sealed class NatsClusterBus : IClusterBus
{
    private const string InstanceHeader = "Kizuna-Instance";
    private const string SenderHeader = "Kizuna-Sender";
    private const string ReceivedHeader = "Kizuna-Received";
    private const string OwnerHeader = "Kizuna-Owner";
    private const string WarningHeader = "Kizuna-Warning";
    private const string VersionHeader = "Kizuna-Warning-Version";
    private const string ReportStoredHeader = "Kizuna-Report-Stored";

    private readonly ClusterOptions _options;
    private readonly LabelPolicy _labels;
    private readonly Principal _node;
    private readonly ILogger _logger;
    private readonly ClusterSubjects _subjects;
    private readonly Channel<Outgoing> _outgoing;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private NatsConnection? _connection;
    private NatsJSContext? _js;
    private long _published;
    private long _received;
    private long _dropped;
    private int _full;

    public NatsClusterBus(ClusterOptions options, LabelPolicy labels, Principal node, ILogger<NatsClusterBus>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(labels);
        _options = options;
        _labels = labels;
        _node = node;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _subjects = new ClusterSubjects(options.Name, labels.Profile);
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.MaxPendingEvents)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _meter = options.MeterFactory?.Create("Kizuna.Cluster") ?? new Meter("Kizuna.Cluster");
        _ownsMeter = options.MeterFactory is null;
        _meter.CreateObservableCounter("kizuna.cluster.events.published", () => Interlocked.Read(ref _published), description: "Events this instance put on the cluster bus");
        _meter.CreateObservableCounter("kizuna.cluster.events.received", () => Interlocked.Read(ref _received), description: "Other instances' events this instance took from the bus");
        _meter.CreateObservableCounter("kizuna.cluster.events.dropped", () => Interlocked.Read(ref _dropped), description: "Events dropped from the bus because its queue was full or the publish failed");
        _meter.CreateObservableGauge("kizuna.cluster.queue.depth", () => _outgoing.Reader.Count, description: "Events waiting to be put on the bus");
    }

    public string InstanceId => _options.InstanceId;

    public bool IsConnected => _connection?.ConnectionState == NatsConnectionState.Open;

    /// <summary>The subjects of this bus (for tests and /healthz).</summary>
    public ClusterSubjects Subjects => _subjects;

    public async Task StartAsync(IClusterMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Url = _options.Url,
            Name = $"kizuna-{_options.InstanceId}",
            ConnectTimeout = _options.ConnectTimeout,
            // Reconnects go on for as long as the instance runs.
            MaxReconnectRetry = -1,
        });
        _connection = connection;
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"The cluster bus could not reach NATS at {_options.Url} within {_options.ConnectTimeout.TotalSeconds:0} s ({ex.Message}). Start nats-server with JetStream (`nats-server -js`), or check --nats.", ex);
        }

        var js = new NatsJSContext(connection);
        _js = js;
        try
        {
            await js.CreateOrUpdateStreamAsync(new StreamConfig(_subjects.Stream, [_subjects.StreamSubjects])
            {
                Storage = StreamConfigStorage.File,
                MaxAge = _options.StreamMaxAge,
                Discard = StreamConfigDiscard.Old,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new InvalidOperationException(
                $"The cluster stream {_subjects.Stream} could not be made on {_options.Url} ({ex.Error.Description}); is JetStream on (`nats-server -js`)?", ex);
        }

        var from = DateTimeOffset.UtcNow - _options.StartOverlap;
        var filters = _options.Nations is { Count: > 0 } nations
            ? nations.Select(n => (Filter: _subjects.ReleasableTo(n), Nation: (string?)n)).ToList()
            : [(_subjects.All, null)];
        // Warning notices go to every instance, whatever nations it serves: the view is chosen per client.
        filters.Add((_subjects.Warnings, null));
        foreach (var (filter, nation) in filters)
        {
            var consumer = await js.CreateOrderedConsumerAsync(_subjects.Stream, new NatsJSOrderedConsumerOpts
            {
                FilterSubjects = [filter],
                DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
                OptStartTime = from,
            }, cancellationToken).ConfigureAwait(false);
            _loops.Add(Task.Run(() => ConsumeAsync(consumer, filter, nation, member), CancellationToken.None));
        }

        _loops.Add(Task.Run(PublishLoopAsync, CancellationToken.None));
        ClusterLog.Joined(_logger, _subjects.Cluster, _options.InstanceId, _options.Url, _subjects.Stream, string.Join(", ", filters.Select(f => f.Filter)));
    }

    public Task<bool> PublishWarningIssued(string warningId, int version)
    {
        ArgumentNullException.ThrowIfNull(warningId);
        var held = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Enqueue(new Outgoing(null, null, warningId, version, held)))
            held.TrySetResult(false);
        return held.Task;
    }

    public void PublishReportStored() => Enqueue(new Outgoing(null, null));

    public void Publish(SharedEvent evt, string? owner)
    {
        ArgumentNullException.ThrowIfNull(evt);
        Enqueue(new Outgoing(evt, owner));
    }

    private bool Enqueue(Outgoing outgoing)
    {
        if (_outgoing.Writer.TryWrite(outgoing))
        {
            if (Volatile.Read(ref _full) != 0 && _outgoing.Reader.Count < _options.MaxPendingEvents / 2)
                Interlocked.Exchange(ref _full, 0);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _full, 1) == 0)
            ClusterLog.QueueFull(_logger, _options.MaxPendingEvents);
        return false;
    }

    private async Task PublishLoopAsync()
    {
        var connection = _connection!;
        try
        {
            await foreach (var (evt, owner, warningId, version, held) in _outgoing.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (evt is null)
                {
                    if (warningId is null)
                        await PublishReportStoredAsync(connection).ConfigureAwait(false);
                    else
                        held!.TrySetResult(await PublishWarningAsync(warningId, version).ConfigureAwait(false));
                    continue;
                }

                var headers = new NatsHeaders
                {
                    [InstanceHeader] = _options.InstanceId,
                    [SenderHeader] = evt.Sender,
                    [ReceivedHeader] = new DateTimeOffset(evt.ReceivedAt, TimeSpan.Zero).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                };
                if (owner is not null)
                    headers[OwnerHeader] = owner;
                try
                {
                    await connection.PublishAsync(_subjects.For(StoredLabel.Of(evt.Label)), evt.Encoded(WireFormat.CotXml), headers, cancellationToken: _stopping.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _published);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException)
                {
                    Interlocked.Increment(ref _dropped);
                    ClusterLog.PublishFailed(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A warning notice: no payload, the id and version in headers, on the warnings' subject (every
    /// instance consumes it, whatever nations it serves). Published to JetStream and acknowledged,
    /// with the id and version as the message id: the stream keeps one notice per version however
    /// often it is announced within its duplicate window. True once the stream holds it.
    /// </summary>
    private async Task<bool> PublishWarningAsync(string warningId, int version)
    {
        var headers = new NatsHeaders
        {
            [InstanceHeader] = _options.InstanceId,
            [WarningHeader] = warningId,
            [VersionHeader] = version.ToString(CultureInfo.InvariantCulture),
        };
        try
        {
            var ack = await _js!.PublishAsync(
                _subjects.Warnings,
                Array.Empty<byte>(),
                opts: new NatsJSPubOpts { MsgId = $"warning:{warningId}:{version.ToString(CultureInfo.InvariantCulture)}" },
                headers: headers,
                cancellationToken: _stopping.Token).ConfigureAwait(false);
            ack.EnsureSuccess();
            Interlocked.Increment(ref _published);
            return true;
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            Interlocked.Increment(ref _dropped);
            ClusterLog.PublishFailed(_logger, ex.Message);
            return false;
        }
    }

    /// <summary>A notice that a sensor report was stored for the warning issuer (core NATS: the issuer also looks at every lease renewal).</summary>
    private async Task PublishReportStoredAsync(NatsConnection connection)
    {
        var headers = new NatsHeaders { [InstanceHeader] = _options.InstanceId, [ReportStoredHeader] = "1" };
        try
        {
            await connection.PublishAsync(_subjects.Warnings, Array.Empty<byte>(), headers, cancellationToken: _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            ClusterLog.PublishFailed(_logger, ex.Message);
        }
    }

    private async Task ConsumeAsync(INatsJSConsumer consumer, string filter, string? nation, IClusterMember member)
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: _stopping.Token).ConfigureAwait(false))
                {
                    if (!ClusterSubjects.Matches(filter, message.Subject))
                        continue;
                    var headers = message.Headers;
                    var instance = headers?.TryGetValue(InstanceHeader, out var i) == true ? i.ToString() : "";
                    if (string.Equals(instance, _options.InstanceId, StringComparison.Ordinal))
                        continue;
                    if (headers?.ContainsKey(ReportStoredHeader) == true)
                    {
                        member.AcceptReportStoredFromCluster();
                        continue;
                    }

                    if (headers?.TryGetValue(WarningHeader, out var warningId) == true)
                    {
                        if (headers.TryGetValue(VersionHeader, out var v) && int.TryParse(v.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var warningVersion))
                        {
                            Interlocked.Increment(ref _received);
                            member.AcceptWarningFromCluster(warningId.ToString(), warningVersion);
                        }

                        continue;
                    }

                    if (message.Data is not { Length: > 0 } xml)
                        continue;
                    SharedEvent shared;
                    try
                    {
                        var evt = CotXml.Decode(xml, CotLimits.NodeWritten);
                        var sender = headers?.TryGetValue(SenderHeader, out var s) == true ? s.ToString() : instance;
                        var received = headers?.TryGetValue(ReceivedHeader, out var r) == true && long.TryParse(r.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
                            : DateTime.UtcNow;
                        shared = new SharedEvent(evt, _labels.ReadStored(evt, _node), sender, received, xml);
                    }
                    catch (Exception ex) when (ex is CotFormatException or FormatException or ArgumentException or System.Xml.XmlException)
                    {
                        ClusterLog.EventUnreadable(_logger, instance, message.Subject, ex.Message);
                        continue;
                    }

                    Interlocked.Increment(ref _received);
                    var owner = headers?.TryGetValue(OwnerHeader, out var o) == true ? o.ToString() : null;
                    member.AcceptFromCluster(shared, owner, nation);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or InvalidOperationException)
            {
                ClusterLog.ConsumerFailed(_logger, filter, ex.Message, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        // What is queued goes out first, for a short while at most.
        if (_loops.Count > 0)
            await Task.WhenAny(_loops[^1], Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        if (_connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
        ClusterLog.Left(_logger, _subjects.Cluster, Interlocked.Read(ref _published), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));
        if (_ownsMeter)
            _meter.Dispose();
        _stopping.Dispose();
    }

    /// <summary>An event with its uid's owner, or (<see cref="Event"/> null) a warning version issued here, or (both null) a report stored for the issuer.</summary>
    private readonly record struct Outgoing(SharedEvent? Event, string? Owner, string? WarningId = null, int Version = 0, TaskCompletionSource<bool>? Held = null);
}
