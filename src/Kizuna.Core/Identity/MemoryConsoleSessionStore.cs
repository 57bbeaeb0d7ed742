using System.Collections.Concurrent;

namespace Kizuna.Core.Identity;

/// <summary>Console sessions in this process's memory: a single node's (a restart signs everyone out).</summary>
public sealed class MemoryConsoleSessionStore : IConsoleSessionStore
{
    private readonly ConcurrentDictionary<string, ConsoleSessionRecord> _sessions = new(StringComparer.Ordinal);

    public Task AddAsync(ConsoleSessionRecord session, DateTime now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var (hash, expired) in _sessions)
        {
            if (expired.ExpiresAt <= now)
                _sessions.TryRemove(new KeyValuePair<string, ConsoleSessionRecord>(hash, expired));
        }

        _sessions[session.Hash] = session;
        return Task.CompletedTask;
    }

    public Task<ConsoleSessionRecord?> FindAsync(string hash, DateTime now, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(hash, out var session))
            return Task.FromResult<ConsoleSessionRecord?>(null);
        if (session.ExpiresAt > now)
            return Task.FromResult<ConsoleSessionRecord?>(session);
        _sessions.TryRemove(new KeyValuePair<string, ConsoleSessionRecord>(hash, session));
        return Task.FromResult<ConsoleSessionRecord?>(null);
    }

    public Task<bool> RemoveAsync(string hash, CancellationToken cancellationToken) => Task.FromResult(_sessions.TryRemove(hash, out _));

    public Task<IReadOnlyList<ConsoleSessionRecord>> RemoveSignedInAsAsync(IReadOnlyCollection<string> serials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serials);
        var revoked = new HashSet<string>(serials, StringComparer.OrdinalIgnoreCase);
        var ended = new List<ConsoleSessionRecord>();
        foreach (var (hash, session) in _sessions)
        {
            if (revoked.Contains(session.Serial) && _sessions.TryRemove(new KeyValuePair<string, ConsoleSessionRecord>(hash, session)))
                ended.Add(session);
        }

        return Task.FromResult<IReadOnlyList<ConsoleSessionRecord>>(ended);
    }
}
