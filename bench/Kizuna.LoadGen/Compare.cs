using System.Globalization;
using System.Net;
using System.Text;

namespace Kizuna.LoadGen;

internal sealed record CompareOptions
{
    public required string KizunaDll { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public int EventBytes { get; init; } = 400;
    public int Window { get; init; } = 1000;
    public bool Tls { get; init; }
    public int IdleClients { get; init; } = 2000;
    public string? OutPath { get; init; }
    public bool RelayOnly { get; init; }
    public TimeSpan NodeStartTimeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>taskset CPU list for the relay and the node ("" = not pinned); pin the generator itself with <c>taskset -c 1 dotnet …</c>.</summary>
    public string NodeCpus { get; init; } = string.Empty;
}

/// <summary>
/// The one-command harness: starts the raw relay and a Kizuna node as child processes, runs the
/// same scenarios against both (10x10 and 1x100 saturated, then each at half of Kizuna's
/// saturation rate for latency, then TLS variants and the idle-TLS memory test if asked), and
/// prints the Markdown table that bench/README.md records.
/// </summary>
internal static class Compare
{
    private static readonly (int P, int S)[] Shapes = [(10, 10), (1, 100)];

    private sealed record Row(string Scenario, string Target, int Subscribers, LoadRunResult? Result, string? Error, double? VsRelay);

    public static async Task<int> RunAsync(CompareOptions o, TextWriter console, CancellationToken ct)
    {
        string work = Directory.CreateTempSubdirectory("kizuna-bench-").FullName;
        string dotnet = DotnetHost();
        await console.WriteLineAsync($"work directory (logs; the node's data is removed at the end): {work}").ConfigureAwait(false);

        var relayEndPoint = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        string[] pin = o.NodeCpus.Length > 0 ? ["-c", o.NodeCpus, dotnet] : [];
        using var relay = ChildProcess.Start("relay", pin.Length > 0 ? "taskset" : dotnet,
            [.. pin, typeof(Compare).Assembly.Location, "relay", "--listen", relayEndPoint.ToString()],
            "Relay ready", Path.Combine(work, "relay.log"));
        await relay.WaitReadyAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);

