using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;

namespace Kizuna.LoadGen;

/// <summary>
/// Issue 18's soak: a paced load over TLS for many minutes, one <see cref="LoadRun"/> row per
/// minute (so each minute has its own delivered rate, p99 and node drops), while churning TLS
/// clients join, stay a few seconds reading the picture, and leave, all the time. Each minute's
/// line gives the node's resident memory; the end says whether memory stayed flat after the
/// warm-up minute (growth under 5 %), how far p99 moved, and what was dropped.
/// </summary>
internal static class SoakRun
{
    public static Command Command()
    {
        var target = new Option<string>("--target") { Description = "HOST:PORT of the node's TLS CoT port", Required = true };
        var minutes = new Option<int>("--minutes") { Description = "Rows of one minute each", DefaultValueFactory = _ => 30 };
        var rate = new Option<double>("--rate") { Description = "Total paced events/s across publishers (half the best paced rate)", DefaultValueFactory = _ => 10000 };
        var publishers = new Option<int>("--publishers") { Description = "Paced publishers", DefaultValueFactory = _ => 10 };
        var subscribers = new Option<int>("--subscribers") { Description = "Measuring subscribers", DefaultValueFactory = _ => 10 };
        var churn = new Option<int>("--churn-clients") { Description = "TLS clients joining and leaving throughout", DefaultValueFactory = _ => 200 };
        var serverPid = new Option<int>("--server-pid") { Description = "The node's process, for its RSS", Required = true };
        var metrics = new Option<string?>("--metrics") { Description = "The node's /metrics URL, for what it accepted and dropped" };
        var cert = new Option<string>("--cert") { Required = true };
        var key = new Option<string>("--key") { Required = true };
        var ca = new Option<string>("--ca") { Required = true };
        var cmd = new Command("soak", "Paced TLS load in one-minute rows with clients joining and leaving throughout; RSS, p99 and drops per minute.")
        {
            target, minutes, rate, publishers, subscribers, churn, serverPid, metrics, cert, key, ca,
        };
        cmd.SetAction(async (r, ct) =>
        {
            using var tls = ClientTls.Load(r.GetValue(cert)!, r.GetValue(key)!, r.GetValue(ca)!);
            return await RunAsync(HostPort.Parse(r.GetValue(target)!), tls, r.GetValue(minutes), r.GetValue(rate), r.GetValue(publishers), r.GetValue(subscribers),
                r.GetValue(churn), r.GetValue(serverPid), r.GetValue(metrics) is { Length: > 0 } url ? new Uri(url) : null, Console.Out, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(IPEndPoint target, ClientTls tls, int minutes, double rate, int publishers, int subscribers, int churnClients, int serverPid, Uri? metrics, TextWriter log, CancellationToken ct)
    {
        using var churnCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var joins = new long[1];
        var failures = new long[1];
        var churners = Enumerable.Range(0, churnClients).Select(i => Task.Run(() => ChurnAsync(target, tls, i, joins, failures, churnCts.Token))).ToArray();
        var rows = new List<(LoadRunResult Result, double RssMiB)>();
        try
        {
            for (var minute = 1; minute <= minutes; minute++)
            {
                var result = await LoadRun.RunAsync(new LoadRunOptions
                {
                    Target = target,
                    Tls = tls,
                    Publishers = publishers,
                    Subscribers = subscribers,
                    Rate = rate,
                    Warmup = TimeSpan.FromSeconds(2),
                    Duration = TimeSpan.FromSeconds(56),
                    ServerPid = serverPid,
                    MetricsUrl = metrics,
                }, ct).ConfigureAwait(false);
                var rss = ProcStats.RssMiB(serverPid) ?? double.NaN;
                rows.Add((result, rss));
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"minute {minute}: delivered {result.DeliveredPerSecond:F0}/s (fraction {result.DeliveredFraction:F4}), p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, dropped by the node {result.NodeDroppedPerSecond ?? double.NaN:F0}/s, disconnects {result.Disconnects}, RSS {rss:F0} MiB, churn joins so far {Interlocked.Read(ref joins[0])} ({Interlocked.Read(ref failures[0])} failed), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}")).ConfigureAwait(false);
            }
        }
        finally
        {
            await churnCts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(churners).ConfigureAwait(false);
        }

        await log.WriteLineAsync(Verdict(rows, Interlocked.Read(ref joins[0]), Interlocked.Read(ref failures[0]))).ConfigureAwait(false);
        return 0;
    }

    private static string Verdict(List<(LoadRunResult Result, double RssMiB)> rows, long joins, long failures)
    {
        if (rows.Count < 3)
        {
            return "soak: fewer than three minutes, no verdict";
        }

        // Minute 1 is the warm-up: the picture, the pools and the JIT settle there.
        var after = rows.Skip(1).ToList();
        var first = after[0].RssMiB;
        var last = after[^1].RssMiB;
        var peak = after.Max(r => r.RssMiB);
        var growth = (last - first) / first * 100;
        var p99s = after.Select(r => r.Result.P99Ms).Order().ToList();
        var fractions = after.Select(r => r.Result.DeliveredFraction).ToList();
        var dropped = after.Sum(r => r.Result.NodeDroppedPerSecond ?? 0);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"soak over {rows.Count} minutes: RSS after warm-up {first:F0} → {last:F0} MiB (peak {peak:F0}), growth {growth:F1} % ({(growth < 5 ? "flat" : "NOT flat")}); ");
        s.Append(CultureInfo.InvariantCulture, $"p99 per minute min {p99s[0]:F2} / median {p99s[p99s.Count / 2]:F2} / max {p99s[^1]:F2} ms; ");
        s.Append(CultureInfo.InvariantCulture, $"delivered fraction min {fractions.Min():F4}; node drops summed over minutes {dropped:F0}/s; churn: {joins} joins, {failures} failed");
        return s.ToString();
    }

    /// <summary>One churning client: connect with the node's client certificate, say hello, read the picture for 2–20 s, leave, again.</summary>
    private static async Task ChurnAsync(IPEndPoint target, ClientTls tls, int index, long[] joins, long[] failures, CancellationToken ct)
    {
        var random = new Random(index);
        var buffer = new byte[16 * 1024];
        var hello = Encoding.ASCII.GetBytes(Hello(index));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var stream = await ClientConnector.ConnectAsync(target, tls, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
                Interlocked.Increment(ref joins[0]);
                await stream.WriteAsync(hello, ct).ConfigureAwait(false);
                using var stay = CancellationTokenSource.CreateLinkedTokenSource(ct);
                stay.CancelAfter(TimeSpan.FromMilliseconds(random.Next(2_000, 20_000)));
                while (await stream.ReadAsync(buffer, stay.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
            {
                Interlocked.Increment(ref failures[0]);
            }
        }
    }

    private static string Hello(int index)
    {
        var now = DateTime.UtcNow;
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"<event version=\"2.0\" uid=\"loadgen-tls-churn-{index}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{now:yyyy-MM-ddTHH:mm:ss.fffZ}\" start=\"{now:yyyy-MM-ddTHH:mm:ss.fffZ}\" stale=\"{now.AddHours(2):yyyy-MM-ddTHH:mm:ss.fffZ}\">")
            + "<point lat=\"35.1\" lon=\"139.1\" hae=\"0.0\" ce=\"9.9\" le=\"9.9\"/>"
            + string.Create(c, $"<detail><contact callsign=\"CHURN-{index}\"/><__group name=\"Cyan\" role=\"Team Member\"/></detail></event>\n");
    }
}
