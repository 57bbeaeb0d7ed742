using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Kizuna.LoadGen;

/// <summary>
/// The generator's half of issue 18's crash target (bench/crash.sh is the other): P publishers
/// flood, S subscribers record every event they receive, until the node dies under them (the
/// script kills it with SIGKILL); then every (publisher, sequence, send time) any subscriber
/// received goes to a file, for the script to look for in the history after the restart.
/// </summary>
internal static class CrashRun
{
    private const int ReadBufferBytes = 64 * 1024;

    public static Command Command()
    {
        var target = new Option<string>("--target") { Description = "HOST:PORT of the node's plain CoT port", Required = true };
        var publishers = new Option<int>("--publishers") { Description = "Flooding publishers", DefaultValueFactory = _ => 10 };
        var subscribers = new Option<int>("--subscribers") { Description = "Recording subscribers", DefaultValueFactory = _ => 10 };
        var eventBytes = new Option<int>("--event-bytes") { Description = "Event size target", DefaultValueFactory = _ => 400 };
        var batch = new Option<int>("--batch") { Description = "Events per publisher write", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out") { Description = "File for the received markers (publisher sequence send-micros per line)", Required = true };
        var timeout = new Option<string>("--timeout") { Description = "Give up when the node has not died by then", DefaultValueFactory = _ => "120s" };
        var cmd = new Command("crash", "Flood a node and record what subscribers receive until the node dies (bench/crash.sh kills it and checks the history).")
        {
            target, publishers, subscribers, eventBytes, batch, output, timeout,
        };
        cmd.SetAction((r, ct) => RunAsync(HostPort.Parse(r.GetValue(target)!), r.GetValue(publishers), r.GetValue(subscribers), r.GetValue(eventBytes),
            r.GetValue(batch), r.GetValue(output)!, Duration.Parse(r.GetValue(timeout)!), Console.Out, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(IPEndPoint target, int publishers, int subscribers, int eventBytes, int batch, string outPath, TimeSpan timeout, TextWriter log, CancellationToken ct)
    {
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        runCts.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        long Micros() => clock.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;

        // Per subscriber: (publisher, sequence) → send time, so no reader waits on another.
        var received = new Dictionary<(int P, long S), long>[subscribers];
        var subscriberStreams = new Stream[subscribers];
        for (var i = 0; i < subscribers; i++)
        {
            subscriberStreams[i] = await ClientConnector.ConnectAsync(target, null, TimeSpan.FromSeconds(10), runCts.Token).ConfigureAwait(false);
            // As a TAK client does, and as the load runs' subscribers do.
            await subscriberStreams[i].WriteAsync(LoadRun.HelloEvent(i, "loadgen-crash"), runCts.Token).ConfigureAwait(false);
            received[i] = [];
        }

        var firstBreak = long.MaxValue;
        void Broke() => Interlocked.CompareExchange(ref firstBreak, Micros(), long.MaxValue);
        var readers = subscriberStreams.Select((s, i) => Task.Run(() => SubscribeAsync(s, received[i], Broke, runCts.Token))).ToArray();
        var sent = new long[publishers];
        var writers = Enumerable.Range(0, publishers).Select(p => Task.Run(() => PublishAsync(target, p, eventBytes, batch, sent, Micros, Broke, runCts.Token))).ToArray();
        await log.WriteLineAsync("Flooding; kill the node now").ConfigureAwait(false);
        await Task.WhenAll(readers).ConfigureAwait(false);
        await runCts.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(writers).ConfigureAwait(false);
        foreach (var s in subscriberStreams)
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }

        var union = new Dictionary<(int P, long S), long>();
        foreach (var r in received)
        {
            foreach (var (key, micros) in r)
            {
                union.TryAdd(key, micros);
            }
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# broke-at-micros {(firstBreak == long.MaxValue ? -1 : firstBreak)}\n");
        foreach (var ((p, s), micros) in union.OrderBy(m => m.Key.P).ThenBy(m => m.Key.S))
        {
            text.Append(CultureInfo.InvariantCulture, $"{p} {s} {micros}\n");
        }

        await File.WriteAllTextAsync(outPath, text.ToString(), CancellationToken.None).ConfigureAwait(false);
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"crash: {sent.Sum()} events sent by {publishers} publishers, {union.Count} distinct received by {subscribers} subscribers; first connection broke {firstBreak / 1000.0:F0} ms into the run; markers in {outPath}")).ConfigureAwait(false);
        return firstBreak == long.MaxValue ? 2 : 0;
    }

    private static async Task SubscribeAsync(Stream stream, Dictionary<(int P, long S), long> received, Action broke, CancellationToken ct)
    {
        var buffer = new byte[ReadBufferBytes];
        var carry = 0;
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(carry), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var sink = new Sink(received);
                var length = carry + read;
                var done = MarkerScanner.Scan(buffer.AsSpan(0, length), ref sink);
                carry = length - done;
                buffer.AsSpan(done, carry).CopyTo(buffer);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        broke();
    }

    private static async Task PublishAsync(IPEndPoint target, int p, int eventBytes, int batch, long[] sent, Func<long> micros, Action broke, CancellationToken ct)
    {
        try
        {
            await using var stream = await ClientConnector.ConnectAsync(target, null, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            // A publisher reads what it is sent, as a TAK client does (one that never reads is a
            // stalled client, and the node's admission holds publishers feeding stalled lanes).
            _ = Task.Run(() => SubscribeAsync(stream, [], () => { }, ct), ct);
            var evt = LoadEvent.Create(p, eventBytes, DateTime.UtcNow);
            var buffer = new byte[evt.Length * batch];
            long seq = 0;
            var refreshed = micros();
            while (!ct.IsCancellationRequested)
            {
                var now = micros();
                if (now - refreshed > 1_000_000)
                {
                    evt.RefreshTimes(DateTime.UtcNow);
                    refreshed = now;
                }

                for (var k = 0; k < batch; k++)
                {
                    evt.WriteTo(buffer.AsSpan(k * evt.Length), seq++, now);
                }

                await stream.WriteAsync(buffer, ct).ConfigureAwait(false);
                sent[p] = seq;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            broke();
        }
    }

    private readonly struct Sink(Dictionary<(int P, long S), long> received) : IMarkerSink
    {
        public void OnMarker(MarkerScanner.Marker marker) => received.TryAdd((marker.Publisher, marker.Seq), marker.SendMicros);
    }
}
