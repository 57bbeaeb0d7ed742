using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Tests.Infrastructure;

public sealed record LogEntry(LogLevel Level, EventId EventId, string Category, string Message);

/// <summary>Collects every log entry of an in-process node, so a test can assert on reasons and fail on unexpected errors.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<(Func<LogEntry, bool> Match, int Count, TaskCompletionSource<LogEntry> Found)> _waiters = [];
    private readonly Lock _gate = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes with the first entry (already logged or still to come) that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan timeout) => WaitForAsync(match, 1, timeout);

    /// <summary>Completes with the <paramref name="count"/>-th entry that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, int count, TimeSpan timeout)
    {
        lock (_gate)
        {
            var existing = _entries.Where(match).Skip(count - 1).FirstOrDefault();
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }

            var found = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, count, found));
            return found.Task.WaitAsync(timeout);
        }
    }

    private void Add(LogEntry entry)
    {
        lock (_gate)
        {
            _entries.Enqueue(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry) && _entries.Count(w.Match) >= w.Count).ToList())
            {
                waiter.Found.TrySetResult(entry);
                _waiters.Remove(waiter);
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new LogEntry(logLevel, eventId, category, formatter(state, exception)));
    }
}