        using var nodeData = new NodeData(Path.Combine(work, "data"), console);
        ChildProcess? node = null;
        string? nodeError = null;
        IPEndPoint? nodeTcp = null;
        IPEndPoint? nodeTls = null;
        ClientTls? tls = null;
        string? tlsError = null;
        try
        {
            if (o.RelayOnly)
            {
                nodeError = "skipped (--relay-only)";
            }
            else if (!File.Exists(o.KizunaDll))
            {
                nodeError = $"not built: {o.KizunaDll} does not exist (dotnet build src/Kizuna.Server -c Release)";
            }
            else
            {
                (node, nodeTcp, nodeTls, nodeError) = await StartNodeAsync(dotnet, o, work, ct).ConfigureAwait(false);
            }

            if (nodeError is not null)
            {
                await console.WriteLineAsync($"Kizuna node unavailable: {nodeError}").ConfigureAwait(false);
            }

            if (o.Tls && node is not null)
            {
                try
                {
                    string certDir = Path.Combine(work, "certs");
                    await ChildProcess.RunToEndAsync(dotnet,
                        [o.KizunaDll, "certs", "client", "--name", "loadgen", "--out", certDir, "--data-dir", Path.Combine(work, "data")],
                        TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                    tls = ClientTls.Load(Path.Combine(certDir, "client.pem"), Path.Combine(certDir, "client.key"), Path.Combine(certDir, "ca.pem"));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    tlsError = e.Message;
                    await console.WriteLineAsync($"TLS client certificate unavailable: {tlsError}").ConfigureAwait(false);
                }
            }

            // Idle TLS first, on the fresh node, so "before" is the node at rest.
            IdleTlsResult? idle = null;
            if (tls is not null && node is not null && o.IdleClients > 0)
            {
                await console.WriteLineAsync($"idle TLS: opening {o.IdleClients} connections...").ConfigureAwait(false);
                idle = await IdleTls.RunAsync(nodeTls!, tls, o.IdleClients, node.Pid, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                await console.WriteLineAsync(idle.Describe()).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }

            var rows = new List<Row>();
            var relaySaturated = new Dictionary<(int, int), LoadRunResult?>();
            var kizunaSaturated = new Dictionary<(int, int), LoadRunResult?>();
            foreach (var (p, s) in Shapes)
            {
                string name = $"{p}×{s} saturated";
                var r = await MeasureAsync(console, rows, name, "relay", relayEndPoint, null, relay.Pid, p, s, 0, o, null, ct).ConfigureAwait(false);
                relaySaturated[(p, s)] = r;
                kizunaSaturated[(p, s)] = node is null
                    ? Pending(rows, name, "kizuna tcp", s, nodeError)
                    : await MeasureAsync(console, rows, name, "kizuna tcp", nodeTcp!, null, node.Pid, p, s, 0, o, r, ct).ConfigureAwait(false);
            }

            foreach (var (p, s) in Shapes)
            {
                // Half of Kizuna's saturation rate (events/s published that reach every subscriber);
                // the relay's when Kizuna is unavailable.
                var basis = kizunaSaturated[(p, s)] ?? relaySaturated[(p, s)];
                if (basis is null)
                {
                    continue;
                }

                double rate = Math.Max(p, Math.Round(basis.DeliveredPerSecond / s / 2));
                string name = string.Create(CultureInfo.InvariantCulture, $"{p}×{s} at {rate:F0}/s (½ {(ReferenceEquals(basis, kizunaSaturated[(p, s)]) ? "Kizuna" : "relay")} sat.)");
                var r = await MeasureAsync(console, rows, name, "relay", relayEndPoint, null, relay.Pid, p, s, rate, o, null, ct).ConfigureAwait(false);
                if (node is null)
                {
                    Pending(rows, name, "kizuna tcp", s, nodeError);
                }
                else
                {
                    await MeasureAsync(console, rows, name, "kizuna tcp", nodeTcp!, null, node.Pid, p, s, rate, o, r, ct).ConfigureAwait(false);
                }
            }

            if (o.Tls)
            {
                foreach (var (p, s) in Shapes)
                {
                    string name = $"{p}×{s} saturated";
                    if (tls is null || node is null)
                    {
                        Pending(rows, name, "kizuna tls", s, tlsError ?? nodeError);
                        continue;
                    }

                    var sat = await MeasureAsync(console, rows, name, "kizuna tls", nodeTls!, tls, node.Pid, p, s, 0, o, relaySaturated[(p, s)], ct).ConfigureAwait(false);
                    if (sat is not null)
                    {
                        double rate = Math.Max(p, Math.Round(sat.DeliveredPerSecond / s / 2));
                        await MeasureAsync(console, rows, string.Create(CultureInfo.InvariantCulture, $"{p}×{s} at {rate:F0}/s (½ TLS sat.)"),
                            "kizuna tls", nodeTls!, tls, node.Pid, p, s, rate, o, null, ct).ConfigureAwait(false);
                    }
                }
            }

            string report = Report(rows, idle, relaySaturated, kizunaSaturated, o);
            await console.WriteLineAsync().ConfigureAwait(false);
            await console.WriteLineAsync(report).ConfigureAwait(false);
            if (o.OutPath is not null)
            {
                await File.WriteAllTextAsync(o.OutPath, report, ct).ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            tls?.Dispose();
            node?.Dispose();
        }
    }

    private static async Task<(ChildProcess?, IPEndPoint?, IPEndPoint?, string?)> StartNodeAsync(string dotnet, CompareOptions o, string work, CancellationToken ct)
    {
        var tcp = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        var tlsEp = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        var http = new IPEndPoint(IPAddress.Loopback, HostPort.FreeLoopbackPort());
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the node refuses a data directory other users can read
        }
        string[] pin = o.NodeCpus.Length > 0 ? ["-c", o.NodeCpus, dotnet] : [];
        var node = ChildProcess.Start("kizuna", pin.Length > 0 ? "taskset" : dotnet,
            [.. pin, o.KizunaDll, "serve", "--data-dir", data, "--cot-tcp", tcp.ToString(), "--cot-tls", tlsEp.ToString(), "--http", http.ToString(), "--https", "", "--max-connections-per-address", "100000"],
            "Node ready", Path.Combine(work, "kizuna.log"), Path.GetDirectoryName(o.KizunaDll));
        try
        {
            await node.WaitReadyAsync(o.NodeStartTimeout, ct).ConfigureAwait(false);
            return (node, tcp, tlsEp, null);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            node.Dispose();
            return (null, null, null, e.Message);
        }
    }

    private static async Task<LoadRunResult?> MeasureAsync(
        TextWriter console, List<Row> rows, string scenario, string target, IPEndPoint endPoint, ClientTls? tls, int pid,
        int p, int s, double rate, CompareOptions o, LoadRunResult? relay, CancellationToken ct)
    {
        await console.WriteAsync($"{scenario,-34} {target,-11} ").ConfigureAwait(false);
        try
        {
            var result = await LoadRun.RunAsync(new LoadRunOptions
            {
                Target = endPoint,
                Publishers = p,
                Subscribers = s,
                Duration = o.Duration,
                Warmup = o.Warmup,
                Rate = rate,
                EventBytes = o.EventBytes,
                Window = o.Window,
                Tls = tls,
                ServerPid = pid,
            }, ct).ConfigureAwait(false);
            await console.WriteLineAsync(result.Describe()).ConfigureAwait(false);
            if (result.LatencySamples == 0 || result.Disconnects > 0)
            {
                // A run the server cut short, or in which nothing arrived, is not a figure.
                string why = result.Disconnects > 0 ? $"failed: {result.Disconnects} connections closed by the server" : "failed: nothing delivered";
                rows.Add(new Row(scenario, target, s, null, why, null));
                return null;
            }

            double? vs = relay is { DeliveredPerSecond: > 0 } ? result.DeliveredPerSecond / relay.DeliveredPerSecond : null;
            rows.Add(new Row(scenario, target, s, result, null, target == "relay" && rate == 0 ? 1.0 : vs));
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); // let queues empty between runs
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await console.WriteLineAsync($"failed: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            rows.Add(new Row(scenario, target, s, null, $"failed: {e.GetType().Name}", null));
            return null;
        }
    }

    private static LoadRunResult? Pending(List<Row> rows, string scenario, string target, int s, string? why)
    {
        rows.Add(new Row(scenario, target, s, null, "pending" + (why is null ? string.Empty : $" ({Shorten(why)})"), null));
        return null;
    }

    private static string Shorten(string text)
    {
        string first = text.Split('\n')[0];
        return first.Length > 80 ? first[..80] + "…" : first;
    }

    private static string Report(List<Row> rows, IdleTlsResult? idle,
        Dictionary<(int, int), LoadRunResult?> relay, Dictionary<(int, int), LoadRunResult?> kizuna, CompareOptions o)
    {
        var c = CultureInfo.InvariantCulture;
        var t = new StringBuilder();
        int eventBytes = LoadEvent.Create(0, o.EventBytes, DateTime.UtcNow).Length;
        t.AppendLine(c, $"Event {eventBytes} bytes as sent; {o.Warmup.TotalSeconds:F0} s warmup, {o.Duration.TotalSeconds:F0} s measured per row; saturated = closed loop, {o.Window} events in flight; {(o.NodeCpus.Length > 0 ? $"relay and node pinned to CPU {o.NodeCpus} (taskset), the generator wherever it was started" : "relay, node and generator not pinned")}.");
        t.AppendLine();
        t.AppendLine("| Scenario | Target | Offered/s | Delivered/s | Fraction | p50 ms | p99 ms | max ms | Server CPU | Gen CPU | vs relay |");
        t.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            if (row.Result is not { } r)
            {
                t.AppendLine(c, $"| {row.Scenario} | {row.Target} | {row.Error} | | | | | | | | |");
                continue;
            }

            string vs = row.VsRelay is { } v ? v.ToString("F2", c) : "";
            t.AppendLine(c, $"| {row.Scenario} | {row.Target} | {r.OfferedPerSecond:F0} | {r.DeliveredPerSecond:F0} | {r.DeliveredFraction:F3} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MaxMs:F2} | {r.ServerCpuPercent ?? 0:F0}% | {r.GeneratorCpuPercent:F0}% | {vs} |");
        }

        t.AppendLine();
        t.AppendLine("Targets:");
        foreach (var (p, s) in Shapes)
        {
            var k = kizuna[(p, s)];
            var rr = relay[(p, s)];
            t.AppendLine(k is null || rr is null
                ? $"- {p}×{s}: Kizuna delivered/s ≥ ½ relay: pending"
                : string.Create(c, $"- {p}×{s}: Kizuna delivered/s ≥ ½ relay: {Verdict(k.DeliveredPerSecond >= rr.DeliveredPerSecond / 2)} ({k.DeliveredPerSecond / rr.DeliveredPerSecond:F2}×)"));
        }

        foreach (var row in rows.Where(r => r.Target.StartsWith("kizuna", StringComparison.Ordinal) && r.Scenario.Contains(" at ", StringComparison.Ordinal)))
        {
            t.AppendLine(row.Result is { } r
                ? string.Create(c, $"- {row.Scenario}, {row.Target}: p99 ≤ 5 ms: {Verdict(r.P99Ms <= 5)} ({r.P99Ms:F2} ms)")
                : $"- {row.Scenario}, {row.Target}: p99 ≤ 5 ms: {row.Error}");
        }

        if (idle is not null)
        {
            t.AppendLine(c, $"- {idle.Requested} idle TLS clients cost < 500 MiB: {Verdict(idle.RssAfterMiB is < 500 && idle.StillOpen == idle.Requested)} ({idle.Describe()})");
        }
        else if (o.Tls)
        {
            t.AppendLine("- idle TLS clients: pending");
        }

        return t.ToString();
    }

    private static string Verdict(bool pass) => pass ? "PASS" : "FAIL";

    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal) ? self : "dotnet";
    }

    /// <summary>The repository root: the nearest directory up from here or from this program holding Kizuna.slnx.</summary>
    public static string? RepoRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
