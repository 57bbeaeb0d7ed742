using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Server.WebConsole;

/// <summary>
/// Signed-in browser consoles, in memory only (a restart signs everyone out): a random session id
/// in the <see cref="CookieName"/> cookie names the principal a one-time sign-in token gave. A
/// session ends at sign-out, after <see cref="Lifetime"/>, or when its certificate is revoked or
/// expires; the principal is the certificate's, so every access decision is the same as for it.
/// </summary>
public sealed class ConsoleSessions(NodeCertificateAuthority authority, TimeProvider time)
{
    public const string CookieName = "kizuna_console";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);

    private sealed record Entry(Principal Principal, DateTime ExpiresAt);

    public int Count => _sessions.Count;

    /// <summary>Starts a session for <paramref name="principal"/> (one read from a certificate); returns its id for the cookie.</summary>
    public string Create(Principal principal, DateTime certificateNotAfter)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = time.GetUtcNow().UtcDateTime + Lifetime;
        _sessions[id] = new Entry(principal, expires < certificateNotAfter ? expires : certificateNotAfter);
        return id;
    }

    /// <summary>The principal of a live session; an expired session, or one whose certificate was revoked, ends here.</summary>
    public Principal? Find(string id)
    {
        if (!_sessions.TryGetValue(id, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt <= time.GetUtcNow().UtcDateTime || IsRevoked(entry.Principal))
        {
            _sessions.TryRemove(id, out _);
            return null;
        }

        return entry.Principal;
    }

    public bool End(string id) => _sessions.TryRemove(id, out _);

    /// <summary>Ends every session whose certificate has been revoked; returns the principals whose sessions ended.</summary>
    public IReadOnlyList<Principal> EndRevoked()
    {
        var ended = new List<Principal>();
        foreach (var (id, entry) in _sessions)
        {
            if (IsRevoked(entry.Principal) && _sessions.TryRemove(id, out _))
            {
                ended.Add(entry.Principal);
            }
        }

        return ended;
    }

    private bool IsRevoked(Principal principal)
        => principal.CertificateSerial is not { } serial || authority.Registry.RevocationOf(serial) is not null;

    /// <summary>
    /// A console cookie counts over HTTPS, and over plain HTTP only from this machine (loopback):
    /// plain HTTP from elsewhere could be read or replayed on the way.
    /// </summary>
    public static bool TransportAllowsCookie(HttpContext context)
        => context.Request.IsHttps || (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote));

    /// <summary>
    /// True when the request carries no Origin, or one naming this very scheme, host and port. A
    /// browser sends Origin with every WebSocket handshake and cross-site POST; a page of another
    /// site must not act with the console's cookie (SameSite=Strict already keeps it away; this
    /// holds even where it does not).
    /// </summary>
    public static bool IsSameOrigin(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
               && string.Equals(uri.Scheme, context.Request.Scheme, StringComparison.OrdinalIgnoreCase)
               && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
