using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Server.WebConsole;

/// <summary>
/// Signed-in browser consoles: a random session id in the <see cref="CookieName"/> cookie names a
/// session of an <see cref="IConsoleSessionStore"/> (by its hash), which names the certificate a
/// one-time sign-in token gave. On a single node the sessions are in memory (a restart signs
/// everyone out); on a scaled-out node they are in its database, so every instance knows them. A
/// session ends at sign-out, after <see cref="Lifetime"/>, or when its certificate is revoked or
/// expires; the principal is the certificate's, read through the same checks as a handshake, so
/// every access decision is the same as for it.
/// </summary>
public sealed class ConsoleSessions(IConsoleSessionStore store, NodeCertificateAuthority authority, ClientAuthenticator authenticator, TimeProvider time)
{
    public const string CookieName = "kizuna_console";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    // Principals read from certificates on this instance, by serial: an instance that did not sign
    // a browser in reads the certificate once, not at every request.
    private readonly ConcurrentDictionary<string, Principal> _principals = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Starts a session for <paramref name="principal"/> (one read from a certificate); returns its id for the cookie.</summary>
    public async Task<string> CreateAsync(Principal principal, DateTime certificateNotAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var serial = principal.CertificateSerial ?? throw new ArgumentException("a console session is signed in as a certificate", nameof(principal));
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow().UtcDateTime;
        var expires = now + Lifetime;
        _principals[serial] = principal;
        await store.AddAsync(new ConsoleSessionRecord(ConsoleTokens.Hash(id), serial, principal.Name, expires < certificateNotAfter ? expires : certificateNotAfter), now, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>The principal of a live session; an expired session, or one whose certificate was revoked, ends here.</summary>
    public async Task<Principal?> FindAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var hash = ConsoleTokens.Hash(id);
        if (await store.FindAsync(hash, time.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false) is not { } session)
        {
            return null;
        }

        if (authority.Registry.RevocationOf(session.Serial) is not null)
        {
            await store.RemoveAsync(hash, cancellationToken).ConfigureAwait(false);
            _principals.TryRemove(session.Serial, out _);
            return null;
        }

        if (_principals.TryGetValue(session.Serial, out var known))
        {
            return known;
        }

        var (principal, _, _) = PrincipalOf(session.Serial, session.Name);
        if (principal is null)
        {
            await store.RemoveAsync(hash, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return _principals.GetOrAdd(session.Serial, principal);
    }

    public Task<bool> EndAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return store.RemoveAsync(ConsoleTokens.Hash(id), cancellationToken);
    }

    /// <summary>Ends every session whose certificate has been revoked; returns the names whose sessions this call ended.</summary>
    public async Task<IReadOnlyList<string>> EndRevokedAsync(CancellationToken cancellationToken)
    {
        var revoked = authority.Registry.Revoked().Select(r => r.Serial).ToList();
        foreach (var serial in revoked)
        {
            _principals.TryRemove(serial, out _);
        }

        var ended = await store.RemoveSignedInAsAsync(revoked, cancellationToken).ConfigureAwait(false);
        return [.. ended.Select(s => s.Name)];
    }

    /// <summary>
    /// The principal of the certificate with this serial, read from the node's record of it through
    /// the same checks as a TLS handshake (CA, validity, revocation, identity, profile), with the
    /// certificate's end; or why not (<paramref name="name"/> names it in the reason).
    /// </summary>
    public (Principal? Principal, DateTime NotAfter, string? Refusal) PrincipalOf(string serial, string name)
    {
        var issued = authority.Registry.IssuedWithSerial(serial);
        try
        {
            using var certificate = issued?.Certificate is { } der ? X509CertificateLoader.LoadCertificate(Convert.FromBase64String(der)) : null;
            if (certificate is null)
            {
                return (null, default, $"the node has no record of the certificate of '{name}'");
            }

            return authenticator.TryAuthenticate(certificate, out var principal, out var refused)
                ? (principal, certificate.NotAfter.ToUniversalTime(), null)
                : (null, default, refused);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return (null, default, $"the node's record of the certificate of '{name}' is unreadable");
        }
    }

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
