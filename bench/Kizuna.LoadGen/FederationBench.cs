using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kizuna.LoadGen;

internal sealed record FederationOptions
{
    public required string KizunaDll { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);
    public int Publishers { get; init; } = 2;
    public int Subscribers { get; init; } = 2;
    public double Rate { get; init; } = 2000;
    public int Window { get; init; } = 1000;
    public int EventBytes { get; init; } = 400;
    public int Reports { get; init; } = 40;
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>How long after the last report (or a run's window) to wait for what has not arrived.</summary>
    public TimeSpan ArriveTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>taskset CPU list for the three nodes ("" = not pinned).</summary>
    public string NodeCpus { get; init; } = "0";
    public string? OutPath { get; init; }
}

/// <summary>
/// <c>federation</c>: three linked nodes as child processes (JJOC and ROK-JCS dial the USFJ hub, as
/// <c>kizuna demo trilateral</c>), then (a) events/s and latency from publishers on the JJOC node
/// to subscribers on the USFJ node, beside the same publishers and subscribers on the JJOC node
/// alone, and (b) a Green Pine report on the Korean node to the <c>b-w-m-w</c> at a JJOC client on
/// the Japanese node (two hops), beside a ROK-JCS client on the Korean node itself, twice: on quiet
/// links before (a), and again right after it (a link may still drain (a)'s backlog). Everything is
/// measured in the same run; what does not arrive is counted, never waited for beyond
/// <see cref="FederationOptions.ArriveTimeout"/>.
/// </summary>
internal static class FederationBench
{
    private const int WarmupReports = 3;
    private const string Label = "access=\"UNCLASSIFIED\" releasableTo=\"USA,JPN,KOR\"";

