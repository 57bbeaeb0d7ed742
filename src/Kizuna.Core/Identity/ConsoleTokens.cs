using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Kizuna.Core.Identity;

/// <summary>
/// One sign-in token as its store keeps it: only the SHA-256 of the token (hex), never
/// the token, with the certificate it signs in as and when it expires or was used.
/// </summary>
public sealed record ConsoleTokenRecord(string Hash, string Name, string Serial, DateTime IssuedAt, DateTime ExpiresAt, DateTime? UsedAt = null);

/// <summary>
/// One-time sign-in tokens for the browser console (<c>kizuna console-token</c> issues, the node
/// consumes): 32 random bytes, base64url, valid for <see cref="Lifetime"/>, good for one sign-in,
/// for an identity the node's CA issued and has not revoked. They live in a
/// <see cref="IConsoleTokenStore"/>: <c>console-tokens.json</c> in the data directory
/// (<see cref="FileConsoleTokenStore"/>), or the node's database when its instances share one.
/// </summary>
public sealed class ConsoleTokens
{
    public const string FileName = FileConsoleTokenStore.FileName;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly IConsoleTokenStore _store;
    private readonly CertificateRegistry _registry;
    private readonly TimeProvider _time;

    /// <param name="dataDir">The node's data directory.</param>
    /// <param name="time">The clock (the system's when null).</param>
    /// <param name="store">Where tokens are kept: the data directory's file when null.</param>
    /// <param name="registry">The certificates tokens are issued for: the data directory's when null.</param>
    public ConsoleTokens(string dataDir, TimeProvider? time = null, IConsoleTokenStore? store = null, CertificateRegistry? registry = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        DataDir = Path.GetFullPath(dataDir);
        _store = store ?? new FileConsoleTokenStore(DataDir);
        _registry = registry ?? new CertificateRegistry(Path.Combine(DataDir, "certs"));
        _time = time ?? TimeProvider.System;
    }

    public string DataDir { get; }

    /// <summary>
    /// Issues a token for <paramref name="name"/>: the newest certificate issued to that name that
    /// is neither revoked nor expired. Returns the token (shown once; only its hash is kept).
    /// </summary>
    /// <exception cref="ArgumentException">No such identity, or every certificate of it is revoked or
    /// expired; the message says what to do.</exception>
    public string Issue(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var now = _time.GetUtcNow().UtcDateTime;
        var issued = _registry.Issued().Where(i => string.Equals(i.Name, name, StringComparison.Ordinal)).OrderByDescending(i => i.IssuedAt).ToList();
        if (issued.Count == 0)
        {
            throw new ArgumentException(
                $"no identity '{name}' was issued in the data directory {DataDir}: issue one with `kizuna certs client --name {name} --out DIR` (see `kizuna certs list`), or give the node's --data-dir");
        }

        var usable = issued.Where(i => _registry.RevocationOf(i.Serial) is null && i.NotAfter > now).ToList();
        if (usable.Count == 0)
        {
            var revoked = issued.Select(i => _registry.RevocationOf(i.Serial)).FirstOrDefault(r => r is not null);
            throw new ArgumentException(revoked is not null
                ? $"'{name}' is revoked ({revoked.Reason}, {revoked.RevokedAt:yyyy-MM-dd HH:mm}Z): issue a new certificate with `kizuna certs client --name NAME`"
                : $"every certificate issued to '{name}' has expired: issue a new one with `kizuna certs client --name {name}`");
        }

        var chosen = usable.FirstOrDefault(i => i.Certificate is not null)
            ?? throw new ArgumentException(
                $"the certificate of '{name}' was issued before console sign-in existed and its record lacks the certificate: issue a new one with `kizuna certs client --name {name}`");

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        _store.Add(new ConsoleTokenRecord(Hash(token), chosen.Name, chosen.Serial, now, now + Lifetime), now);
        return token;
    }

    /// <summary>
    /// Uses a token up: true once for a token that was issued and has not expired; the record
    /// names the certificate to sign in as. <paramref name="reason"/> says why not otherwise.
    /// </summary>
    public bool TryConsume(string token, [NotNullWhen(true)] out ConsoleTokenRecord? record, [NotNullWhen(false)] out string? reason)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var found = _store.Use(Hash(token ?? string.Empty), now);
        record = null;
        if (found is null)
        {
            reason = "this sign-in link is not known to this node (a link of another node's data directory, or mistyped)";
            return false;
        }

        if (found.UsedAt is not null)
        {
            reason = "this sign-in link was already used: a link signs in once; run `kizuna console-token` for a new one";
            return false;
        }

        if (found.ExpiresAt <= now)
        {
            reason = $"this sign-in link expired at {found.ExpiresAt:HH:mm:ss}Z (links last {Lifetime.TotalMinutes:0} minutes); run `kizuna console-token` for a new one";
            return false;
        }

        record = found with { UsedAt = now };
        reason = null;
        return true;
    }

    /// <summary>
    /// A record a store may drop: expired tokens are kept a little while so a late click is told
    /// "expired", not "unknown".
    /// </summary>
    public static bool MayForget(ConsoleTokenRecord record, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.ExpiresAt + Lifetime < now;
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
