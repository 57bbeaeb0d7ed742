using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Kizuna.LoadGen;

/// <summary>What one load run does. <see cref="Rate"/> 0 means as fast as the in-flight window lets.</summary>
internal sealed record LoadRunOptions
{
    public required IPEndPoint Target { get; init; }
    public int Publishers { get; init; } = 10;
    public int Subscribers { get; init; } = 10;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Total offered events/s across publishers; 0 = saturate (closed loop, bounded window).</summary>
    public double Rate { get; init; }
    public int EventBytes { get; init; } = 400;
    /// <summary>Entities (uids) each publisher reports in turn; 1 = one uid per publisher.</summary>
    public int Entities { get; init; } = 1;
    /// <summary>Events in flight (sent, not yet seen by the observing subscriber), over all publishers. Saturated mode only.</summary>
    public int Window { get; init; } = 1000;
    /// <summary>Most events one publisher write carries. 1 = one write per event, as a TAK client sends.</summary>
    public int Batch { get; init; } = 1;
    public ClientTls? Tls { get; init; }
    /// <summary>Where subscribers connect, when not to <see cref="Target"/> (another node, across a federation link).</summary>
    public IPEndPoint? SubscriberTarget { get; init; }
    /// <summary>The subscribers' TLS identity, when not <see cref="Tls"/> (another node has another CA).</summary>
    public ClientTls? SubscriberTls { get; init; }
    /// <summary>CoT label attributes written into every event (for example <c>access="UNCLASSIFIED" releasableTo="USA,JPN"</c>); none by default.</summary>
    public string? LabelAttributes { get; init; }
    public int? ServerPid { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>After the window closes, how long to wait for stragglers before closing.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Completed when the publishers start sending (warmup begins); for harnesses that act during the run.</summary>
    public TaskCompletionSource? Started { get; init; }
    /// <summary>
    /// Open loop, flat out: every publisher writes <see cref="Batch"/> events at a time as fast as
    /// TCP takes them, with no window and no pacing (<see cref="Rate"/> and <see cref="Window"/> unused).
    /// </summary>
    public bool Flood { get; init; }
    /// <summary>The node's Prometheus endpoint, read at the window's ends: what it accepted and dropped.</summary>
    public Uri? MetricsUrl { get; init; }
    /// <summary>Clients that connect after the subscribers, say hello, and never read (stalled lanes beside the load); not counted.</summary>
    public int Stalled { get; init; }
}

/// <summary>The figures of one run. Latencies in milliseconds.</summary>
internal sealed record LoadRunResult(
    int Publishers,
    int Subscribers,
    double Rate,
    int EventBytes,
    double OfferedPerSecond,
    double DeliveredPerSecond,
    double DeliveredFraction,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long LatencySamples,
    long WindowStalls,
    long GeneratorBehind,
    int Disconnects,
    double? ServerRssMiB,
    double? ServerCpuPercent,
    double GeneratorCpuPercent,
    int Entities = 1,
    bool Flood = false,
    double? AcceptedPerSecond = null,
    double? NodeDroppedPerSecond = null,
    int? ServerThreads = null)
{
    public string Describe()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"{Publishers} pub x {Subscribers} sub{(Entities > 1 ? $" ({Entities} entities each)" : "")}, {(Flood ? "flood (open loop)" : Rate > 0 ? $"rate {Rate:F0}/s" : "saturated")}, event {EventBytes} B: ");
        s.Append(CultureInfo.InvariantCulture, $"offered {OfferedPerSecond:F0}/s, ");
        if (AcceptedPerSecond is { } accepted)
        {
            s.Append(CultureInfo.InvariantCulture, $"accepted by the node {accepted:F0}/s, ");
        }

        s.Append(CultureInfo.InvariantCulture, $"delivered {DeliveredPerSecond:F0}/s, not delivered {Math.Max(0, (OfferedPerSecond * Subscribers) - DeliveredPerSecond):F0}/s, fraction {DeliveredFraction:F3}, ");
        if (NodeDroppedPerSecond is { } dropped)
        {
            s.Append(CultureInfo.InvariantCulture, $"dropped by the node {dropped:F0}/s, ");
        }

