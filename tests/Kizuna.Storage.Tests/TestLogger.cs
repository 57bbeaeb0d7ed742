using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Tests;

/// <summary>Keeps every log entry so a test can assert that nothing went wrong quietly.</summary>
internal sealed class TestLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public IEnumerable<string> AtLeast(LogLevel level)
        => Entries.Where(e => e.Level >= level).Select(e => $"{e.Level} {e.EventId.Name}: {e.Message}");
}
