using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Kizuna.LoadGen;

internal sealed record WarningOptions
{
    public required string KizunaDll { get; init; }
    /// <summary>Measured time of the picture load (after its warmup); the reports are sent inside it.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public int Publishers { get; init; } = 10;
    public int Subscribers { get; init; } = 10;
    public int EventBytes { get; init; } = 400;
    public int Window { get; init; } = 1000;
    /// <summary>Picture load events/s in total; 0 = saturated.</summary>
    public double Rate { get; init; }
    /// <summary>Warning receivers (TLS identities spread over JJOC, USFJ, ROK-JCS).</summary>
    public int Receivers { get; init; } = 10;
    /// <summary>Reports sent under load; 0 = as many as fit in the measured time at <see cref="Interval"/>.</summary>
    public int Reports { get; init; }
    /// <summary>Reports sent before the load starts (the same node, nothing else running); 0 = skip.</summary>
    public int BaselineReports { get; init; } = 20;
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>How long to wait after the last report for warnings still on their way.</summary>
    public TimeSpan Straggle { get; init; } = TimeSpan.FromSeconds(3);
    public string? OutPath { get; init; }
    /// <summary>The sensor connects to the node's warning intake (true) or to its CoT TLS listener.</summary>
    public bool SensorOnIntake { get; init; } = true;
    public TimeSpan NodeStartTimeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>The sensor's and the receivers' threads run at real-time priority (<see cref="ClientPriority"/>).</summary>
    public bool ClientsRealtime { get; init; }
    /// <summary>
    /// The picture load runs in this process, beside the sensor and the receivers, instead of a
    /// process of its own: its collections then pause the measured clients too.
    /// </summary>
    public bool PictureInProcess { get; init; }
    /// <summary>The picture load floods open loop (<c>run --flood</c>) instead of a closed loop or a pace.</summary>
    public bool Flood { get; init; }
    /// <summary>Events per write of a flooding picture publisher.</summary>
    public int FloodBatch { get; init; } = 8;
    /// <summary>taskset CPU list for the node ("" = not pinned); pin the generator itself with <c>taskset -c 1 dotnet …</c>.</summary>
    public string NodeCpus { get; init; } = string.Empty;

    /// <summary>
    /// The picture load process's niceness (0 = the node's own priority). It stands for devices on
    /// other machines; at the node's priority it takes its CPU from the node and the measured clients.
    /// </summary>
    public int PictureNice { get; init; } = 19;

    /// <summary>Entities (uids) each picture publisher reports in turn.</summary>
    public int Entities { get; init; } = 1;
    /// <summary>Also write every report under load and its arrivals (ms per receiver) to this CSV file.</summary>
    public string? ArrivalsPath { get; init; }
}

/// <summary>
/// Missile warning latency under picture load: starts a Kizuna node, issues a sensor identity
/// (JJOC) and W receiver identities (JJOC, USFJ, ROK-JCS) with the node's own CLI, connects the
/// receivers over TLS and, while a saturating P x S picture load runs on the plain-TCP listener,
/// sends K launch reports (<c>b-w-m-r</c>), each a new launch, from the sensor connection. For
/// each report it measures the time from writing the report to the arrival of the resulting
/// <c>b-w-m-w</c> at every receiver, matched by the warning's <c>launchTime</c> (unique per report).
/// </summary>
internal static class WarningLatency
{
    private static readonly string[] ReceiverOrgs = ["JJOC", "USFJ", "ROK-JCS"];

    public static async Task<int> RunAsync(WarningOptions o, TextWriter console, CancellationToken ct)
    {
        if (!File.Exists(o.KizunaDll))
        {
            await console.WriteLineAsync($"not built: {o.KizunaDll} does not exist (dotnet build src/Kizuna.Server -c Release)").ConfigureAwait(false);
            return 2;
        }

        string work = Directory.CreateTempSubdirectory("kizuna-warning-").FullName;
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the node refuses a data directory other users can read
        }
        string dotnet = DotnetHost();
        await console.WriteLineAsync($"work directory (logs and certificates; the node's data is removed at the end): {work}").ConfigureAwait(false);

        // Identities first, with the node's CLI, on the data directory the node will use.
        await console.WriteLineAsync($"issuing certificates: 1 sensor (JJOC), {o.Receivers} receivers ({string.Join(", ", ReceiverOrgs)})...").ConfigureAwait(false);
        // A sensor feed granted the Sado radar its reports name (docs/warnings.md, "Who may send a report").
        string sensorDir = await IssueAsync(dotnet, o.KizunaDll, data, work, "bench-sensor", "JJOC", ct, "--role", "sensor-feed", "--authorization", "sensor:FPS5-SADO").ConfigureAwait(false);
        var receiverDirs = new List<(string Dir, string Org)>();
        for (int i = 0; i < o.Receivers; i++)
        {
            string org = ReceiverOrgs[i % ReceiverOrgs.Length];
            receiverDirs.Add((await IssueAsync(dotnet, o.KizunaDll, data, work, $"bench-receiver-{i}", org, ct).ConfigureAwait(false), org));
        }

