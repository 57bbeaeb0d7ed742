using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Kizuna.LoadGen;

/// <summary>What one mixed run does: one flooding publisher among calm clients.</summary>
internal sealed record MixedOptions
{
    public required IPEndPoint Target { get; init; }
    /// <summary>Calm clients: each sends one position every <see cref="Interval"/> and reads everything.</summary>
    public int Clients { get; init; } = 99;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Whether the flooding publisher runs (false: the calm clients alone, the baseline).</summary>
    public bool Flood { get; init; } = true;
    /// <summary>Events per write of the flooding publisher.</summary>
    public int FloodBatch { get; init; } = 8;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);
    public int EventBytes { get; init; } = 400;
    public int? ServerPid { get; init; }
    public Uri? MetricsUrl { get; init; }
    public ClientTls? Tls { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>After the window, how long the calm clients' last positions may take to arrive.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>The figures of a mixed run. Latencies in milliseconds.</summary>
internal sealed record MixedResult(
    int Clients,
    bool Flood,
    long CalmSent,
    long CalmExpected,
    long CalmDelivered,
    double CalmP50Ms,
    double CalmP99Ms,
    double CalmMaxMs,
    double FloodOfferedPerSecond,
    double FloodDeliveredPerSecond,
    double FloodP50Ms,
    double FloodP99Ms,
    int Disconnects,
    double? ServerCpuPercent,
    double? ServerRssMiB,
    int? ServerThreads,
    double? AcceptedPerSecond,
    double? NodeDroppedPerSecond)
{
    public double CalmFraction => CalmExpected == 0 ? 0 : CalmDelivered / (double)CalmExpected;

    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.Append(c, $"mixed: {Clients} calm clients{(Flood ? " + 1 flooding publisher" : " (no flood)")}: ");
        s.Append(c, $"calm events delivered {CalmDelivered} of {CalmExpected} ({CalmFraction:P2}; {CalmSent} sent), p50 {CalmP50Ms:F2} ms p99 {CalmP99Ms:F2} ms max {CalmMaxMs:F2} ms");
        if (Flood)
        {
            s.Append(c, $"; flood offered {FloodOfferedPerSecond:F0}/s, delivered to the calm clients {FloodDeliveredPerSecond:F0}/s ({(FloodOfferedPerSecond <= 0 ? 0 : FloodDeliveredPerSecond / (FloodOfferedPerSecond * Clients)):F3} of offered × clients), p50 {FloodP50Ms:F2} ms p99 {FloodP99Ms:F2} ms");
        }

        if (AcceptedPerSecond is { } accepted)
        {
            s.Append(c, $"; accepted by the node {accepted:F0}/s, dropped by the node {NodeDroppedPerSecond ?? 0:F0}/s");
        }

        if (ServerCpuPercent is { } cpu)
        {
            s.Append(c, $"; server CPU {cpu:F0}%");
        }

        if (ServerRssMiB is { } rss)
        {
            s.Append(c, $", server RSS {rss:F0} MiB");
        }

        if (ServerThreads is { } threads)
        {
            s.Append(c, $", server threads {threads}");
        }

        if (Disconnects > 0)
        {
            s.Append(c, $"; disconnects {Disconnects}");
        }

        return s.ToString();
    }
}

/// <summary>
/// One publisher floods (open loop, as fast as TCP takes its writes) while calm clients each send
/// one position a second and read everything, as TAK clients do. Publisher 0 is the flooder,
/// 1..N the calm clients; every calm client counts the calm events (of the others) and the flood's
/// events it receives apart, with their latency. Only events sent in the window count.
/// </summary>
internal sealed class MixedRun
{
    private readonly MixedOptions _o;
    private readonly long _epoch = Stopwatch.GetTimestamp();
    private readonly Receiver[] _receivers;
    private readonly long[] _calmSent;
    private long _floodOffered;
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private int _disconnects;

    private MixedRun(MixedOptions o)
    {
        _o = o;
        _receivers = [.. Enumerable.Range(0, o.Clients).Select(_ => new Receiver())];
        _calmSent = new long[o.Clients];
    }

