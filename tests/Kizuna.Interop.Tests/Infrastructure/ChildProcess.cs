using System.Diagnostics;
using System.Text;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>
/// A process started by a test: stdout lines are kept and can be awaited (bounded, never by
/// sleeping); stderr is kept for failure messages. Disposing stops it: SIGTERM first, then a kill.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly List<Waiter> _waiters = [];
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>More to say in failure messages, e.g. the log of the node this script talks to.</summary>
    public Func<string>? FailureContext { get; set; }

    /// <summary>The last <paramref name="count"/> stdout lines, one per line.</summary>
    public string Tail(int count)
    {
        var stdout = StandardOutputLines;
        return string.Join(Environment.NewLine, stdout.Skip(Math.Max(0, stdout.Count - count)));
    }

    /// <summary>The command line, for messages.</summary>
    public string Description { get; }

    public int Id => _process.Id;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> StandardOutputLines
    {
        get { lock (_gate) { return [.. _stdout]; } }
    }

    public string StandardError
    {
        get { lock (_gate) { return _stderr.ToString(); } }
    }

    /// <summary>The exit code, once the process has exited and its output has been read to the end.</summary>
    public Task<int> Exited => _exited.Task;

    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        bool redirectStandardInput = false,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStandardInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (redirectStandardInput)
        {
            info.StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }
        }

        var description = $"{fileName} {string.Join(' ', info.ArgumentList)}";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, description);
        process.OutputDataReceived += (_, e) => child.OnStandardOutput(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnStandardError(e.Data);
        process.Exited += (_, _) => child.OnExited();
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {description}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Writes one line to the child's stdin.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await _process.StandardInput.WriteAsync(line.AsMemory(), cancellationToken);
        await _process.StandardInput.WriteAsync("\n".AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

    /// <summary>Closes the child's stdin (end of input).</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

    /// <summary>
    /// The first stdout line (already seen or still to come) that matches; fails when the
    /// process exits first or the timeout passes.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        Waiter waiter;
        lock (_gate)
        {
            foreach (var line in _stdout)
            {
                if (match(line))
                {
                    return line;
                }
            }

            if (_exited.Task.IsCompleted)
            {
                throw Failure($"exited with code {_exited.Task.Result} before {what}");
            }

            waiter = new Waiter(match);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Line.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw Failure($"no {what} within {timeout.TotalSeconds:0} s");
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Waits for the process to exit (bounded) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            return await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw Failure($"did not exit within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>An exception that carries the command line and the tail of both outputs.</summary>
    public Exception Failure(string message)
    {
        var stderr = StandardError;
        if (stderr.Length > 6000)
        {
            stderr = "..." + stderr[^6000..];
        }

        return new InteropFailureException(
            $"{Description}: {message}.{Environment.NewLine}--- stdout ---{Environment.NewLine}" +
            $"{Tail(60)}{Environment.NewLine}--- stderr ---{Environment.NewLine}{stderr}" +
            (FailureContext is { } context ? Environment.NewLine + context() : string.Empty));
    }

    /// <summary>SIGTERM and a bounded wait for a graceful stop, then kill the whole tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_exited.Task.IsCompleted)
        {
            return;
        }

        try
        {
            if (!OperatingSystem.IsWindows())
            {
                using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
                {
                    UseShellExecute = false,
                    RedirectStandardError = true,
                });
                if (term is not null)
                {
                    await term.WaitForExitAsync().WaitAsync(grace);
                }

                await _exited.Task.WaitAsync(grace);
                return;
            }
        }
        catch (TimeoutException)
        {
            // Fall through to the kill.
        }
        catch (InvalidOperationException)
        {
            return; // Already gone.
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        try
        {
            await _exited.Task.WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            // Nothing more can be done; the OS reaps it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private void OnStandardOutput(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }

        List<Waiter> matched = [];
        lock (_gate)
        {
            _stdout.Add(line);
            foreach (var waiter in _waiters)
            {
                if (waiter.Match(line))
                {
                    matched.Add(waiter);
                }
            }

            foreach (var waiter in matched)
            {
                _waiters.Remove(waiter);
            }
        }

        foreach (var waiter in matched)
        {
            waiter.Line.TrySetResult(line);
        }
    }

    private void OnStandardError(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }

        lock (_gate)
        {
            _stderr.AppendLine(line);
        }
    }

    private void OnExited()
    {
        // Exited fires before the redirected streams are drained; wait for both (bounded),
        // so a waiter never misses the last lines.
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // A grandchild may hold the pipes open; report what there is.
            }

            int code;
            try
            {
                code = _process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                code = -1;
            }

            List<Waiter> orphans;
            lock (_gate)
            {
                _exited.TrySetResult(code);
                orphans = [.. _waiters];
                _waiters.Clear();
            }

            foreach (var waiter in orphans)
            {
                waiter.Line.TrySetException(Failure($"exited with code {code} before the awaited line"));
            }
        });
    }

    private sealed class Waiter(Func<string, bool> match)
    {
        public Func<string, bool> Match { get; } = match;
        public TaskCompletionSource<string> Line { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>An interop step failed; the message carries the child's output.</summary>
public sealed class InteropFailureException(string message) : Exception(message);
