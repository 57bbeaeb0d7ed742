using System.CommandLine;
using System.Text.Json;

namespace Kizuna.LoadGen;

/// <summary>The command line: relay, run, compare, idle-tls, warning.</summary>
internal static class Commands
{
    public static Command Relay()
    {
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on", DefaultValueFactory = _ => "127.0.0.1:8087" };
        var queue = new Option<int>("--queue-events") { Description = "Outgoing queue bound per connection, in events (lines); oldest dropped beyond it", DefaultValueFactory = _ => 4096 };
        var stats = TimeOption("--stats-interval", "How often to print counters (0 = never)", "10s");
        var (tlsOpt, cert, key, ca) = TlsOptions();
        tlsOpt.Description = "A TLS relay: --cert/--key is its server certificate (a 'kizuna certs client' one serves), clients must present a certificate from --ca";
        var cmd = new Command("relay", "Raw relay baseline: every byte a connection sends goes to every other connection, no parsing.") { listen, queue, stats, tlsOpt, cert, key, ca };
        cmd.SetAction(async (r, ct) =>
        {
            using var tls = LoadTls(r, tlsOpt, cert, key, ca);
            var relay = new RawRelay(HostPort.Parse(r.GetValue(listen)!), r.GetValue(queue), tls);
            await relay.RunAsync(Console.Out, Time(r, stats), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    public static Command Run()
    {
        var target = TargetOption("HOST:PORT of the server (relay or Kizuna CoT port)");
        var publishers = new Option<int>("--publishers") { Description = "Publishing clients (P)", DefaultValueFactory = _ => 10 };
        var subscribers = new Option<int>("--subscribers") { Description = "Subscribing clients (S), connected before publishers start", DefaultValueFactory = _ => 10 };
        var duration = TimeOption("--duration", "Measured time, after warmup (10s, 500ms, 1m)", "10s");
        var warmup = TimeOption("--warmup", "Sending time before measuring", "2s");
        var rate = new Option<double>("--rate") { Description = "Total offered events/s across publishers; 0 = as fast as the in-flight window allows", DefaultValueFactory = _ => 0 };
        var window = WindowOption("Saturated mode: events in flight over all publishers");
        var eventBytes = EventBytesOption("Event size target; the realistic event is padded with remarks up to it");
        var batch = new Option<int>("--batch") { Description = "Most events per publisher write (1 = one write per event, as TAK clients do)", DefaultValueFactory = _ => 1 };
        var entities = EntitiesOption();
        var serverPid = ServerPidOption("Report this process's RSS (VmRSS) and CPU");
        var resultJson = new Option<string?>("--result-json") { Description = "Also write the result as JSON to this file (the warning benchmark reads it)" };
        var flood = new Option<bool>("--flood") { Description = "Open loop, flat out: each publisher writes --batch events at a time as fast as TCP takes them (no window, no pacing)" };
        var stalled = new Option<int>("--stalled") { Description = "Clients that connect after the subscribers, say hello and never read (stalled lanes beside the load); not counted", DefaultValueFactory = _ => 0 };
        var metrics = MetricsOption();
        var (tlsOpt, cert, key, ca) = TlsOptions();
        var cmd = new Command("run", "Drive a target with P publishers and S subscribers over loopback and report throughput and latency.")
        {
            target, publishers, subscribers, duration, warmup, rate, window, eventBytes, batch, entities, serverPid, resultJson, flood, stalled, metrics, tlsOpt, cert, key, ca,
        };
        cmd.SetAction(async (r, ct) =>
        {
            using var tls = LoadTls(r, tlsOpt, cert, key, ca);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = started.Task.ContinueWith(_ => Console.WriteLine(LoadRun.StartedLine), TaskScheduler.Default);
            var result = await LoadRun.RunAsync(new LoadRunOptions
            {
                Target = HostPort.Parse(r.GetValue(target)!),
                Publishers = r.GetValue(publishers),
                Subscribers = r.GetValue(subscribers),
                Duration = Time(r, duration),
                Warmup = Time(r, warmup),
                Rate = r.GetValue(rate),
                Window = r.GetValue(window),
                EventBytes = r.GetValue(eventBytes),
                Batch = r.GetValue(batch),
                Entities = Entities(r.GetValue(entities)),
                ServerPid = r.GetValue(serverPid),
                Tls = tls,
                Started = started,
                Flood = r.GetValue(flood),
                MetricsUrl = MetricsUrl(r, metrics),
                Stalled = r.GetValue(stalled),
            }, ct).ConfigureAwait(false);
            Console.WriteLine(result.Describe());
            if (r.GetValue(stalled) is > 0 and var never)
            {
                Console.WriteLine($"beside {never} clients that never read (not counted)");
            }

            if (r.GetValue(serverPid) is { } pid && ProcStats.ThreadNames(pid) is { } names)
            {
                Console.WriteLine($"server threads by name: {names}");
            }

            if (r.GetValue(resultJson) is { } path)
            {
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result), ct).ConfigureAwait(false);
            }

            return 0;
        });
        return cmd;
    }

    public static Command Compare()
    {
        var kizuna = KizunaOption();
        var duration = TimeOption("--duration", "Measured time per row", "10s");
        var warmup = TimeOption("--warmup", "Warmup per row", "2s");
        var eventBytes = EventBytesOption("Event size target");
        var window = WindowOption("Saturated mode: events in flight over all publishers");
        var tls = new Option<bool>("--tls") { Description = "Also run the TLS rows and the idle-TLS memory test (client certificate from 'kizuna certs client')" };
        var idle = new Option<int>("--idle-clients") { Description = "Idle TLS clients for the memory test (with --tls; 0 = skip)", DefaultValueFactory = _ => 2000 };
        var relayOnly = new Option<bool>("--relay-only") { Description = "Do not start Kizuna; Kizuna rows are marked pending" };
        var output = OutOption();
        var nodeCpus = NodeCpusOption("taskset CPU list for the relay and the node (\"\" = not pinned); pin the generator itself with `taskset -c 1 dotnet ...`", "");
        var cmd = new Command("compare", "Start the raw relay and a Kizuna node, run the same scenarios against both, print a Markdown table.")
        {
            kizuna, duration, warmup, eventBytes, window, tls, idle, relayOnly, output, nodeCpus,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var dll = KizunaDll(r.GetValue(kizuna));

            return await LoadGen.Compare.RunAsync(new CompareOptions
            {
                KizunaDll = dll,
                Duration = Time(r, duration),
                Warmup = Time(r, warmup),
                EventBytes = r.GetValue(eventBytes),
                Window = r.GetValue(window),
                Tls = r.GetValue(tls),
                IdleClients = r.GetValue(idle),
                RelayOnly = r.GetValue(relayOnly),
                OutPath = r.GetValue(output),
                NodeCpus = r.GetValue(nodeCpus)!,
            }, Console.Out, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    public static Command Warning()
    {
        var kizuna = KizunaOption();
        var duration = TimeOption("--duration", "Measured time of the picture load; the reports are sent inside it", "10s");
        var warmup = TimeOption("--warmup", "Picture load warmup before the first report", "2s");
        var publishers = new Option<int>("--publishers") { Description = "Picture load publishers (P), plain TCP, saturated", DefaultValueFactory = _ => 10 };
        var subscribers = new Option<int>("--subscribers") { Description = "Picture load subscribers (S), plain TCP", DefaultValueFactory = _ => 10 };
        var eventBytes = EventBytesOption("Picture event size target");
        var window = WindowOption("Picture load: events in flight over all publishers");
        var rate = new Option<double>("--rate") { Description = "Picture load: total offered events/s; 0 = saturated (closed loop, --window in flight)", DefaultValueFactory = _ => 0 };
        var receivers = new Option<int>("--receivers") { Description = "Warning receivers over TLS, identities spread over JJOC, USFJ, ROK-JCS", DefaultValueFactory = _ => 10 };
        var reports = new Option<int>("--reports") { Description = "Launch reports under load (0 = as many as fit in --duration at --interval)", DefaultValueFactory = _ => 0 };
        var baseline = new Option<int>("--baseline-reports") { Description = "Reports sent first with no picture load (0 = skip)", DefaultValueFactory = _ => 20 };
        var interval = TimeOption("--interval", "Time between reports", "200ms");
        var output = OutOption();
        var sensorOn = new Option<string>("--sensor-on") { Description = "Where the sensor connects: intake (the node's --warning-intake) or tls (the CoT TLS listener, with the picture clients)", DefaultValueFactory = _ => "intake" };
        var clients = new Option<string>("--clients") { Description = "Priority of the sensor's and receivers' threads: normal, or realtime (SCHED_RR, as clients on machines of their own; needs root or CAP_SYS_NICE)", DefaultValueFactory = _ => "normal" };
        var pictureIn = new Option<string>("--picture-in") { Description = "Where the picture load runs: separate (a process of its own, like the devices it stands for) or same (this process, beside the sensor and receivers, whose threads its collections then pause)", DefaultValueFactory = _ => "separate" };
        var entities = EntitiesOption();
        var pictureNice = new Option<int>("--picture-nice") { Description = "Niceness of the picture load's process, 0-19 (it stands for devices on other machines: at 19 it runs on the CPU the node and the measured clients leave; 0 = the node's priority)", DefaultValueFactory = _ => 19 };
        var arrivals = new Option<string?>("--arrivals") { Description = "Also write every report under load and its arrival at each receiver (ms) to this CSV file" };
        var flood = new Option<bool>("--flood") { Description = "The picture load floods open loop: each publisher writes as fast as TCP takes it (--rate and --window unused)" };
        var nodeCpus = NodeCpusOption("taskset CPU list for the node (\"\" = not pinned); pin the generator itself with `taskset -c 1 dotnet ...`", "");
        var cmd = new Command("warning", "Start a Kizuna node, send missile launch reports over TLS while a saturating picture load runs, and measure report-to-warning latency at every entitled receiver.")
        {
            kizuna, duration, warmup, publishers, subscribers, eventBytes, window, rate, receivers, reports, baseline, interval, output, sensorOn, clients, pictureIn, pictureNice, entities, arrivals, flood, nodeCpus,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var dll = KizunaDll(r.GetValue(kizuna));

            return await WarningLatency.RunAsync(new WarningOptions
            {
                KizunaDll = dll,
                Duration = Time(r, duration),
                Warmup = Time(r, warmup),
                Publishers = r.GetValue(publishers),
                Subscribers = r.GetValue(subscribers),
                EventBytes = r.GetValue(eventBytes),
                Window = r.GetValue(window),
                Rate = r.GetValue(rate),
                Receivers = r.GetValue(receivers),
                Reports = r.GetValue(reports),
                BaselineReports = r.GetValue(baseline),
                Interval = Time(r, interval),
                OutPath = r.GetValue(output),
                ArrivalsPath = r.GetValue(arrivals),
                Flood = r.GetValue(flood),
                NodeCpus = r.GetValue(nodeCpus)!,
                SensorOnIntake = r.GetValue(sensorOn) switch
                {
                    "intake" => true,
                    "tls" => false,
                    var other => throw new ArgumentException($"--sensor-on: '{other}' is neither intake nor tls"),
                },
                ClientsRealtime = r.GetValue(clients) switch
                {
                    "normal" => false,
                    "realtime" => true,
                    var other => throw new ArgumentException($"--clients: '{other}' is neither normal nor realtime"),
                },
                PictureInProcess = r.GetValue(pictureIn) switch
                {
                    "separate" => false,
                    "same" => true,
                    var other => throw new ArgumentException($"--picture-in: '{other}' is neither separate nor same"),
                },
                Entities = Entities(r.GetValue(entities)),
                PictureNice = r.GetValue(pictureNice) is var n and >= 0 and <= 19 ? n : throw new ArgumentException($"--picture-nice: {r.GetValue(pictureNice)} is not between 0 and 19"),
            }, Console.Out, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    /// <summary>The node's Prometheus endpoint, for what it accepted and dropped.</summary>
    private static Option<string?> MetricsOption() => new("--metrics")
    {
        Description = "The node's /metrics URL (e.g. http://127.0.0.1:8080/metrics): report what it accepted and dropped per second in the window",
    };

    public static Command Mixed()
    {
        var target = TargetOption("HOST:PORT of the server (relay or Kizuna CoT port)");
        var clients = new Option<int>("--clients") { Description = "Calm clients, each sending one position a second and receiving everything", DefaultValueFactory = _ => 99 };
        var interval = TimeOption("--interval", "Time between a calm client's positions", "1s");
        var floodBatch = new Option<int>("--batch") { Description = "Events per write of the flooding publisher", DefaultValueFactory = _ => 8 };
        var noFlood = new Option<bool>("--no-flood") { Description = "The calm clients alone (the baseline)" };
        var duration = TimeOption("--duration", "Measured time, after warmup", "20s");
        var warmup = TimeOption("--warmup", "Sending time before measuring", "3s");
        var eventBytes = EventBytesOption("Event size target");
        var serverPid = ServerPidOption("Report this process's RSS, CPU and threads");
        var metrics = MetricsOption();
        var (tlsOpt, cert, key, ca) = TlsOptions();
        var cmd = new Command("mixed", "One publisher flooding open loop among calm clients that each send one position a second; the calm clients' delivery and latency reported apart from the flood's.")
        {
            target, clients, interval, floodBatch, noFlood, duration, warmup, eventBytes, serverPid, metrics, tlsOpt, cert, key, ca,
        };
        cmd.SetAction(async (r, ct) =>
        {
            using var tls = LoadTls(r, tlsOpt, cert, key, ca);
            var result = await MixedRun.RunAsync(new MixedOptions
            {
                Target = HostPort.Parse(r.GetValue(target)!),
                Clients = r.GetValue(clients),
                Interval = Time(r, interval),
                FloodBatch = r.GetValue(floodBatch),
                Flood = !r.GetValue(noFlood),
                Duration = Time(r, duration),
                Warmup = Time(r, warmup),
                EventBytes = r.GetValue(eventBytes),
                ServerPid = r.GetValue(serverPid),
                MetricsUrl = MetricsUrl(r, metrics),
                Tls = tls,
            }, ct).ConfigureAwait(false);
            Console.WriteLine(result.Describe());
            return 0;
        });
        return cmd;
    }

    /// <summary>Entities per publisher: the event history's indexes and latest table cost per uid, so one uid per publisher understates them.</summary>
    private static Option<int> EntitiesOption() => new("--entities")
    {
        Description = $"Entities (uids) each picture publisher reports in turn, 1-{LoadEvent.MaxEntities} (1 = one uid per publisher; a real picture has thousands, which the node's event history indexes)",
        DefaultValueFactory = _ => 1,
    };

    private static int Entities(int value) => value is >= 1 and <= LoadEvent.MaxEntities
        ? value
        : throw new ArgumentException($"--entities: {value} is not between 1 and {LoadEvent.MaxEntities}");

    public static Command IdleTls()
    {
        var target = TargetOption("HOST:PORT of Kizuna's CoT TLS port");
        var clients = new Option<int>("--clients") { Description = "Idle TLS connections to open", DefaultValueFactory = _ => 2000 };
        var hold = TimeOption("--hold", "How long to hold them before reading the server's RSS", "5s");
        var serverPid = ServerPidOption("The server process whose RSS is read before and after");
        var (_, cert, key, ca) = TlsOptions();
        var cmd = new Command("idle-tls", "Open N idle client-certificate TLS connections and report the server's RSS before and after.")
        {
            target, clients, hold, serverPid, cert, key, ca,
        };
        cmd.SetAction(async (r, ct) =>
        {
            using var tls = ClientTls.Load(Need(r, cert), Need(r, key), Need(r, ca));
            var result = await LoadGen.IdleTls.RunAsync(HostPort.Parse(r.GetValue(target)!), tls, r.GetValue(clients), r.GetValue(serverPid), Time(r, hold), ct).ConfigureAwait(false);
            Console.WriteLine(result.Describe());
            return result.Failed == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static (Option<bool> Tls, Option<string?> Cert, Option<string?> Key, Option<string?> Ca) TlsOptions() =>
    (
        new Option<bool>("--tls") { Description = "Connect with TLS and a client certificate" },
        new Option<string?>("--cert") { Description = "Client certificate (PEM)" },
        new Option<string?>("--key") { Description = "Client private key (PEM)" },
        new Option<string?>("--ca") { Description = "CA certificate (PEM) the server certificate must chain to" }
    );

    private static ClientTls? LoadTls(ParseResult r, Option<bool> tls, Option<string?> cert, Option<string?> key, Option<string?> ca) =>
        r.GetValue(tls) ? ClientTls.Load(Need(r, cert), Need(r, key), Need(r, ca)) : null;

    private static string Need(ParseResult r, Option<string?> option) =>
        r.GetValue(option) ?? throw new ArgumentException($"{option.Name} is required with TLS.");

    /// <summary>The node to start: the one given, or the Release build under the repo root.</summary>
    public static Command Federation()
    {
        var kizuna = KizunaOption();
        var duration = TimeOption("--duration", "Measured time per throughput row", "5s");
        var warmup = TimeOption("--warmup", "Warmup per throughput row", "1s");
        var publishers = new Option<int>("--publishers") { Description = "Publishers on the JJOC node (TLS)", DefaultValueFactory = _ => 2 };
        var subscribers = new Option<int>("--subscribers") { Description = "Subscribers (TLS): on the JJOC node, then on the USFJ node", DefaultValueFactory = _ => 2 };
        var rate = new Option<double>("--rate") { Description = "Total events/s of the paced rows (the saturated rows follow)", DefaultValueFactory = _ => 2000 };
        var window = WindowOption("Saturated rows: events in flight over all publishers");
        var eventBytes = EventBytesOption("Event size target");
        var reports = new Option<int>("--reports") { Description = "Green Pine reports on the Korean node (after 3 unmeasured)", DefaultValueFactory = _ => 40 };
        var interval = TimeOption("--interval", "Time between reports", "100ms");
        var arrive = TimeOption("--arrive-timeout", "How long to wait for what has not arrived, after a row's window or the last report", "5s");
        var nodeCpus = NodeCpusOption("taskset CPU list for the three nodes (\"\" = not pinned); pin the generator itself with `taskset -c 1 dotnet ...`", "0");
        var output = OutOption();
        var cmd = new Command("federation", "Start three linked nodes (JJOC, USFJ hub, ROK-JCS); measure events/s and latency across one link beside one node, and a Korean sensor report to the warning at a Japanese client over two hops beside one node.")
        {
            kizuna, duration, warmup, publishers, subscribers, rate, window, eventBytes, reports, interval, arrive, nodeCpus, output,
        };
        cmd.SetAction(async (r, ct) => await FederationBench.RunAsync(new FederationOptions
        {
            KizunaDll = KizunaDll(r.GetValue(kizuna)),
            Duration = Time(r, duration),
            Warmup = Time(r, warmup),
            Publishers = r.GetValue(publishers),
            Subscribers = r.GetValue(subscribers),
            Rate = r.GetValue(rate),
            Window = r.GetValue(window),
            EventBytes = r.GetValue(eventBytes),
            Reports = r.GetValue(reports),
            Interval = Time(r, interval),
            ArriveTimeout = Time(r, arrive),
            NodeCpus = r.GetValue(nodeCpus)!,
            OutPath = r.GetValue(output),
        }, Console.Out, ct).ConfigureAwait(false));
        return cmd;
    }

    // The options several commands share, each written once.
    private static Option<string> KizunaOption() => new("--kizuna") { Description = "Path to kizuna.dll (default: src/Kizuna.Server/bin/Release/net10.0/kizuna.dll under the repo root)" };

    private static Option<string> TargetOption(string description) => new("--target") { Description = description, Required = true };

    /// <summary>A time span option (10s, 500ms, 1m), read with <see cref="Time"/>.</summary>
    private static Option<string> TimeOption(string name, string description, string fallback) => new(name) { Description = description, DefaultValueFactory = _ => fallback };

    private static TimeSpan Time(ParseResult r, Option<string> option) => Duration.Parse(r.GetValue(option)!);

    private static Option<int> EventBytesOption(string description) => new("--event-bytes") { Description = description, DefaultValueFactory = _ => 400 };

    private static Option<int> WindowOption(string description) => new("--window") { Description = description, DefaultValueFactory = _ => 1000 };

    private static Option<int?> ServerPidOption(string description) => new("--server-pid") { Description = description };

    private static Option<string> NodeCpusOption(string description, string fallback) => new("--node-cpus") { Description = description, DefaultValueFactory = _ => fallback };

    private static Option<string?> OutOption() => new("--out") { Description = "Also write the Markdown report to this file" };

    private static Uri? MetricsUrl(ParseResult r, Option<string?> metrics) => r.GetValue(metrics) is { Length: > 0 } url ? new Uri(url) : null;

    private static string KizunaDll(string? given)
        => Path.GetFullPath(given ?? Path.Combine(LoadGen.Compare.RepoRoot() ?? Environment.CurrentDirectory, "src", "Kizuna.Server", "bin", "Release", "net10.0", "kizuna.dll"));
}