    public static async Task<int> RunAsync(FederationOptions o, TextWriter console, CancellationToken ct)
    {
        string dotnet = DotnetHost();
        string work = Path.Combine(Path.GetTempPath(), "kizuna-federation-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        string[] names = ["jjoc", "usfj", "rok-jcs"];
        string[] orgs = ["JJOC", "USFJ", "ROK-JCS"];
        var data = names.Select(n => Path.Combine(work, n)).ToArray();

        await console.WriteLineAsync($"federation bench in {work}: trust, identities...").ConfigureAwait(false);
        for (int i = 0; i < 3; i++)
        {
            await Cli(dotnet, o, ct, "federation", "export", "--data-dir", data[i], "--node-org", orgs[i], "--out", Path.Combine(work, names[i] + ".bundle.json")).ConfigureAwait(false);
        }

        foreach (var (to, from) in new[] { (0, 1), (1, 0), (1, 2), (2, 1) })
        {
            await Cli(dotnet, o, ct, "federation", "trust", "--data-dir", data[to], "--node-org", orgs[to], Path.Combine(work, names[from] + ".bundle.json")).ConfigureAwait(false);
        }

        var jjocPub = await IssueAsync(dotnet, o, data[0], work, "jjoc-pub", "JJOC", ct).ConfigureAwait(false);
        var jjocSub = await IssueAsync(dotnet, o, data[0], work, "jjoc-sub", "JJOC", ct).ConfigureAwait(false);
        var usfjSub = await IssueAsync(dotnet, o, data[1], work, "usfj-sub", "USFJ", ct).ConfigureAwait(false);
        var sensorDir = await IssueAsync(dotnet, o, data[2], work, "green-pine-1-feed", "ROKAF-OC", ct, "--role", "sensor-feed").ConfigureAwait(false);
        var rokRecv = await IssueAsync(dotnet, o, data[2], work, "rok-recv", "ROK-JCS", ct).ConfigureAwait(false);
        var jjocRecv = await IssueAsync(dotnet, o, data[0], work, "jjoc-recv", "JJOC", ct).ConfigureAwait(false);

        var tls = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
        var fed = FreePort();
        var nodes = new ChildProcess?[3];
        try
        {
            nodes[1] = StartNode(dotnet, o, work, "usfj", data[1], "USFJ", tls[1], fed, null);
            nodes[1]!.Watch("Federation link up");
            await nodes[1]!.WaitReadyAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
            nodes[0] = StartNode(dotnet, o, work, "jjoc", data[0], "JJOC", tls[0], null, fed);
            nodes[0]!.Watch("Federation link up");
            nodes[2] = StartNode(dotnet, o, work, "rok-jcs", data[2], "ROK-JCS", tls[2], null, fed);
            nodes[2]!.Watch("Federation link up");
            await Task.WhenAll(nodes[0]!.WaitReadyAsync(TimeSpan.FromSeconds(90), ct), nodes[2]!.WaitReadyAsync(TimeSpan.FromSeconds(90), ct)).ConfigureAwait(false);
            await Task.WhenAll(
                nodes[1]!.WaitForLineAsync("Federation link up", 2, TimeSpan.FromSeconds(60), ct),
                nodes[0]!.WaitForLineAsync("Federation link up", 1, TimeSpan.FromSeconds(60), ct),
                nodes[2]!.WaitForLineAsync("Federation link up", 1, TimeSpan.FromSeconds(60), ct)).ConfigureAwait(false);
            string pinned = o.NodeCpus.Length > 0 ? $"nodes pinned to CPU {o.NodeCpus} (taskset)" : "nodes not pinned";
            await console.WriteLineAsync($"three nodes ready and linked; {pinned}; generator affinity: {Affinity()}").ConfigureAwait(false);

            var report = new StringBuilder();
            report.Append(CultureInfo.InvariantCulture, $"# Kizuna federation benchmark\n\n{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {pinned}; generator affinity {Affinity()}; {o.Publishers} publishers x {o.Subscribers} subscribers, TLS, events {o.EventBytes} B labelled UNCLASSIFIED REL USA, JPN, KOR.\n\n");

            // (b) A Green Pine report on the Korean node to the warning at a JJOC client two hops away:
            // first on quiet links (the nodes warmed by three unmeasured reports), then after (a).
            async Task WarningRowsAsync(string when, int first)
            {
                await console.WriteLineAsync($"warnings {when}: {o.Reports} Green Pine reports every {o.Interval.TotalMilliseconds:F0} ms on ROK-JCS's node...").ConfigureAwait(false);
                var (sameNode, twoHops, warmup) = await WarningsAsync(o, Load(sensorDir), Load(rokRecv), Load(jjocRecv), tls[2], tls[0], first, ct).ConfigureAwait(false);
                report.Append(CultureInfo.InvariantCulture, $"\n## (b) Sensor report on ROK-JCS's node -> `b-w-m-w` at a client, {when}\n\n| Receiver | Arrived | p50 ms | p99 ms | max ms |\n|---|--:|--:|--:|--:|\n");
                foreach (var (name, h) in new[] { ("ROK-JCS client on the Korean node (one node)", sameNode), ("JJOC client on the Japanese node (two hops via USFJ)", twoHops) })
                {
                    string line = h.Count == 0
                        ? $"| {name} | NONE: 0 of {o.Reports} within {o.ArriveTimeout.TotalSeconds:F0} s | - | - | - |"
                        : $"| {name} | {h.Count} of {o.Reports} | {Ms(h.Quantile(0.5))} | {Ms(h.Quantile(0.99))} | {Ms(h.Max)} |";
                    await console.WriteLineAsync("  " + line).ConfigureAwait(false);
                    report.Append(line).Append('\n');
                }

                report.Append(CultureInfo.InvariantCulture, $"\nTwo hops, each report in arrival order (ms): {twoHops.InOrder()}\n\nWarm-up reports (not counted; each waited for before the measured ones), ms: {warmup}\n\n");
            }

            await WarningRowsAsync("on quiet links", 0).ConfigureAwait(false);

            // (a) Across one link: publishers on JJOC, subscribers on USFJ, beside both on JJOC.
            report.Append("## (a) Events across one link (JJOC -> USFJ) beside one node (JJOC)\n\n| Row | Offered/s | Delivered/s | Fraction | p50 ms | p99 ms | Arrived |\n|---|--:|--:|--:|--:|--:|---|\n");
            var local = new IPEndPoint(IPAddress.Loopback, tls[0]);
            var hub = new IPEndPoint(IPAddress.Loopback, tls[1]);
            using var pubTls = Load(jjocPub);
            using var jjocSubTls = Load(jjocSub);
            using var usfjSubTls = Load(usfjSub);
            // Across the link first: JJOC's events of the one-node rows cross the link too, and a
            // saturated row leaves a backlog there that a later row's subscribers at USFJ would count.
            foreach (var (name, target, subTls) in new[] { ("across the link", hub, usfjSubTls), ("one node", local, jjocSubTls) })
            {
                foreach (var rate in new[] { o.Rate, 0 })
                {
                    string row = $"{name}, {(rate > 0 ? $"paced {rate:F0}/s" : "saturated")}";
                    await console.WriteLineAsync(row + "...").ConfigureAwait(false);
                    var r = await LoadRun.RunAsync(new LoadRunOptions
                    {
                        Target = local,
                        Tls = pubTls,
                        SubscriberTarget = target,
                        SubscriberTls = subTls,
                        LabelAttributes = Label,
                        Publishers = o.Publishers,
                        Subscribers = o.Subscribers,
                        Duration = o.Duration,
                        Warmup = o.Warmup,
                        Rate = rate,
                        Window = o.Window,
                        EventBytes = o.EventBytes,
                        Drain = o.ArriveTimeout,
                        ServerPid = nodes[0]!.Pid,
                    }, ct).ConfigureAwait(false);
                    long offered = (long)(r.OfferedPerSecond * o.Duration.TotalSeconds * o.Subscribers);
                    long arrived = (long)(r.DeliveredPerSecond * o.Duration.TotalSeconds);
                    string arrivedText = r.LatencySamples == 0
                        ? $"NONE: 0 of {offered} copies within {o.ArriveTimeout.TotalSeconds:F0} s after the window"
                        : $"{arrived} of {offered} copies";
                    await console.WriteLineAsync($"  {r.Describe()}; arrived {arrivedText}").ConfigureAwait(false);
                    report.Append(CultureInfo.InvariantCulture, $"| {row} | {r.OfferedPerSecond:F0} | {r.DeliveredPerSecond:F0} | {r.DeliveredFraction:F3} | {(r.LatencySamples == 0 ? "-" : r.P50Ms.ToString("F2", CultureInfo.InvariantCulture))} | {(r.LatencySamples == 0 ? "-" : r.P99Ms.ToString("F2", CultureInfo.InvariantCulture))} | {arrivedText} |\n");
                }
            }

            // (b) again, right after the picture runs: the links may still be draining their backlog.
            await WarningRowsAsync("after the picture runs (links may still drain their backlog)", 320).ConfigureAwait(false);

            report.Append(CultureInfo.InvariantCulture, $"\nLogs: {work}/*.log\n");
            await console.WriteLineAsync().ConfigureAwait(false);
            await console.WriteLineAsync(report.ToString()).ConfigureAwait(false);
            if (o.OutPath is { } path)
            {
                await File.WriteAllTextAsync(path, report.ToString(), ct).ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            foreach (var node in nodes)
            {
                node?.Dispose();
            }

            foreach (var dir in data)
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>Reports one at a time; per report, the time to its warning at each receiver. Missing arrivals are left out (the count says).</summary>
    private static async Task<(Histogram SameNode, Histogram TwoHops, string Warmup)> WarningsAsync(FederationOptions o, ClientTls sensorTls, ClientTls sameTls, ClientTls farTls, int rokPort, int jjocPort, int first, CancellationToken ct)
    {
        string warmup;
        using var _1 = sensorTls;
        using var _2 = sameTls;
        using var _3 = farTls;
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var same = new Histogram();
        var far = new Histogram();
        await using var sensor = await ClientConnector.ConnectAsync(new IPEndPoint(IPAddress.Loopback, rokPort), sensorTls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        await using var sameStream = await ClientConnector.ConnectAsync(new IPEndPoint(IPAddress.Loopback, rokPort), sameTls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        await using var farStream = await ClientConnector.ConnectAsync(new IPEndPoint(IPAddress.Loopback, jjocPort), farTls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readers = new[] { Receive(sameStream, sent, same, stop.Token), Receive(farStream, sent, far, stop.Token) };
        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); // sessions attached

        // Warm-up: three reports, each waited for at both receivers before anything is measured (the
        // first reports after the nodes start pay for JIT and first connections, and a report sent
        // behind them would wait for them too); their times are reported apart, not counted.
        var warmKeys = new List<string>();
        for (int i = 0; i < WarmupReports; i++)
        {
            var (xml, key) = Report(first + i, DateTime.UtcNow);
            warmKeys.Add(key);
            sent[key] = Stopwatch.GetTimestamp();
            await sensor.WriteAsync(xml, ct).ConfigureAwait(false);
            await sensor.FlushAsync(ct).ConfigureAwait(false);
            await Task.Delay(o.Interval, ct).ConfigureAwait(false);
        }

        var warmDeadline = Stopwatch.GetTimestamp() + (long)(o.ArriveTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmDeadline && (same.Count < WarmupReports || far.Count < WarmupReports))
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        foreach (var key in warmKeys)
        {
            sent.TryRemove(key, out _);
        }

        warmup = $"one node {same.InOrder()}; two hops {far.InOrder()}";
        same.Clear();
        far.Clear();

        for (int i = WarmupReports; i < o.Reports + WarmupReports; i++)
        {
            var (xml, key) = Report(first + i, DateTime.UtcNow);
            sent[key] = Stopwatch.GetTimestamp();
            await sensor.WriteAsync(xml, ct).ConfigureAwait(false);
            await sensor.FlushAsync(ct).ConfigureAwait(false);
            await Task.Delay(o.Interval, ct).ConfigureAwait(false);
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(o.ArriveTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && (same.Count < o.Reports || far.Count < o.Reports))
        {
            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        return (same, far, warmup);
    }

    private static Task Receive(Stream stream, ConcurrentDictionary<string, long> sent, Histogram into, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var thread = new Thread(() =>
        {
            var buffer = new byte[64 * 1024];
            var scanner = new WarningLatency.ElementScanner("<__missileWarning "u8.ToArray(), " launchTime=\""u8.ToArray());
            try
            {
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    long now = Stopwatch.GetTimestamp();
                    scanner.Feed(buffer.AsSpan(0, read), v =>
                    {
                        if (v[0] is { } key && sent.TryGetValue(key, out var at) && seen.Add(key))
                        {
                            into.Add((long)Stopwatch.GetElapsedTime(at, now).TotalMicroseconds);
                        }
                    });
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
            }
            finally
            {
                done.TrySetResult();
            }
        })
        { IsBackground = true, Name = "federation-warning-receiver" };
        thread.Start();
        ct.Register(() => stream.Dispose());
        return done.Task;
    }

    /// <summary>Report i of GREEN-PINE-1: a new launch each (launch times 130 s apart, beyond the correlation window); the launch time is the key the warning carries back.</summary>
    private static (byte[] Xml, string LaunchKey) Report(int i, DateTime now)
    {
        var c = CultureInfo.InvariantCulture;
        const string F = "yyyy-MM-ddTHH:mm:ss.fffZ";
        var launch = now - TimeSpan.FromSeconds(30 + (130 * (i % 80)));
        double lon = 125.67 + (2.5 * (i / 80));
        string uid = string.Create(c, $"KOR-GREEN-PINE-1-BENCH-{i}-{now.Ticks}");
        var x = new StringBuilder(1024);
        x.Append(c, $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-w-m-r\" how=\"m-f\" time=\"{now.ToString(F, c)}\" start=\"{now.ToString(F, c)}\" stale=\"{now.AddMinutes(10).ToString(F, c)}\" opex=\"o\" {Label}>");
        x.Append(c, $"<point lat=\"39.20\" lon=\"{lon:F2}\" hae=\"0\" ce=\"8000\" le=\"9999999\"/>");
        x.Append(c, $"<detail><__missileReport reportId=\"{uid}\" sensor=\"GREEN-PINE-1\" nation=\"KOR\" detectionTime=\"{now.ToString(F, c)}\" launchTime=\"{launch.ToString(F, c)}\" state=\"tracking\" confidence=\"0.8\">");
        x.Append(c, $"<impact lat=\"40.60\" lon=\"138.40\" semiMajor=\"120000\" semiMinor=\"60000\" orientation=\"75\" time=\"{launch.AddMinutes(10).ToString(F, c)}\"/>");
        x.Append("</__missileReport><remarks>Kizuna federation benchmark.</remarks></detail></event>\n");
        return (Encoding.ASCII.GetBytes(x.ToString()), launch.ToString(F, c));
    }

    private static ChildProcess StartNode(string dotnet, FederationOptions o, string work, string name, string data, string org, int cotTls, int? federation, int? dial)
    {
        List<string> args = [o.KizunaDll, "serve", "--data-dir", data, "--node-org", org, "--cot-tls", $"127.0.0.1:{cotTls}", "--http", "", "--https", ""];
        if (federation is { } f)
        {
            args.AddRange(["--federation", $"127.0.0.1:{f}"]);
        }

        if (dial is { } d)
        {
            args.AddRange(["--federate-with", $"127.0.0.1:{d}"]);
        }

        return o.NodeCpus.Length > 0
            ? ChildProcess.Start(name, "taskset", ["-c", o.NodeCpus, dotnet, .. args], "Node ready", Path.Combine(work, name + ".log"), Path.GetDirectoryName(o.KizunaDll))
            : ChildProcess.Start(name, dotnet, args, "Node ready", Path.Combine(work, name + ".log"), Path.GetDirectoryName(o.KizunaDll));
    }

    private static Task<string> Cli(string dotnet, FederationOptions o, CancellationToken ct, params string[] args)
        => ChildProcess.RunToEndAsync(dotnet, [o.KizunaDll, .. args], TimeSpan.FromSeconds(60), ct);

    private static async Task<string> IssueAsync(string dotnet, FederationOptions o, string data, string work, string name, string org, CancellationToken ct, params string[] extra)
    {
        string dir = Path.Combine(work, "certs", name);
        await Cli(dotnet, o, ct, ["certs", "client", "--name", name, "--org", org, "--out", dir, "--data-dir", data, .. extra]).ConfigureAwait(false);
        return dir;
    }

    private static ClientTls Load(string dir) =>
        ClientTls.Load(Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"), Path.Combine(dir, "ca.pem"));

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Affinity()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            return line is null ? "unknown" : "CPU " + line["Cpus_allowed_list:".Length..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal) ? self : "dotnet";
    }

    private static string Ms(long micros) => (micros / 1000.0).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Exact latencies (a few hundred at most), microseconds.</summary>
    private sealed class Histogram
    {
        private readonly List<long> _values = [];

        public int Count
        {
            get
            {
                lock (_values)
                {
                    return _values.Count;
                }
            }
        }

        public long Max
        {
            get
            {
                lock (_values)
                {
                    return _values.Count == 0 ? 0 : _values.Max();
                }
            }
        }

        /// <summary>Every value in ms, in the order added (arrival order): where a slow one falls.</summary>
        public string InOrder()
        {
            lock (_values)
            {
                return string.Join(", ", _values.Select(v => (v / 1000.0).ToString("F0", CultureInfo.InvariantCulture)));
            }
        }

        public void Clear()
        {
            lock (_values)
            {
                _values.Clear();
            }
        }

        public void Add(long micros)
        {
            lock (_values)
            {
                _values.Add(micros);
            }
        }

        public long Quantile(double q)
        {
            lock (_values)
            {
                if (_values.Count == 0)
                {
                    return 0;
                }

                var sorted = _values.Order().ToList();
                return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
            }
        }
    }
}
