using System.CommandLine;
using System.Runtime.InteropServices;
using Kizuna.Core.Alliance;
using Kizuna.Federation;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary><c>kizuna demo trilateral</c>: what a newcomer runs to see federation work (<see cref="TrilateralDemo"/>).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var demo = new Command("demo", "Demonstrations that run on this machine alone.");
        var trilateral = new Command("trilateral", "Start three linked nodes (JJOC, USFJ as the hub, ROK-JCS) in one data directory, with trust imported and client identities issued, and print how to connect. Ctrl-C stops all three.");
        var dataDir = new Option<string>("--data-dir") { Description = "Directory holding the three nodes' data (a sub-directory each)", DefaultValueFactory = _ => "./demo-data" };
        var basePort = new Option<int>("--base-port")
        {
            Description = $"First port: node i (JJOC, USFJ, ROK-JCS) listens on base + 10 i + 0 http, 1 https, 2 CoT TLS, 3 federation; 0 picks free ports",
            DefaultValueFactory = _ => TrilateralDemo.DefaultBasePort,
        };
        trilateral.Options.Add(dataDir);
        trilateral.Options.Add(basePort);
        trilateral.SetAction(async (parse, cancellationToken) =>
        {
            TrilateralDemo running;
            try
            {
                running = await TrilateralDemo.StartAsync(parse.GetValue(dataDir)!, parse.GetValue(basePort), cancellationToken, PrefixedLogs).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SettingsException or ProfileException or TrustBundleException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("kizuna demo trilateral: cannot start: " + ex.Message).ConfigureAwait(false);
                return 1;
            }

            await using (running.ConfigureAwait(false))
            {
                using var stop = new CancellationTokenSource();
                using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
                try
                {
                    await running.WaitForLinksAsync(TimeSpan.FromSeconds(30)).WaitAsync(stop.Token).ConfigureAwait(false);
                    Console.WriteLine();
                    Console.WriteLine("All three nodes are ready and linked.");
                }
                catch (TimeoutException)
                {
                    Console.WriteLine();
                    Console.WriteLine("The nodes are ready, but not every link came up within 30 s: see the log lines above (4503: refused at the handshake, 4504: dial failed).");
                }
                catch (OperationCanceledException)
                {
                    return 0;
                }

                Console.WriteLine(running.Instructions());
                await Task.WhenAny(running.WaitForShutdownAsync(), Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
                Console.WriteLine("Stopping the three nodes...");
            }

            return 0;
        });
        demo.Subcommands.Add(trilateral);
        return demo;
    }

    /// <summary>Each node's log on the console, its lines marked with its organization.</summary>
    private static void PrefixedLogs(string organization, ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddProvider(new PrefixedConsoleProvider(organization));
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
    }

    private sealed class PrefixedConsoleProvider(string organization) : ILoggerProvider
    {
        private static readonly Lock Gate = new();

        public ILogger CreateLogger(string categoryName) => new Logger(organization);

        public void Dispose()
        {
        }

        private sealed class Logger(string organization) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel))
                {
                    return;
                }

                var level = logLevel switch { LogLevel.Information => "info", LogLevel.Warning => "warn", LogLevel.Error => "fail", LogLevel.Critical => "crit", _ => "dbug" };
                var line = $"{DateTime.UtcNow:HH:mm:ss.fff} [{organization,-7}] {level} {eventId.Id}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}";
                lock (Gate)
                {
                    Console.Out.WriteLine(line);
                }
            }
        }
    }
}
