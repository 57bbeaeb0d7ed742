namespace Kizuna.Core.Identity;

/// <summary>
/// Where one-time console sign-in tokens are kept (<see cref="ConsoleTokens"/> decides what a
/// token is worth): the data directory's file on a single node (<see cref="FileConsoleTokenStore"/>),
/// the node's database when its instances share one (docs/scale-out.md), so a link issued for any
/// instance signs in on every instance, once. Synchronous: the CLI and a sign-in call it, never a
/// connection's path.
/// </summary>
public interface IConsoleTokenStore
{
    /// <summary>Keeps a new token's record; records expired well before <paramref name="now"/> may go.</summary>
    void Add(ConsoleTokenRecord record, DateTime now);

    /// <summary>
    /// Uses up the token with this hash, atomically against every other user of the store: marks it
    /// used at <paramref name="now"/> when it is unused and has not expired. Returns the record as it
    /// was found (so <c>UsedAt</c> is null only for the one call that used it, and <c>ExpiresAt</c>
    /// says whether it had expired), or null for a hash the store does not know.
    /// </summary>
    ConsoleTokenRecord? Use(string hash, DateTime now);
}
