using System.Collections.Concurrent;
using System.Diagnostics;

namespace Kizuna.LoadGen;

/// <summary>
/// A server the harness starts (the relay or a Kizuna node): its output goes to a log file, it is
/// ready when a line containing the ready text appears, and it is killed with its whole process
/// tree when disposed, when the harness exits, or on Ctrl-C.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter _log;
    private readonly string _readyText;
    private readonly ConcurrentQueue<string> _tail = new();

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process, string readyText, string logPath)
    {
        Name = name;
        _process = process;
        _readyText = readyText;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string readyText, string logPath, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, readyText, logPath);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child._ready.TrySetException(new InvalidOperationException($"{name} exited before it was ready; see {logPath}:\n{child.Tail()}"));
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name}.");
        }

        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not print '{_readyText}' within {timeout.TotalSeconds:F0} s; see {LogPath}:\n{Tail()}");
        }
    }

    public string Tail() => string.Join('\n', _tail);

    private readonly List<(string Text, int Count, TaskCompletionSource Found)> _lineWaiters = [];
    private readonly Dictionary<string, int> _lineCounts = new(StringComparer.Ordinal);

    /// <summary>Starts counting lines containing <paramref name="text"/> (call right after <see cref="Start"/>).</summary>
    public void Watch(string text)
    {
        lock (_lineWaiters)
        {
            _lineCounts.TryAdd(text, 0);
        }
    }

    /// <summary>Waits until <paramref name="count"/> lines containing <paramref name="text"/> were printed (counted from <see cref="Watch"/>, or from this call).</summary>
    public async Task WaitForLineAsync(string text, int count, TimeSpan timeout, CancellationToken ct)
    {
        Task found;
        lock (_lineWaiters)
        {
            if (_lineCounts.GetValueOrDefault(text) >= count)
            {
                return;
            }

            var waiter = (text, count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _lineWaiters.Add(waiter);
            _lineCounts.TryAdd(text, 0);
            found = waiter.Item3.Task;
        }

        try
        {
            await found.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not print '{text}' {count} time(s) within {timeout.TotalSeconds:F0} s; see {LogPath}:\n{Tail()}");
        }
    }

    /// <summary>Runs a short command to completion (for example the certificate tool) within a timeout.</summary>
    public static async Task<string> RunToEndAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        Live[process.Id] = process;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).WaitAsync(timeout, ct).ConfigureAwait(false);
            string output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'{fileName} {string.Join(' ', info.ArgumentList)}' exited with {process.ExitCode}:\n{output}");
            }

            return output;
        }
        finally
        {
            Kill(process);
            Live.TryRemove(process.Id, out _);
        }
    }

    /// <summary>Waits for the process to end by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await _process.WaitForExitAsync(ct).WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not end within {timeout.TotalSeconds:F0} s; see {LogPath}:\n{Tail()}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill(_process);
        Live.TryRemove(_process.Id, out _);
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _tail.Enqueue(line);
        while (_tail.Count > 20)
        {
            _tail.TryDequeue(out _);
        }

        if (line.Contains(_readyText, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        lock (_lineWaiters)
        {
            foreach (var text in _lineCounts.Keys.ToList())
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    _lineCounts[text]++;
                }
            }

            foreach (var waiter in _lineWaiters.Where(w => _lineCounts[w.Text] >= w.Count).ToList())
            {
                waiter.Found.TrySetResult();
                _lineWaiters.Remove(waiter);
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private static void KillAll()
    {
        foreach (var p in Live.Values)
        {
            Kill(p);
        }
    }
}
