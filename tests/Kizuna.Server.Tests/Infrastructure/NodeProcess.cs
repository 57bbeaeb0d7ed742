using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A node as a real process (<c>dotnet src/Kizuna.Server/bin/{configuration}/{tfm}/kizuna.dll serve</c>)
/// with one listener on a free port (the federation hub, a cluster member's CoT TLS), so a test can
/// kill it with SIGKILL (<see cref="Kill"/>) and start it again on the same data directory. Linked
/// into the Federation tests too.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    /// <summary>The listeners a test may give the node; every other one is off.</summary>
    private static readonly string[] Listeners = ["--federation", "--cot-tls", "--cot-tcp", "--http", "--https"];

    private NodeProcess(Process process, IPEndPoint endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>Where the one listener listens.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>What the process wrote last, for the message of a failed test.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(60));
            }
        }
    }

    /// <param name="listener">The one listener, on a free loopback port: <c>--federation</c> or <c>--cot-tls</c>.</param>
    public static async Task<NodeProcess> StartAsync(string dataDir, string organization, string listener, params string[] settings)
    {
        if (!Listeners.Contains(listener, StringComparer.Ordinal))
        {
            throw new ArgumentOutOfRangeException(nameof(listener), listener, "one of " + string.Join(", ", Listeners));
        }

        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { KizunaDll(), "serve", "--data-dir", dataDir, "--node-org", organization, listener, $"127.0.0.1:{port}" }
                     .Concat(Listeners.Where(l => l != listener && l != "--federation").SelectMany(l => new[] { l, string.Empty }))
                     .Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var node = new NodeProcess(process, new IPEndPoint(IPAddress.Loopback, port));
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (node._output)
            {
                node._output.Add(e.Data);
            }

            if (e.Data.Contains("Node ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Task.WhenAny(ready.Task, process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
        }

        if (!ready.Task.IsCompleted)
        {
            await node.DisposeAsync();
            Assert.Fail("The node process did not become ready: " + node.Output);
        }

        return node;
    }

    /// <summary>Whether the process wrote a line containing <paramref name="text"/>.</summary>
    public bool Wrote(string text)
    {
        lock (_output)
        {
            return _output.Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>SIGKILL (<c>kill -9</c>): no shutdown, nothing flushed, no cursor saved, no lease given up.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as an operator's <c>systemctl stop</c>: the node stops in order (queues and storage flushed); waits until it has exited.</summary>
    public async Task StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>The node's own build beside this test's (same configuration and target framework).</summary>
    private static string KizunaDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var configuration = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
        {
            dir = dir.Parent;
        }

        var dll = Path.Combine(dir!.FullName, "src", "Kizuna.Server", "bin", configuration, tfm, "kizuna.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the node first (dotnet build src/Kizuna.Server -c " + configuration + ")", dll);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