    public static Task<MixedResult> RunAsync(MixedOptions options, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Clients, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FloodBatch, 1);
        return new MixedRun(options).RunCoreAsync(ct);
    }

    private long NowMicros() => (long)Stopwatch.GetElapsedTime(_epoch).TotalMicroseconds;

    private async Task<MixedResult> RunCoreAsync(CancellationToken ct)
    {
        var budget = (_o.ConnectTimeout * 2) + _o.Warmup + _o.Duration + _o.Drain + TimeSpan.FromSeconds(10);
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        runCts.CancelAfter(budget);
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(runCts.Token);
        var streams = new List<Stream>();
        var loops = new List<Task>();
        using var http = _o.MetricsUrl is null ? null : new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var gate = new SemaphoreSlim(_o.Tls is null ? 64 : 16);
            var calm = await Task.WhenAll(Enumerable.Range(0, _o.Clients).Select(async _ =>
            {
                await gate.WaitAsync(runCts.Token).ConfigureAwait(false);
                try
                {
                    return await ClientConnector.ConnectAsync(_o.Target, _o.Tls, _o.ConnectTimeout, runCts.Token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
            streams.AddRange(calm);
            for (int i = 0; i < calm.Length; i++)
            {
                loops.Add(ReadLoopAsync(calm[i], _receivers[i], readCts.Token));
            }

            Stream? flooder = null;
            if (_o.Flood)
            {
                flooder = await ClientConnector.ConnectAsync(_o.Target, _o.Tls, _o.ConnectTimeout, runCts.Token).ConfigureAwait(false);
                streams.Add(flooder);
                loops.Add(LoadRun.DrainLoopAsync(flooder, readCts.Token));
            }

            long start = NowMicros();
            _windowStart = start + (long)_o.Warmup.TotalMicroseconds;
            _windowEnd = _windowStart + (long)_o.Duration.TotalMicroseconds;
            var senders = new List<Task>();
            for (int i = 0; i < calm.Length; i++)
            {
                senders.Add(CalmLoopAsync(i, calm[i], start, runCts.Token));
            }

            if (flooder is not null)
            {
                senders.Add(FloodLoopAsync(flooder, runCts.Token));
            }

            await Task.Delay(TimeSpan.FromMicroseconds(Math.Max(0, _windowStart - NowMicros())), runCts.Token).ConfigureAwait(false);
            var node0 = await NodeCounters.ReadAsync(http, _o.MetricsUrl, runCts.Token).ConfigureAwait(false);
            TimeSpan? cpu0 = _o.ServerPid is { } p0 ? ProcStats.CpuTime(p0) : null;
            long t0 = NowMicros();
            await Task.WhenAll(senders).ConfigureAwait(false);
            double wall = (NowMicros() - t0) / 1_000_000.0;
            TimeSpan? cpu1 = _o.ServerPid is { } p1 ? ProcStats.CpuTime(p1) : null;
            int? threads = _o.ServerPid is { } p2 ? ProcStats.Threads(p2) : null;
            var node1 = await NodeCounters.ReadAsync(http, _o.MetricsUrl, runCts.Token).ConfigureAwait(false);
            var node = node1 is { } n1 && node0 is { } n0 ? n1.PerSecondSince(n0, wall) : null;

            // The calm clients' last positions: wait until every copy has come, or the drain ends.
            long expected = _calmSent.Sum() * (_o.Clients - 1);
            long deadline = NowMicros() + (long)_o.Drain.TotalMicroseconds;
            while (NowMicros() < deadline && _receivers.Sum(r => Volatile.Read(ref r.CalmDelivered)) < expected)
            {
                await Task.Delay(50, runCts.Token).ConfigureAwait(false);
            }

            var calmHistogram = new LatencyHistogram();
            var floodHistogram = new LatencyHistogram();
            foreach (var r in _receivers)
            {
                calmHistogram.Add(r.Calm);
                floodHistogram.Add(r.FloodLatency);
            }

            double seconds = _o.Duration.TotalSeconds;
            return new MixedResult(
                _o.Clients,
                _o.Flood,
                _calmSent.Sum(),
                expected,
                _receivers.Sum(r => Volatile.Read(ref r.CalmDelivered)),
                calmHistogram.Quantile(0.50) / 1000.0,
                calmHistogram.Quantile(0.99) / 1000.0,
                calmHistogram.MaxMicros / 1000.0,
                Interlocked.Read(ref _floodOffered) / seconds,
                _receivers.Sum(r => r.FloodDelivered) / seconds,
                floodHistogram.Quantile(0.50) / 1000.0,
                floodHistogram.Quantile(0.99) / 1000.0,
                Volatile.Read(ref _disconnects),
                cpu0 is { } a && cpu1 is { } b ? (b - a).TotalSeconds / wall * 100 : null,
                _o.ServerPid is { } p3 ? ProcStats.RssMiB(p3) : null,
                threads,
                node?.EventsIn,
                node?.Dropped);
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
                await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException)
            {
            }
        }
    }

    /// <summary>Calm client i: one position every interval, the clients spread evenly over it.</summary>
    private async Task CalmLoopAsync(int i, Stream stream, long startMicros, CancellationToken ct)
    {
        var evt = LoadEvent.Create(i + 1, _o.EventBytes, DateTime.UtcNow);
        var buffer = new byte[evt.Length];
        long interval = (long)_o.Interval.TotalMicroseconds;
        long next = startMicros + (interval * i / _o.Clients);
        long seq = 0;
        try
        {
            while (true)
            {
                long wait = next - NowMicros();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMicroseconds(wait), ct).ConfigureAwait(false);
                }

                long now = NowMicros();
                if (now >= _windowEnd)
                {
                    return;
                }

                evt.RefreshTimes(DateTime.UtcNow);
                evt.WriteTo(buffer, ++seq, now);
                await stream.WriteAsync(buffer, ct).ConfigureAwait(false);
                if (now >= _windowStart)
                {
                    _calmSent[i]++;
                }

                next += interval;
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

    private async Task FloodLoopAsync(Stream stream, CancellationToken ct)
    {
        var evt = LoadEvent.Create(0, _o.EventBytes, DateTime.UtcNow);
        int len = evt.Length;
        var buffer = new byte[len * _o.FloodBatch];
        long seq = 0;
        long lastRefresh = NowMicros();
        try
        {
            while (true)
            {
                long now = NowMicros();
                if (now >= _windowEnd)
                {
                    return;
                }

                if (now - lastRefresh > 1_000_000)
                {
                    evt.RefreshTimes(DateTime.UtcNow);
                    lastRefresh = now;
                }

                for (int k = 0; k < _o.FloodBatch; k++)
                {
                    evt.WriteTo(buffer.AsSpan(k * len, len), ++seq, now);
                }

                await stream.WriteAsync(buffer, ct).ConfigureAwait(false);
                if (now >= _windowStart)
                {
                    Interlocked.Add(ref _floodOffered, _o.FloodBatch);
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

    private Task ReadLoopAsync(Stream stream, Receiver state, CancellationToken ct)
        => LoadRun.ReadMarkersAsync(stream, now => new Sink(this, state, now), NowMicros, () => Interlocked.Increment(ref _disconnects), ct);

    private sealed class Receiver
    {
        public readonly LatencyHistogram Calm = new();
        public readonly LatencyHistogram FloodLatency = new();
        public long CalmDelivered;
        public long FloodDelivered;
    }

    private readonly struct Sink(MixedRun run, Receiver state, long nowMicros) : IMarkerSink
    {
        public void OnMarker(MarkerScanner.Marker marker)
        {
            if (marker.Publisher == 0)
            {
                // The flood's copies count by arrival in the window (its buffers hold seconds of events).
                if (nowMicros < run._windowStart || nowMicros >= run._windowEnd)
                {
                    return;
                }

                state.FloodDelivered++;
                state.FloodLatency.Record(nowMicros - marker.SendMicros);
            }
            else if (marker.SendMicros >= run._windowStart && marker.SendMicros < run._windowEnd)
            {
                Volatile.Write(ref state.CalmDelivered, state.CalmDelivered + 1);
                state.Calm.Record(nowMicros - marker.SendMicros);
            }
        }
    }
}