        s.Append(CultureInfo.InvariantCulture, $"latency p50 {P50Ms:F2} ms p99 {P99Ms:F2} ms max {MaxMs:F2} ms ({LatencySamples} samples)");
        s.Append(CultureInfo.InvariantCulture, $"; generator CPU {GeneratorCpuPercent:F0}%");
        if (ServerCpuPercent is { } cpu)
        {
            s.Append(CultureInfo.InvariantCulture, $", server CPU {cpu:F0}%");
        }

        if (ServerRssMiB is { } rss)
        {
            s.Append(CultureInfo.InvariantCulture, $", server RSS {rss:F0} MiB");
        }

        if (ServerThreads is { } threads)
        {
            s.Append(CultureInfo.InvariantCulture, $", server threads {threads}");
        }

        if (WindowStalls > 0 || GeneratorBehind > 0 || Disconnects > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"; window stalls {WindowStalls}, generator-behind events {GeneratorBehind}, disconnects {Disconnects}");
        }

        return s.ToString();
    }
}

/// <summary>
/// P publishers and S subscribers against one target. Everything is async on the thread pool
/// (no thread per connection), and publishers write batches from a patched byte template, so
/// the generator costs little next to the server it shares two cores with.
/// Subscribers connect first; then publishers connect and send for warmup + duration; only events
/// sent in the measurement window (after warmup) count: offered = sent in it, delivered = copies of
/// them that reached subscribers (by the end of the drain), latency = their receive - send time.
/// A flood (<see cref="LoadRunOptions.Flood"/>) counts instead every copy received in the window.
/// </summary>
internal sealed class LoadRun
{
    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>What <c>run</c> prints when the publishers start (the warning benchmark waits for it).</summary>
    public const string StartedLine = "Load started";
    private static readonly TimeSpan AckWaitTimeout = TimeSpan.FromMilliseconds(200);

    private readonly LoadRunOptions _o;
    private readonly long _epoch = Stopwatch.GetTimestamp();
    private readonly long[] _acked;
    private readonly TaskCompletionSource?[] _ackGates;
    private readonly long[] _offeredInWindow;
    private readonly SubscriberState[] _subscribers;
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _windowStalls;
    private long _generatorBehind;
    private int _disconnects;

    private LoadRun(LoadRunOptions options)
    {
        _o = options;
        _acked = new long[options.Publishers];
        _ackGates = new TaskCompletionSource?[options.Publishers];
        _offeredInWindow = new long[options.Publishers];
        _subscribers = new SubscriberState[options.Subscribers];
        for (int i = 0; i < _subscribers.Length; i++)
        {
            _subscribers[i] = new SubscriberState(i);
        }
    }

