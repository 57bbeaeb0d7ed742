using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kizuna.Core.Identity;

/// <summary>
/// One client certificate the node's CA issued. <paramref name="Certificate"/> is the certificate
/// itself (DER, base64; public, no key): a console sign-in for the holder builds its principal from
/// it exactly as a TLS handshake does. Records written before console sign-in existed have none.
/// </summary>
public sealed record IssuedCertificate(
    string Serial,
    string Name,
    string Nation,
    string Organization,
    string Role,
    string Clearance,
    DateTime IssuedAt,
    DateTime NotAfter,
    string? Certificate = null);

/// <summary>One revoked certificate.</summary>
public sealed record RevokedCertificate(string Serial, string Name, DateTime RevokedAt, string Reason);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<IssuedCertificate>))]
[JsonSerializable(typeof(List<RevokedCertificate>))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

/// <summary>
/// What the node's CA has issued and revoked: <c>certs/issued.json</c> and <c>certs/revoked.json</c>
/// in the data directory. The node rereads the revocation list whenever the file changes, so
/// <c>kizuna certs revoke</c> takes effect at the next handshake without a restart.
/// </summary>
public sealed class CertificateRegistry
{
    private readonly string _issuedPath;
    private readonly string _revokedPath;
    private readonly Lock _gate = new();
    private (DateTime WrittenAt, long Length) _revokedStamp = (DateTime.MinValue, -1);
    private Dictionary<string, RevokedCertificate> _revoked = new(StringComparer.OrdinalIgnoreCase);
    private long _version;
    private ISharedCertificateRecords? _shared;
    private readonly Dictionary<string, RevokedCertificate> _sharedRevoked = new(StringComparer.OrdinalIgnoreCase);

    public CertificateRegistry(string certificateDirectory)
    {
        _issuedPath = Path.Combine(certificateDirectory, "issued.json");
        _revokedPath = Path.Combine(certificateDirectory, "revoked.json");
    }

    public IReadOnlyList<IssuedCertificate> Issued()
    {
        IReadOnlyList<IssuedCertificate> local = File.Exists(_issuedPath)
            ? JsonSerializer.Deserialize(File.ReadAllText(_issuedPath), RegistryJsonContext.Default.ListIssuedCertificate) ?? []
            : [];
        return _shared is { } shared
            ? [.. local.Concat(shared.Issued()).DistinctBy(i => i.Serial, StringComparer.OrdinalIgnoreCase)]
            : local;
    }

    /// <summary>
    /// Scale-out: from now on what is issued and revoked is also recorded in <paramref name="shared"/>,
    /// and its revocations (made through any instance) count here (<see cref="PullShared"/>). What
    /// this data directory recorded before is added to it.
    /// </summary>
    public void ShareWith(ISharedCertificateRecords shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var issued = Issued();
        foreach (var certificate in issued.ExceptBy(shared.Issued().Select(i => i.Serial), i => i.Serial, StringComparer.OrdinalIgnoreCase))
            shared.RecordIssued(certificate);
        shared.Revoke(Revoked());
        _shared = shared;
        PullShared();
    }

    /// <summary>Rereads the shared revocations (a small list that only grows); true when one was added. A failed read keeps the last list.</summary>
    public bool PullShared()
    {
        if (_shared is not { } shared)
            return false;
        IReadOnlyList<RevokedCertificate> revoked;
        try
        {
            revoked = shared.Revoked();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or System.Data.Common.DbException)
        {
            return false;
        }

        // One-way, as revocation is (docs/scale-out.md): a row deleted from the database does not
        // un-revoke here; what is new is added, whatever the list's length.
        lock (_gate)
        {
            var added = false;
            foreach (var r in revoked)
                added |= _sharedRevoked.TryAdd(r.Serial, r);
            if (!added)
                return false;
            _version++;
            return true;
        }
    }

    /// <summary>The record of the certificate with this serial number (hex), if this CA issued it.</summary>
    public IssuedCertificate? IssuedWithSerial(string serial)
        => Issued().FirstOrDefault(i => string.Equals(i.Serial, serial, StringComparison.OrdinalIgnoreCase));

    public void RecordIssued(IssuedCertificate certificate)
    {
        lock (_gate)
        {
            var all = Issued().ToList();
            all.Add(certificate);
            WriteAtomically(_issuedPath, JsonSerializer.Serialize(all, RegistryJsonContext.Default.ListIssuedCertificate));
        }

        _shared?.RecordIssued(certificate);
    }

    public IReadOnlyList<RevokedCertificate> Revoked()
    {
        lock (_gate)
        {
            Refresh();
            return [.. _revoked.Values.Concat(_sharedRevoked.Values).DistinctBy(r => r.Serial, StringComparer.OrdinalIgnoreCase).OrderBy(r => r.RevokedAt)];
        }
    }

    /// <summary>
    /// Rereads the revocation list if its file changed; returns a number that changes whenever
    /// the list did, so a watcher knows when to look at its open connections again.
    /// </summary>
    public long RevocationVersion()
    {
        lock (_gate)
        {
            Refresh();
            return _version;
        }
    }

    /// <summary>The revocation of a serial number (hex, as X509Certificate2.SerialNumber gives it), if revoked.</summary>
    public RevokedCertificate? RevocationOf(string serial)
    {
        lock (_gate)
        {
            Refresh();
            return _revoked.GetValueOrDefault(serial) ?? _sharedRevoked.GetValueOrDefault(serial);
        }
    }

    /// <summary>Adds revocations (already revoked serials are left as they were); returns those newly revoked.</summary>
    public IReadOnlyList<RevokedCertificate> Revoke(IEnumerable<RevokedCertificate> revocations)
    {
        lock (_gate)
        {
            Refresh();
            var added = revocations.Where(r => !_revoked.ContainsKey(r.Serial)).ToList();
            if (_shared is { } shared)
            {
                // Shared first: a revocation that reached the database holds on every instance.
                added = [.. shared.Revoke(added)];
                foreach (var r in added)
                    _sharedRevoked.TryAdd(r.Serial, r);
                _version++;
            }

            if (added.Count > 0)
            {
                var all = _revoked.Values.Concat(added).OrderBy(r => r.RevokedAt).ToList();
                WriteAtomically(_revokedPath, JsonSerializer.Serialize(all, RegistryJsonContext.Default.ListRevokedCertificate));
                _revokedStamp = (DateTime.MinValue, -1);
            }

            return added;
        }
    }

    private void Refresh()
    {
        var info = new FileInfo(_revokedPath);
        var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, 0L);
        if (stamp == _revokedStamp)
        {
            return;
        }

        var list = info.Exists
            ? JsonSerializer.Deserialize(File.ReadAllText(_revokedPath), RegistryJsonContext.Default.ListRevokedCertificate) ?? []
            : [];
        _revoked = list.ToDictionary(r => r.Serial, StringComparer.OrdinalIgnoreCase);
        _revokedStamp = stamp;
        _version++;
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        Storage.PrivateDirectory.WriteAllText(temporary, text + "\n");
        File.Move(temporary, path, overwrite: true);
    }
}
