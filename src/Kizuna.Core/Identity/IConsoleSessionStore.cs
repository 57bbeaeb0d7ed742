namespace Kizuna.Core.Identity;

/// <summary>
/// One signed-in browser console: the SHA-256 (hex) of its cookie's session id, never the id, and
/// the certificate it signed in as (whose principal every access decision is made for).
/// </summary>
public sealed record ConsoleSessionRecord(string Hash, string Serial, string Name, DateTime ExpiresAt);

/// <summary>
/// Where signed-in console sessions are kept: the node's memory on a single node
/// (<see cref="MemoryConsoleSessionStore"/>; a restart signs everyone out), the node's database
/// when its instances share one (docs/scale-out.md), so a browser signed in through one instance
/// is signed in on all of them and a sign-out anywhere ends it everywhere. Asynchronous:
/// <see cref="FindAsync"/> runs for every request a console makes.
/// </summary>
public interface IConsoleSessionStore
{
    /// <summary>Keeps a new session; sessions expired at <paramref name="now"/> may go.</summary>
    Task AddAsync(ConsoleSessionRecord session, DateTime now, CancellationToken cancellationToken);

    /// <summary>The session with this hash while it lasts; null when unknown, ended, or expired at <paramref name="now"/>.</summary>
    Task<ConsoleSessionRecord?> FindAsync(string hash, DateTime now, CancellationToken cancellationToken);

    /// <summary>Ends a session; true when this call ended it.</summary>
    Task<bool> RemoveAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Ends every session signed in as one of these certificates (serials, hex, any case); returns those this call ended.</summary>
    Task<IReadOnlyList<ConsoleSessionRecord>> RemoveSignedInAsAsync(IReadOnlyCollection<string> serials, CancellationToken cancellationToken);
}