    public static Task<LoadRunResult> RunAsync(LoadRunOptions options, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Publishers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Subscribers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Rate);
        if (!options.Flood)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, options.Publishers);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.Batch, 1);
        return new LoadRun(options).RunCoreAsync(ct);
    }

    private long NowMicros() => (long)Stopwatch.GetElapsedTime(_epoch).TotalMicroseconds;

    private async Task<LoadRunResult> RunCoreAsync(CancellationToken ct)
    {
        // Hard bound: the run can never outlive its own schedule by much.
        var budget = (_o.ConnectTimeout * 2) + _o.Warmup + _o.Duration + _o.Drain + TimeSpan.FromSeconds(10);
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        runCts.CancelAfter(budget);
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(runCts.Token);
        var streams = new List<Stream>();
        var readers = new List<Task>();
        try
        {
            // 1. Subscribers connect and say hello (as a TAK client would) before anyone publishes.
            var subscriberStreams = await ConnectManyAsync(_o.Subscribers, _o.SubscriberTarget ?? _o.Target, _o.SubscriberTarget is null ? _o.Tls : _o.SubscriberTls ?? _o.Tls, runCts.Token).ConfigureAwait(false);
            streams.AddRange(subscriberStreams);
            for (int i = 0; i < subscriberStreams.Length; i++)
            {
                await subscriberStreams[i].WriteAsync(HelloEvent(i, UidStem), runCts.Token).ConfigureAwait(false);
                readers.Add(SubscriberLoopAsync(subscriberStreams[i], _subscribers[i], readCts.Token));
            }

            // 1b. Clients that never read: their lanes fill and stall (docs/dev/admission.md).
            var stalledStreams = await ConnectManyAsync(_o.Stalled, _o.Target, _o.Tls, runCts.Token).ConfigureAwait(false);
            streams.AddRange(stalledStreams);
            for (int i = 0; i < stalledStreams.Length; i++)
            {
                await stalledStreams[i].WriteAsync(HelloEvent(_o.Subscribers + i, UidStem + "-stalled"), runCts.Token).ConfigureAwait(false);
            }

            // 2. Publishers connect; each also drains what it receives.
            var publisherStreams = await ConnectManyAsync(_o.Publishers, _o.Target, _o.Tls, runCts.Token).ConfigureAwait(false);
            streams.AddRange(publisherStreams);
            foreach (var stream in publisherStreams)
            {
                readers.Add(DrainLoopAsync(stream, readCts.Token));
            }

            // 3. Send for warmup + duration; the window is [start + warmup, start + warmup + duration).
            long start = NowMicros();
            _windowStart = start + (long)_o.Warmup.TotalMicroseconds;
            _windowEnd = _windowStart + (long)_o.Duration.TotalMicroseconds;
            _o.Started?.TrySetResult();
            var monitor = MonitorAsync(runCts.Token);
            var publishers = new Task[_o.Publishers];
            for (int p = 0; p < publishers.Length; p++)
            {
                publishers[p] = PublisherLoopAsync(p, publisherStreams[p], start, runCts.Token);
            }

            await Task.WhenAll(publishers).ConfigureAwait(false);
            var (serverCpu, generatorCpu, node, threads) = await monitor.ConfigureAwait(false);

            // 4. Let in-flight events of the window land, then close.
            await DrainAsync(runCts.Token).ConfigureAwait(false);
            double? rss = _o.ServerPid is { } pid ? ProcStats.RssMiB(pid) : null;
            return Summarise(rss, serverCpu, generatorCpu, node, threads);
        }
        finally
        {
            await readCts.CancelAsync().ConfigureAwait(false);
            foreach (var stream in streams)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private async Task<Stream[]> ConnectManyAsync(int count, IPEndPoint target, ClientTls? tls, CancellationToken ct)
    {
        var result = new Stream[count];
        using var gate = new SemaphoreSlim(tls is null ? 64 : 16);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                result[i] = await ClientConnector.ConnectAsync(target, tls, _o.ConnectTimeout, ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            foreach (var s in result)
            {
                if (s is not null)
                {
                    await s.DisposeAsync().ConfigureAwait(false);
                }
            }

            throw;
        }

        return result;
    }

    /// <summary>The uids' stem: plain TCP and TLS rows on one node must not share uids (<see cref="LoadEvent.Create"/>).</summary>
    private string UidStem => _o.Tls is null ? "loadgen" : "loadgen-tls";

    internal static byte[] HelloEvent(int subscriber, string uidStem)
    {
        string now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string stale = DateTime.UtcNow.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var c = CultureInfo.InvariantCulture;
        return Encoding.ASCII.GetBytes(string.Create(c,
            $"<event version=\"2.0\" uid=\"{uidStem}-sub-{subscriber}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{now}\" start=\"{now}\" stale=\"{stale}\">")
            + "<point lat=\"35.0\" lon=\"139.0\" hae=\"0.0\" ce=\"9.9\" le=\"9.9\"/>"
            + string.Create(c, $"<detail><contact callsign=\"LOADGEN-SUB-{subscriber}\"/><__group name=\"Cyan\" role=\"Team Member\"/></detail></event>\n"));
    }

    private async Task PublisherLoopAsync(int p, Stream stream, long startMicros, CancellationToken ct)
    {
        var evt = LoadEvent.Create(p, _o.EventBytes, DateTime.UtcNow, _o.Entities, _o.LabelAttributes, UidStem);
        int len = evt.Length;
        int batchMax = _o.Batch;
        var buffer = new byte[len * batchMax];
        int window = Math.Max(1, _o.Window / _o.Publishers);
        double ratePerMicro = _o.Rate / _o.Publishers / 1_000_000.0;
        long maxBacklog = Math.Max(batchMax, (long)(ratePerMicro * 50_000)); // 50 ms of events
        long seq = 0;
        long scheduled = 0;
        long lastRefresh = startMicros;
        bool force = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long now = NowMicros();
                if (now >= _windowEnd)
                {
                    break;
                }

                if (now - lastRefresh > 1_000_000)
                {
                    evt.RefreshTimes(DateTime.UtcNow);
                    lastRefresh = now;
                }

                int n;
                if (_o.Flood)
                {
                    n = batchMax;
                }
                else if (_o.Rate <= 0)
                {
                    long inFlight = seq - Volatile.Read(ref _acked[p]);
                    n = (int)Math.Min(batchMax, window - inFlight);
                    if (n <= 0)
                    {
                        if (force)
                        {
                            n = 1;
                            force = false;
                        }
                        else
                        {
                            force = !await WaitForAckAsync(p, seq, window, ct).ConfigureAwait(false);
                            continue;
                        }
                    }
                }
                else
                {
                    long due = (long)((now - startMicros) * ratePerMicro) - scheduled;
                    if (due <= 0)
                    {
                        await Task.Delay(1, ct).ConfigureAwait(false);
                        continue;
                    }

                    if (due > maxBacklog)
                    {
                        // The generator fell behind its schedule: skip rather than burst.
                        Interlocked.Add(ref _generatorBehind, due - maxBacklog);
                        scheduled += due - maxBacklog;
                        due = maxBacklog;
                    }

                    n = (int)Math.Min(due, batchMax);
                    scheduled += n;
                }

                long sendMicros = NowMicros();
                for (int i = 0; i < n; i++)
                {
                    evt.WriteTo(buffer.AsSpan(i * len, len), seq + 1 + i, sendMicros);
                }

                await stream.WriteAsync(buffer.AsMemory(0, n * len), ct).ConfigureAwait(false);
                seq += n;
                if (sendMicros >= _windowStart && sendMicros < _windowEnd)
                {
                    _offeredInWindow[p] += n;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _disconnects);
        }
    }

    /// <summary>Waits until the observing subscriber has seen more of publisher p; false on timeout (a stall).</summary>
    private async Task<bool> WaitForAckAsync(int p, long seq, int window, CancellationToken ct)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _ackGates[p], gate);
        if (seq - Volatile.Read(ref _acked[p]) < window)
        {
            return true;
        }

        try
        {
            await gate.Task.WaitAsync(AckWaitTimeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _windowStalls);
            return false;
        }
    }

    private Task SubscriberLoopAsync(Stream stream, SubscriberState state, CancellationToken ct)
        => ReadMarkersAsync(stream, now => new SubscriberSink(this, state, now), NowMicros, () => Interlocked.Increment(ref _disconnects), ct);

    /// <summary>
    /// A subscriber's read loop, shared by every mode: reads until the stream ends, hands each
    /// whole marker to the sink made for that read's arrival time, and calls <paramref name="lost"/>
    /// when the server closed the stream or it failed before <paramref name="ct"/> was cancelled.
    /// </summary>
    internal static async Task ReadMarkersAsync<TSink>(Stream stream, Func<long, TSink> sinkAt, Func<long> nowMicros, Action lost, CancellationToken ct)
        where TSink : struct, IMarkerSink
    {
        var buffer = new byte[ReadBufferBytes];
        int carry = 0;
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(buffer.AsMemory(carry), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var sink = sinkAt(nowMicros());
                int length = carry + read;
                int done = MarkerScanner.Scan(buffer.AsSpan(0, length), ref sink);
                carry = length - done;
                if (carry == buffer.Length)
                {
                    carry = 0; // a runaway partial marker; cannot happen with sane input
                }
                else if (carry > 0)
                {
                    buffer.AsSpan(done, carry).CopyTo(buffer);
                }
            }

            if (!ct.IsCancellationRequested)
            {
                lost();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            if (!ct.IsCancellationRequested)
            {
                lost();
            }
        }
    }

    /// <summary>Reads and discards what a publisher is sent (every mode's publishers read, as TAK clients do).</summary>
    internal static async Task DrainLoopAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[ReadBufferBytes];
        try
        {
            while (await stream.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        long deadline = NowMicros() + (long)_o.Drain.TotalMicroseconds;
        long last = -1;
        while (NowMicros() < deadline)
        {
            long total = _subscribers.Sum(s => Volatile.Read(ref s.Total));
            if (total == last)
            {
                return; // nothing arrived for 250 ms
            }

            last = total;
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Samples server and generator CPU time over the measurement window.</summary>
    private async Task<(double? Server, double Generator, NodeCounters? Node, int? Threads)> MonitorAsync(CancellationToken ct)
    {
        using var http = _o.MetricsUrl is null ? null : new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var self = Process.GetCurrentProcess();
        long wait = _windowStart - NowMicros();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMicroseconds(wait), ct).ConfigureAwait(false);
        }

        var node0 = await NodeCounters.ReadAsync(http, _o.MetricsUrl, ct).ConfigureAwait(false);
        TimeSpan? server0 = _o.ServerPid is { } pid0 ? ProcStats.CpuTime(pid0) : null;
        self.Refresh();
        var gen0 = self.TotalProcessorTime;
        long t0 = NowMicros();
        wait = _windowEnd - t0;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMicroseconds(wait), ct).ConfigureAwait(false);
        }

        TimeSpan? server1 = _o.ServerPid is { } pid1 ? ProcStats.CpuTime(pid1) : null;
        int? threads = _o.ServerPid is { } pid2 ? ProcStats.Threads(pid2) : null;
        self.Refresh();
        var gen1 = self.TotalProcessorTime;
        double wall = (NowMicros() - t0) / 1_000_000.0;
        var node1 = await NodeCounters.ReadAsync(http, _o.MetricsUrl, ct).ConfigureAwait(false);
        double? serverCpu = server0 is { } a && server1 is { } b ? (b - a).TotalSeconds / wall * 100 : null;
        return (serverCpu, (gen1 - gen0).TotalSeconds / wall * 100, node1 is { } n1 && node0 is { } n0 ? n1.PerSecondSince(n0, wall) : null, threads);
    }

    private LoadRunResult Summarise(double? rss, double? serverCpu, double generatorCpu, NodeCounters? node, int? threads)
    {
        double seconds = _o.Duration.TotalSeconds;
        long offered = _offeredInWindow.Sum();
        long delivered = _subscribers.Sum(s => s.Delivered);
        var histogram = new LatencyHistogram();
        foreach (var s in _subscribers)
        {
            histogram.Add(s.Histogram);
        }

        return new LoadRunResult(
            _o.Publishers,
            _o.Subscribers,
            _o.Rate,
            LoadEvent.Create(0, _o.EventBytes, DateTime.UtcNow, _o.Entities).Length,
            offered / seconds,
            delivered / seconds,
            offered == 0 ? 0 : delivered / ((double)offered * _o.Subscribers),
            histogram.Quantile(0.50) / 1000.0,
            histogram.Quantile(0.99) / 1000.0,
            histogram.MaxMicros / 1000.0,
            histogram.Count,
            Interlocked.Read(ref _windowStalls),
            Interlocked.Read(ref _generatorBehind),
            Volatile.Read(ref _disconnects),
            rss,
            serverCpu,
            generatorCpu,
            _o.Entities,
            _o.Flood,
            node?.EventsIn,
            node?.Dropped,
            threads);
    }

    private sealed class SubscriberState(int index)
    {
        public readonly int Index = index;
        public readonly LatencyHistogram Histogram = new();
        public long Delivered;
        public long Total;
    }

    private readonly struct SubscriberSink(LoadRun run, SubscriberState state, long nowMicros) : IMarkerSink
    {
        public void OnMarker(MarkerScanner.Marker marker)
        {
            Volatile.Write(ref state.Total, state.Total + 1);
            // A flood fills every buffer between the publisher and the node with seconds of events,
            // so what arrives in the window was mostly sent before it: a flood counts what arrives
            // in the window, whenever it was sent; the other modes what was sent in it.
            long at = run._o.Flood ? nowMicros : marker.SendMicros;
            if (at >= run._windowStart && at < run._windowEnd)
            {
                state.Delivered++;
                state.Histogram.Record(nowMicros - marker.SendMicros);
            }

            int p = marker.Publisher;
            if ((uint)p < (uint)run._acked.Length && p % run._subscribers.Length == state.Index && marker.Seq > Volatile.Read(ref run._acked[p]))
            {
                Volatile.Write(ref run._acked[p], marker.Seq);
                Interlocked.Exchange(ref run._ackGates[p], null)?.TrySetResult();
            }
        }
    }
}