        var tcp = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        var tlsEp = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        var intakeEp = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        using var nodeData = new NodeData(data, console);
        string[] pin = o.NodeCpus.Length > 0 ? ["-c", o.NodeCpus, dotnet] : [];
        using var node = ChildProcess.Start("kizuna", pin.Length > 0 ? "taskset" : dotnet,
            [.. pin, o.KizunaDll, "serve", "--data-dir", data, "--cot-tcp", tcp.ToString(), "--cot-tls", tlsEp.ToString(), "--warning-intake", intakeEp.ToString(), "--http", "", "--https", "", "--max-connections-per-address", "100000"],
            "Node ready", Path.Combine(work, "kizuna.log"), Path.GetDirectoryName(o.KizunaDll));
        await node.WaitReadyAsync(o.NodeStartTimeout, ct).ConfigureAwait(false);

        var tlsMaterial = new List<ClientTls>();
        var streams = new List<Stream>();
        var readers = new List<Task>();
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var bench = new Bench(o.Receivers, o.ClientsRealtime);
        try
        {
            var sensorTls = Load(sensorDir);
            tlsMaterial.Add(sensorTls);
            var sensor = await ClientConnector.ConnectAsync(o.SensorOnIntake ? intakeEp : tlsEp, sensorTls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
            streams.Add(sensor);
            readers.Add(SensorReadLoopAsync(sensor, bench, readCts.Token));
            for (int i = 0; i < receiverDirs.Count; i++)
            {
                var tls = Load(receiverDirs[i].Dir);
                tlsMaterial.Add(tls);
                var s = await ClientConnector.ConnectAsync(tlsEp, tls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
                streams.Add(s);
                readers.Add(ReceiverReadLoopAsync(s, i, bench, o.ClientsRealtime, readCts.Token));
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); // sessions attached

            // 0. Three unmeasured reports, so the node's first-use costs (JIT, SQLite) are not in any figure.
            var warm = await bench.SendAsync("warm-up", sensor, 3, o.Interval, ct).ConfigureAwait(false);
            await bench.WaitForAsync(warm, o.Straggle, ct).ConfigureAwait(false);

            // 1. Baseline: the same reports on the idle node.
            Phase? baseline = null;
            if (o.BaselineReports > 0)
            {
                await console.WriteLineAsync($"baseline: {o.BaselineReports} reports, no picture load...").ConfigureAwait(false);
                baseline = await bench.SendAsync("no picture load", sensor, o.BaselineReports, o.Interval, ct).ConfigureAwait(false);
                await bench.WaitForAsync(baseline, o.Straggle, ct).ConfigureAwait(false);
                await console.WriteLineAsync(baseline.Describe(o.Receivers)).ConfigureAwait(false);
            }

            // 2. Under a saturating picture load on the plain-TCP listener.
            int reports = o.Reports > 0 ? o.Reports : Math.Max(1, (int)((o.Duration - TimeSpan.FromSeconds(1)) / o.Interval));
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            string shape = LoadName(o);
            await console.WriteLineAsync($"under load: {shape} picture load on TCP, {reports} reports every {o.Interval.TotalMilliseconds:F0} ms after {o.Warmup.TotalSeconds:F0} s warmup...").ConfigureAwait(false);
            var loadTask = o.PictureInProcess
                ? LoadRun.RunAsync(new LoadRunOptions
                {
                    Target = tcp,
                    Publishers = o.Publishers,
                    Subscribers = o.Subscribers,
                    Duration = o.Duration,
                    Warmup = o.Warmup,
                    Rate = o.Rate,
                    EventBytes = o.EventBytes,
                    Entities = o.Entities,
                    Window = o.Window,
                    ServerPid = node.Pid,
                    Started = started,
                    Flood = o.Flood,
                    Batch = o.Flood ? o.FloodBatch : 1,
                }, ct)
                : PictureLoadProcessAsync(o, dotnet, work, tcp, node.Pid, started, ct);
            await Task.WhenAny(started.Task, loadTask).ConfigureAwait(false);
            Phase? loaded = null;
            if (started.Task.IsCompleted)
            {
                await Task.Delay(o.Warmup, ct).ConfigureAwait(false);
                loaded = await bench.SendAsync(shape, sensor, reports, o.Interval, ct).ConfigureAwait(false);
            }

            var load = await loadTask.ConfigureAwait(false);
            await console.WriteLineAsync("picture load: " + load.Describe()).ConfigureAwait(false);
            if (loaded is not null)
            {
                await bench.WaitForAsync(loaded, o.Straggle, ct).ConfigureAwait(false);
                await console.WriteLineAsync(loaded.Describe(o.Receivers)).ConfigureAwait(false);
            }

            var nodeTimes = loaded is null ? null : NodeWarningTimes.Read(node.LogPath, loaded.Count);
            string report = Report(o, baseline, loaded, load, bench, nodeTimes);
            await console.WriteLineAsync().ConfigureAwait(false);
            await console.WriteLineAsync(report).ConfigureAwait(false);
            if (o.OutPath is not null)
            {
                await File.WriteAllTextAsync(o.OutPath, report, ct).ConfigureAwait(false);
            }

            if (o.ArrivalsPath is not null && loaded is not null)
            {
                await File.WriteAllTextAsync(o.ArrivalsPath, bench.ArrivalsCsv(loaded), ct).ConfigureAwait(false);
            }

            return loaded is not null && loaded.Missing(o.Receivers) == 0 && bench.Refusals == 0 ? 0 : 1;
        }
        finally
        {
            await readCts.CancelAsync().ConfigureAwait(false);
            foreach (var s in streams)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }

            foreach (var t in tlsMaterial)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>
    /// The picture load as a process of its own (this program's <c>run</c>), as the clients it
    /// stands for are other devices: its collections and busy thread pool pause no measured
    /// client. Completes <paramref name="started"/> when its publishers start; returns its result.
    /// </summary>
    private static async Task<LoadRunResult> PictureLoadProcessAsync(WarningOptions o, string dotnet, string work, IPEndPoint tcp, int nodePid, TaskCompletionSource started, CancellationToken ct)
    {
        string resultPath = Path.Combine(work, "picture-load.json");
        // Through nice(1), so every thread of the load inherits the priority from its first instruction.
        string[] nice = o.PictureNice > 0 && !OperatingSystem.IsWindows() ? ["-n", Num(o.PictureNice), dotnet] : [];
        using var load = ChildProcess.Start("picture load", nice.Length > 0 ? "nice" : dotnet,
            [.. nice, typeof(WarningLatency).Assembly.Location, "run", "--target", tcp.ToString(),
             "--publishers", Num(o.Publishers), "--subscribers", Num(o.Subscribers), "--window", Num(o.Window),
             "--rate", o.Rate.ToString(CultureInfo.InvariantCulture), "--event-bytes", Num(o.EventBytes), "--entities", Num(o.Entities),
             "--duration", $"{o.Duration.TotalMilliseconds:F0}ms", "--warmup", $"{o.Warmup.TotalMilliseconds:F0}ms",
             "--server-pid", Num(nodePid), "--result-json", resultPath, .. (o.Flood ? new[] { "--flood", "--batch", Num(o.FloodBatch) } : [])],
            LoadRun.StartedLine, Path.Combine(work, "picture-load.log"));
        await load.WaitReadyAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        started.TrySetResult();
        int exit = await load.WaitForExitAsync(o.Warmup + o.Duration + TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        if (exit != 0 || !File.Exists(resultPath))
        {
            throw new InvalidOperationException($"The picture load exited with {exit}; see {load.LogPath}:\n{load.Tail()}");
        }

        return JsonSerializer.Deserialize<LoadRunResult>(await File.ReadAllTextAsync(resultPath, ct).ConfigureAwait(false))
            ?? throw new InvalidOperationException($"The picture load wrote no result to {resultPath}.");

        static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<string> IssueAsync(string dotnet, string dll, string data, string work, string name, string org, CancellationToken ct, params string[] extra)
    {
        string dir = Path.Combine(work, "certs", name);
        await ChildProcess.RunToEndAsync(dotnet, [dll, "certs", "client", "--name", name, "--org", org, "--out", dir, "--data-dir", data, .. extra],
            TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        return dir;
    }

    private static ClientTls Load(string dir) =>
        ClientTls.Load(Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"), Path.Combine(dir, "ca.pem"));

    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal) ? self : "dotnet";
    }

    private static string Report(WarningOptions o, Phase? baseline, Phase? loaded, LoadRunResult load, Bench bench, NodeWarningTimes? nodeTimes)
    {
        var c = CultureInfo.InvariantCulture;
        var t = new StringBuilder();
        int eventBytes = LoadEvent.Create(0, o.EventBytes, DateTime.UtcNow, o.Entities).Length;
        t.AppendLine(c, $"{o.Receivers} warning receivers over TLS ({string.Join(", ", ReceiverOrgs)}); reports from one JJOC sensor identity over TLS {(o.SensorOnIntake ? "on the node's warning intake" : "on the CoT TLS listener")}, one every {o.Interval.TotalMilliseconds:F0} ms, each a new launch (new warning, version 1), after 3 unmeasured warm-up reports. Latency = report written → `b-w-m-w` read, per receiver; split at the warning's `issued` time (fusion, node clock, same machine): to fusion per report, fusion → receiver per arrival. Picture load: {LoadName(o)} on plain TCP {(o.PictureInProcess ? "from this process (--picture-in same)" : o.PictureNice > 0 ? $"from a process of its own at nice {o.PictureNice}, so it runs on the CPU the node and the measured clients leave (--picture-nice)" : "from a process of its own at the node's priority (--picture-nice 0)")}, event {eventBytes} B, {o.Window} in flight, {o.Warmup.TotalSeconds:F0} s warmup + {o.Duration.TotalSeconds:F0} s measured; reports sent inside the measured time. {(o.NodeCpus.Length > 0 ? $"The node pinned to CPU {o.NodeCpus} (taskset), the generator wherever it was started." : "Node and generator not pinned.")}");
        t.AppendLine();
        t.AppendLine("| Picture lane | Reports | Arrivals | Missing | p50 ms | p99 ms | max ms | slowest receiver p50 / p99 ms | to fusion p50 / p99 ms | fusion → receiver p50 / p99 ms | Picture offered/s | Picture delivered/s | Fraction | Picture p99 ms | Server CPU | Gen CPU |");
        t.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        if (baseline is not null)
        {
            t.AppendLine(c, $"| {baseline.Name} | {baseline.Count} | {baseline.All.Count} | {baseline.Missing(o.Receivers)} | {Ms(baseline.All.Quantile(0.5))} | {Ms(baseline.All.Quantile(0.99))} | {Ms(baseline.All.MaxMicros)} | {Ms(baseline.Slowest.Quantile(0.5))} / {Ms(baseline.Slowest.Quantile(0.99))} | {Split(baseline.ToFusion)} | {Split(baseline.AfterFusion)} | | | | | | |");
        }

        if (loaded is not null)
        {
            t.AppendLine(c, $"| {loaded.Name} | {loaded.Count} | {loaded.All.Count} | {loaded.Missing(o.Receivers)} | {Ms(loaded.All.Quantile(0.5))} | {Ms(loaded.All.Quantile(0.99))} | {Ms(loaded.All.MaxMicros)} | {Ms(loaded.Slowest.Quantile(0.5))} / {Ms(loaded.Slowest.Quantile(0.99))} | {Split(loaded.ToFusion)} | {Split(loaded.AfterFusion)} | {load.OfferedPerSecond:F0} | {load.DeliveredPerSecond:F0} | {load.DeliveredFraction:F3} | {load.P99Ms:F2} | {load.ServerCpuPercent ?? 0:F0}% | {load.GeneratorCpuPercent:F0}% |");
        }
        else
        {
            t.AppendLine(c, $"| {LoadName(o)} | failed: the picture load did not start | | | | | | | | | | | | | | |");
        }

        if (loaded is not null)
        {
            t.AppendLine();
            t.AppendLine(c, $"Under load, by receiver: {string.Join("; ", loaded.ByOrganization.Select(kv => $"{kv.Key} p50 {Ms(kv.Value.Quantile(0.5))} / p99 {Ms(kv.Value.Quantile(0.99))} ms ({kv.Value.Count} arrivals)"))}.");
            t.AppendLine();
            t.AppendLine(bench.LateReports(loaded, TimeSpan.FromMilliseconds(20)));
            if (nodeTimes is { Stored.Count: > 0 })
            {
                t.AppendLine();
                t.AppendLine(c, $"The node's own timing of the {nodeTimes.Stored.Count} versions under load (its log, event 1011): durable append p50 {Ms(nodeTimes.Stored.Quantile(0.5))} / p99 {Ms(nodeTimes.Stored.Quantile(0.99))} / max {Ms(nodeTimes.Stored.MaxMicros)} ms; report accepted → queued to every client p50 {Ms(nodeTimes.Issued.Quantile(0.5))} / p99 {Ms(nodeTimes.Issued.Quantile(0.99))} / max {Ms(nodeTimes.Issued.MaxMicros)} ms.");
            }
        }

        t.AppendLine();
        t.AppendLine(c, $"Receivers also read {bench.ReceiverBytes / 1024.0 / 1024.0:F1} MiB in all (warnings and whatever picture their labels let through); sensor reports refused: {bench.Refusals}{(bench.FirstRefusal is null ? string.Empty : $" (first: {bench.FirstRefusal})")}; warnings not matched to a report: {bench.Unmatched}. Sensor and receiver threads: {(o.ClientsRealtime ? bench.PriorityRefused is null ? "real-time priority (--clients realtime)" : $"normal priority (real-time refused: {bench.PriorityRefused})" : "normal priority")}.");
        if (loaded is not null)
        {
            double p99 = loaded.All.Quantile(0.99) / 1000.0;
            string verdict = loaded.All.Count > 0 && loaded.Missing(o.Receivers) == 0 && p99 <= 20 ? "PASS" : "FAIL";
            t.AppendLine(c, $"Target: warning p99 ≤ 20 ms at every entitled receiver under {(o.Rate > 0 ? "this" : "saturating")} picture load: {verdict} ({Ms(loaded.All.Quantile(0.99))} ms over {loaded.All.Count} arrivals, {loaded.Missing(o.Receivers)} missing; picture load {load.OfferedPerSecond:F0} events/s offered, {load.DeliveredPerSecond:F0}/s delivered).");
        }

        return t.ToString();
    }

    private static string LoadName(WarningOptions o) => (o.Flood
        ? $"{o.Publishers}×{o.Subscribers} flooding open loop ({o.FloodBatch} events a write)"
        : o.Rate > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{o.Publishers}×{o.Subscribers} at {o.Rate:F0}/s")
        : $"{o.Publishers}×{o.Subscribers} saturated") + (o.Entities > 1 ? $", {o.Entities} entities each" : "");

    private static string Split(LatencyHistogram h) => $"{Ms(h.Quantile(0.5))} / {Ms(h.Quantile(0.99))}";

    private static string Ms(long micros) => (micros / 1000.0).ToString("F2", CultureInfo.InvariantCulture);

    private static async Task SensorReadLoopAsync(Stream stream, Bench bench, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var scanner = new ElementScanner("<__refusal "u8.ToArray(), "reason=\""u8.ToArray());
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                scanner.Feed(buffer.AsSpan(0, read), v => bench.OnRefusal(v[0] ?? "?"));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// A receiver reads on a thread of its own with blocking reads, like a client on a machine of
    /// its own: an arrival is timed when the read returns, not when the generator's thread pool
    /// (busy with the picture load) gets round to a continuation.
    /// </summary>
    private static Task ReceiverReadLoopAsync(Stream stream, int receiver, Bench bench, bool realtime, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            if (realtime && ClientPriority.TryRaiseCurrentThread() is { } why)
            {
                bench.OnPriorityRefused(why);
            }

            var buffer = new byte[64 * 1024];
            var scanner = new ElementScanner("<__missileWarning "u8.ToArray(), " launchTime=\""u8.ToArray(), " issued=\""u8.ToArray());
            try
            {
                int read;
                while (!ct.IsCancellationRequested && (read = stream.Read(buffer)) > 0)
                {
                    long now = Stopwatch.GetTimestamp();
                    Interlocked.Add(ref bench.ReceiverBytes, read);
                    scanner.Feed(buffer.AsSpan(0, read), v => bench.OnWarning(receiver, v[0], v[1], now));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
            finally
            {
                done.TrySetResult();
            }
        })
        { IsBackground = true, Name = $"warning-receiver-{receiver}" };
        thread.Start();
        return done.Task;
    }

    /// <summary>One batch of reports and the arrivals of their warnings.</summary>
    private sealed class Phase(string name, int receivers)
    {
        public string Name { get; } = name;
        public int Count { get; set; }
        public LatencyHistogram All { get; } = new();
        /// <summary>Per report, the slowest receiver (only reports that reached every receiver).</summary>
        public LatencyHistogram Slowest { get; } = new();
        /// <summary>Per report: written → fused (the warning's <c>issued</c>, the node's clock, same machine).</summary>
        public LatencyHistogram ToFusion { get; } = new();
        /// <summary>Per arrival: fused → read by the receiver (store, warning lane, socket).</summary>
        public LatencyHistogram AfterFusion { get; } = new();
        /// <summary>Per arrival, by the receiver's organization (the picture reaches some and not others).</summary>
        public Dictionary<string, LatencyHistogram> ByOrganization { get; } = ReceiverOrgs.ToDictionary(o => o, _ => new LatencyHistogram(), StringComparer.Ordinal);
        public long Expected => (long)Count * receivers;
        /// <summary>The reports in the order they were sent (added lock-free: the sender takes no lock between its clock and its write).</summary>
        public ConcurrentQueue<Pending> Reports { get; } = new();

        public long Missing(int r) => ((long)Count * r) - All.Count;

        public string Describe(int r) => string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {Count} reports, {All.Count}/{Expected} arrivals ({Missing(r)} missing), p50 {All.Quantile(0.5) / 1000.0:F2} ms p99 {All.Quantile(0.99) / 1000.0:F2} ms max {All.MaxMicros / 1000.0:F2} ms");
    }

    private sealed class Pending(Phase phase, long sentTimestamp, DateTime sentUtc, int receivers)
    {
        public Phase Phase { get; } = phase;
        public long SentTimestamp { get; } = sentTimestamp;
        public DateTime SentUtc { get; } = sentUtc;
        /// <summary>Report written → the node's fusion (the warning's issued time), µs; -1 until the first arrival.</summary>
        public long ToFusionMicros { get; set; } = -1;
        public long[] Arrivals { get; } = new long[receivers];
        /// <summary>This process's time paused by its collector, when the report was written and at its latest arrival.</summary>
        public TimeSpan PausedAtSend { get; } = GC.GetTotalPauseDuration();
        public TimeSpan PausedAtLastArrival { get; set; }
    }

    /// <summary>The reports in flight and what arrived, shared by the sender and the receiver loops.</summary>
    private sealed class Bench(int receivers, bool realtime)
    {
        private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
        private readonly object _gate = new();
        private int _next;
        private int _unmatched;
        private int _refusals;
        public long ReceiverBytes;

        public int Unmatched => Volatile.Read(ref _unmatched);
        public int Refusals => Volatile.Read(ref _refusals);
        public string? FirstRefusal { get; private set; }

        /// <summary>Why a client thread asked for real-time priority and did not get it (null: every one did, or none asked).</summary>
        public string? PriorityRefused { get; private set; }

        public void OnPriorityRefused(string why) => PriorityRefused ??= why;

        public void OnRefusal(string reason)
        {
            Interlocked.Increment(ref _refusals);
            FirstRefusal ??= reason;
        }

        public void OnWarning(int receiver, string? launchTime, string? issued, long now)
        {
            if (launchTime is null || !_pending.TryGetValue(launchTime, out var p))
            {
                Interlocked.Increment(ref _unmatched);
                return;
            }

            lock (_gate)
            {
                if (p.Arrivals[receiver] != 0)
                {
                    return; // sent again (resend on reconnect); the first counts
                }

                p.Arrivals[receiver] = now;
                p.PausedAtLastArrival = GC.GetTotalPauseDuration();
                long micros = Micros(p, receiver);
                p.Phase.All.Record(micros);
                p.Phase.ByOrganization[ReceiverOrgs[receiver % ReceiverOrgs.Length]].Record(micros);
                if (p.ToFusionMicros < 0 && issued is not null
                    && DateTime.TryParse(issued, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var issuedAt))
                {
                    p.ToFusionMicros = Math.Max(0, (long)(issuedAt - p.SentUtc).TotalMicroseconds);
                    p.Phase.ToFusion.Record(p.ToFusionMicros);
                }

                if (p.ToFusionMicros >= 0)
                {
                    p.Phase.AfterFusion.Record(micros - p.ToFusionMicros);
                }
                if (p.Arrivals.All(a => a != 0))
                {
                    p.Phase.Slowest.Record(micros);
                }
            }
        }

        /// <summary>
        /// Which reports were late, and where: a stall in the node or on the sensor's side makes a
        /// report late at every receiver (each such report is listed with its time to fusion and
        /// its slowest time after it, which tell the two apart); a connection that is behind, at
        /// one. With one arrival per receiver per report, p99 over all arrivals allows about one
        /// report in a hundred late at every receiver, or ten late at one receiver each.
        /// </summary>
        public string LateReports(Phase phase, TimeSpan limit)
        {
            var c = CultureInfo.InvariantCulture;
            long limitMicros = (long)limit.TotalMicroseconds;
            int late = 0, one = 0;
            var everywhere = new List<string>();
            var byOrg = ReceiverOrgs.ToDictionary(o => o, _ => 0, StringComparer.Ordinal);
            lock (_gate)
            {
                foreach (var p in phase.Reports)
                {
                    // Each receiver's latency once; a missing arrival counts as slowest of all.
                    var latency = Enumerable.Range(0, p.Arrivals.Length).Select(r => p.Arrivals[r] == 0 ? long.MaxValue : Micros(p, r)).ToArray();
                    var slow = Enumerable.Range(0, latency.Length).Where(r => latency[r] > limitMicros).ToList();
                    if (slow.Count == 0)
                    {
                        continue;
                    }

                    late++;
                    if (slow.Count == p.Arrivals.Length)
                    {
                        long slowest = latency.Max();
                        // The measuring process's own collections pause every receiver at once, like a stall in the node.
                        var paused = p.PausedAtLastArrival - p.PausedAtSend;
                        everywhere.Add(p.ToFusionMicros < 0 || slowest == long.MaxValue
                            ? "?"
                            : string.Create(c, $"{Ms(p.ToFusionMicros)} + {Ms(slowest - p.ToFusionMicros)}{(paused > TimeSpan.Zero ? $", of which this process's collector {paused.TotalMilliseconds:F2}" : string.Empty)}"));
                    }
                    else if (slow.Count == 1)
                    {
                        one++;
                        byOrg[ReceiverOrgs[slow[0] % ReceiverOrgs.Length]]++;
                    }
                }
            }

            return string.Create(c,
                $"Reports late (an arrival over {limit.TotalMilliseconds:F0} ms or missing): {late} of {phase.Count}; at every receiver {everywhere.Count}{(everywhere.Count == 0 ? string.Empty : $" (to fusion + after it, ms: {string.Join("; ", everywhere)})")}; at one receiver {one} ({string.Join(", ", byOrg.Select(kv => $"{kv.Key} {kv.Value}"))}); at several {late - everywhere.Count - one}.");
        }

        /// <summary>One line per report: when it was sent, to fusion, and each receiver's latency in ms (empty: missing).</summary>
        public string ArrivalsCsv(Phase phase)
        {
            var c = CultureInfo.InvariantCulture;
            var t = new StringBuilder();
            t.Append("report,sent_utc,to_fusion_ms");
            for (int r = 0; r < receivers; r++)
            {
                t.Append(c, $",r{r}_{ReceiverOrgs[r % ReceiverOrgs.Length]}_ms");
            }

            t.AppendLine();
            lock (_gate)
            {
                int i = 0;
                foreach (var p in phase.Reports)
                {
                    t.Append(c, $"{i++},{p.SentUtc:yyyy-MM-ddTHH:mm:ss.ffffffZ},{(p.ToFusionMicros < 0 ? string.Empty : Ms(p.ToFusionMicros))}");
                    for (int r = 0; r < receivers; r++)
                    {
                        t.Append(',').Append(p.Arrivals[r] == 0 ? string.Empty : Ms(Micros(p, r)));
                    }

                    t.AppendLine();
                }
            }

            return t.ToString();
        }

        private static long Micros(Pending p, int receiver) => (long)Stopwatch.GetElapsedTime(p.SentTimestamp, p.Arrivals[receiver]).TotalMicroseconds;

        /// <summary>
        /// Sends the reports of one phase from a thread of its own (paced by sleeping, written
        /// with blocking writes), so a report is timed and written back to back and no
        /// continuation waits for the generator's busy thread pool in between.
        /// </summary>
        public Task<Phase> SendAsync(string name, Stream sensor, int count, TimeSpan interval, CancellationToken ct)
        {
            var done = new TaskCompletionSource<Phase>(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    if (realtime && ClientPriority.TryRaiseCurrentThread() is { } why)
                    {
                        OnPriorityRefused(why);
                    }

                    done.TrySetResult(Send(name, sensor, count, interval, ct));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            })
            { IsBackground = true, Name = "warning-sensor" };
            thread.Start();
            return done.Task;
        }

        private Phase Send(string name, Stream sensor, int count, TimeSpan interval, CancellationToken ct)
        {
            var phase = new Phase(name, receivers);
            var start = Stopwatch.GetTimestamp();
            for (int k = 0; k < count; k++)
            {
                var due = interval * k;
                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    ct.WaitHandle.WaitOne(wait);
                }

                ct.ThrowIfCancellationRequested();

                int i = _next++;
                var now = DateTime.UtcNow;
                now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
                var (xml, launchKey) = Report(i, now);
                lock (_gate)
                {
                    phase.Count++;
                }

                var sentUtc = DateTime.UtcNow;
                long sent = Stopwatch.GetTimestamp();
                var p = new Pending(phase, sent, sentUtc, receivers);
                phase.Reports.Enqueue(p);
                _pending[launchKey] = p;
                // A blocking write: the report leaves now, not when a continuation gets a thread.
                sensor.Write(xml);
                sensor.Flush();
            }

            return phase;
        }

        /// <summary>Waits until every report of the phase reached every receiver, or the straggle time passed since now.</summary>
        public async Task WaitForAsync(Phase phase, TimeSpan straggle, CancellationToken ct)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(straggle.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                lock (_gate)
                {
                    if (phase.All.Count >= phase.Expected)
                    {
                        return;
                    }
                }

                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Report i: a new launch. Launch times step back 130 s per report (beyond the 120 s
        /// correlation window) and repeat every 80 reports (under the 3 h age limit); each round
        /// of 80 moves the launch point 2.5° of longitude (over 200 km, beyond the 150 km
        /// window). The launch time, unique to the millisecond, is the key the warning carries back.
        /// </summary>
        private static (byte[] Xml, string LaunchKey) Report(int i, DateTime now)
        {
            var c = CultureInfo.InvariantCulture;
            const string F = "yyyy-MM-ddTHH:mm:ss.fffZ";
            var launch = now - TimeSpan.FromSeconds(30 + (130 * (i % 80)));
            int round = i / 80;
            double lat = 39.2 + (0.7 * ((round / 140) % 2));
            double lon = 125.67 + (2.5 * (round % 140));
            if (lon > 180)
            {
                lon -= 360;
            }

            string uid = string.Create(c, $"JPN-FPS5-SADO-BENCH-{i}");
            var x = new StringBuilder(1024);
            x.Append(c, $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-w-m-r\" how=\"m-f\" time=\"{now.ToString(F, c)}\" start=\"{now.ToString(F, c)}\" stale=\"{now.AddMinutes(10).ToString(F, c)}\" opex=\"o\" access=\"UNCLASSIFIED\" releasableTo=\"USA,JPN,KOR\">");
            x.Append(c, $"<point lat=\"{lat:F2}\" lon=\"{lon:F2}\" hae=\"0\" ce=\"10000\" le=\"9999999\"/>");
            x.Append(c, $"<detail><__missileReport reportId=\"{uid}\" sensor=\"FPS5-SADO\" nation=\"JPN\" detectionTime=\"{now.ToString(F, c)}\" launchTime=\"{launch.ToString(F, c)}\" state=\"tracking\" confidence=\"0.8\">");
            x.Append(c, $"<impact lat=\"40.60\" lon=\"138.40\" semiMajor=\"120000\" semiMinor=\"60000\" orientation=\"75\" time=\"{launch.AddMinutes(10).ToString(F, c)}\"/>");
            x.Append("</__missileReport><remarks>Kizuna warning latency benchmark.</remarks></detail></event>\n");
            string xml = x.ToString();
            return (Encoding.ASCII.GetBytes(xml), launch.ToString(F, c));
        }
    }

    /// <summary>
    /// Finds an element's opening tag in a byte stream split anywhere across reads and hands back
    /// one attribute's value (ASCII). No XML decoding: the generator does not depend on the codec.
    /// </summary>
    internal sealed class ElementScanner(byte[] open, params byte[][] attributes)
    {
        private const int MaxTagBytes = 2048;
        private byte[] _work = new byte[MaxTagBytes + (64 * 1024)];
        private int _carried;

        public void Feed(ReadOnlySpan<byte> data, Action<string?[]> onValue)
        {
            int length = _carried + data.Length;
            if (_work.Length < length)
            {
                Array.Resize(ref _work, length);
            }

            data.CopyTo(_work.AsSpan(_carried));
            int done = Scan(_work.AsSpan(0, length), onValue);
            _carried = length - done;
            _work.AsSpan(done, _carried).CopyTo(_work);
        }

        /// <summary>Scans; returns where the bytes to keep for the next read begin.</summary>
        private int Scan(ReadOnlySpan<byte> data, Action<string?[]> onValue)
        {
            int pos = 0;
            while (true)
            {
                int found = data[pos..].IndexOf(open);
                if (found < 0)
                {
                    return data.Length - Math.Min(open.Length - 1, data.Length - pos);
                }

                int start = pos + found;
                var rest = data[start..];
                int close = rest[..Math.Min(rest.Length, MaxTagBytes)].IndexOf((byte)'>');
                if (close < 0)
                {
                    if (rest.Length < MaxTagBytes)
                    {
                        return start; // unfinished: wait for more bytes
                    }

                    pos = start + open.Length; // runaway tag: skip it
                    continue;
                }

                var tag = rest[..close];
                var values = new string?[attributes.Length];
                for (int k = 0; k < attributes.Length; k++)
                {
                    int a = tag.IndexOf(attributes[k]);
                    if (a >= 0)
                    {
                        var value = tag[(a + attributes[k].Length)..];
                        int q = value.IndexOf((byte)'"');
                        if (q >= 0)
                        {
                            values[k] = Encoding.ASCII.GetString(value[..q]);
                        }
                    }
                }

                onValue(values);

                pos = start + close + 1;
            }
        }
    }
}
