using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Kizuna.Core.Identity;

/// <summary>
/// One enrollment token as the data directory keeps it: the SHA-256 of the one-time password
/// (hex), never the password, with the identity the certificate will carry.
/// </summary>
public sealed record EnrollmentTokenRecord(
    string Hash, string Name, string Nation, string Organization, string Role, string Clearance,
    IReadOnlyList<string> Authorizations, DateTime IssuedAt, DateTime ExpiresAt, DateTime? UsedAt = null)
{
    public Labels.IdentityClaims Claims => new(Name, Nation, Organization, Role, Clearance, Authorizations);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<EnrollmentTokenRecord>))]
internal sealed partial class EnrollmentTokenJsonContext : JsonSerializerContext;

/// <summary>
/// One-time passwords for TAK certificate enrollment (<c>kizuna certs enroll-token</c> issues, the
/// node's enrollment listener consumes): 20 characters a person can type from a list without
/// look-alikes (about 100 bits), for one user name, valid until they expire, good for one
/// certificate. Kept hashed in <c>enroll-tokens.json</c> (0600) in the data directory; the command
/// and the node are different processes, so every change happens under an exclusive lock on
/// <c>enroll-tokens.lock</c>.
/// </summary>
public sealed class EnrollmentTokens
{
    public const string FileName = "enroll-tokens.json";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
    private const int PasswordLength = 20;

    private readonly LockedJsonFile<EnrollmentTokenRecord> _file;
    private readonly TimeProvider _time;

    public EnrollmentTokens(string dataDir, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        DataDir = Path.GetFullPath(dataDir);
        _file = new LockedJsonFile<EnrollmentTokenRecord>(DataDir, FileName, "enroll-tokens.lock", EnrollmentTokenJsonContext.Default.ListEnrollmentTokenRecord);
        _time = time ?? TimeProvider.System;
    }

    public string DataDir { get; }

    /// <summary>
    /// Issues a one-time password for <paramref name="claims"/> (checked against the profile by the
    /// caller), valid for <paramref name="lifetime"/>. Returns the password; only its hash is kept.
    /// </summary>
    public string Issue(Labels.IdentityClaims claims, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(claims);
        NodeCertificateAuthority.ValidateClientName(claims.Name);
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new ArgumentException($"--valid: a token lasts from a second to {MaxLifetime.TotalDays:0} days");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var password = RandomNumberGenerator.GetString(Alphabet, PasswordLength);
        Update(records =>
        {
            records.Add(new EnrollmentTokenRecord(Hash(claims.Name, password), claims.Name, claims.Nation, claims.Organization,
                claims.Role, claims.Clearance, [.. claims.Authorizations], now, now + lifetime));
            return true;
        });
        return password;
    }

    /// <summary>
    /// Uses a token up: true once for the user name and password of a token that was issued and
    /// has not expired; the record says which identity to issue. <paramref name="reason"/> says why not otherwise.
    /// </summary>
    public bool TryConsume(string name, string password, [NotNullWhen(true)] out EnrollmentTokenRecord? record, [NotNullWhen(false)] out string? reason)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var hash = Encoding.ASCII.GetBytes(Hash(name ?? string.Empty, password ?? string.Empty));
        EnrollmentTokenRecord? found = null;
        string? refusal = null;
        Update(records =>
        {
            var index = records.FindIndex(r => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(r.Hash), hash));
            if (index < 0)
            {
                refusal = "no enrollment token of this node matches that user name and password";
                return false;
            }

            found = records[index];
            if (found.UsedAt is not null)
            {
                refusal = $"the enrollment token of '{found.Name}' was already used at {found.UsedAt:yyyy-MM-dd HH:mm:ss}Z: a token enrolls once";
                return false;
            }

            if (found.ExpiresAt <= now)
            {
                refusal = $"the enrollment token of '{found.Name}' expired at {found.ExpiresAt:yyyy-MM-dd HH:mm:ss}Z";
                return false;
            }

            found = records[index] = found with { UsedAt = now };
            return true;
        });

        reason = refusal;
        record = refusal is null ? found : null;
        return refusal is null;
    }

    /// <summary>The hash kept for a token: SHA-256 over the user name and the password, hex.</summary>
    public static string Hash(string name, string password)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name + "\n" + password)));

    private void Update(Func<List<EnrollmentTokenRecord>, bool> change)
    {
        // Used and expired tokens are kept a day, so a late attempt is told why, not "unknown".
        var now = _time.GetUtcNow().UtcDateTime;
        _file.Update(change, r => r.ExpiresAt + TimeSpan.FromDays(1) < now);
    }
}
