using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Identity;

/// <summary>
/// The node's own small certificate authority for development and closed networks: a CA, the
/// node's TLS server certificate, and client certificates it issues for TAK clients, which it
/// then recognises by their subject common name. BCL only.
/// </summary>
/// <remarks>
/// Files live under <c>{dataDir}/certs/</c>: <c>ca.pem</c>, <c>ca.key</c>, <c>server.pem</c>,
/// <c>server.key</c> (keys as unencrypted PKCS#8 PEM, mode 0600 on Unix; the folder 0700).
/// Keys are RSA 2048 with SHA-256 signatures: every TAK client, browser and node.js (OpenSSL)
/// accepts that. Whoever can read <c>ca.key</c> can mint identities for this node: guard the data
/// directory accordingly, and use a real PKI where that matters.
/// </remarks>
public sealed partial class NodeCertificateAuthority : IDisposable
{
    /// <summary>The password of issued <c>client.p12</c> files: the empty string.</summary>
    /// <remarks>
    /// The file sits next to the unencrypted <c>client.key</c>, so a password would protect
    /// nothing and only has to be typed into every client. Encrypt the transfer instead.
    /// </remarks>
    public const string Pkcs12Password = "";

    /// <summary>The CA's subject common name.</summary>
    public const string CaCommonName = "Kizuna Development CA";

    /// <summary>Largest accepted client name, in characters.</summary>
    public const int MaxClientNameLength = 64;

    internal static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3652);
    internal static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(730);

    /// <summary>A server certificate closer than this to its end is replaced at start.</summary>
    internal static readonly TimeSpan ServerRenewBefore = TimeSpan.FromDays(30);

    // Tolerates clients whose clocks run a little behind the node's.
    private static readonly TimeSpan BackdateBy = TimeSpan.FromMinutes(5);
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string CommonNameOid = "2.5.4.3";
    private const int RsaKeySize = 2048;
    private const string ForbiddenNameCharacters = ",=+<>#;\"\\";

    private readonly X509Certificate2 _caSigner;
    private readonly TimeProvider _time;

    private NodeCertificateAuthority(string certificateDirectory, X509Certificate2 caSigner, X509Certificate2 server, bool created, TimeProvider time)
    {
        CertificateDirectory = certificateDirectory;
        _caSigner = caSigner;
        _time = time;
        CaCertificate = X509CertificateLoader.LoadCertificate(caSigner.RawData);
        ServerCertificate = server;
        Created = created;
        Registry = new CertificateRegistry(certificateDirectory);
    }

    /// <summary>The folder holding the CA and server files.</summary>
    public string CertificateDirectory { get; }

    /// <summary>The CA certificate, without its private key: what clients put in their trust store.</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The node's TLS server certificate with its private key, ready for SslStream or Kestrel.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>True when this call created a new CA (and server certificate) rather than loading one.</summary>
    public bool Created { get; }

    /// <summary>
    /// Loads the CA and server certificate from <c>{dataDir}/certs/</c>, creating them on first use.
    /// A missing, foreign or nearly expired server certificate is replaced; the CA is kept.
    /// </summary>
    public static NodeCertificateAuthority LoadOrCreate(string dataDir, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        time ??= TimeProvider.System;
        var directory = Path.GetFullPath(Path.Combine(dataDir, "certs"));
        if (!Directory.Exists(dataDir))
        {
            Storage.PrivateDirectory.Prepare(dataDir, "data-dir");
        }

        CreatePrivateDirectory(directory);

        var caPem = Path.Combine(directory, "ca.pem");
        var caKey = Path.Combine(directory, "ca.key");
        var serverPem = Path.Combine(directory, "server.pem");
        var serverKey = Path.Combine(directory, "server.key");

        var created = !(File.Exists(caPem) && File.Exists(caKey));
        X509Certificate2 caSigner;
        if (created)
        {
            caSigner = CreateCa(time.GetUtcNow());
            WriteCertificateAndKey(caSigner, caPem, caKey);
        }
        else
        {
            caSigner = X509Certificate2.CreateFromPemFile(caPem, caKey);
            if (!IsCa(caSigner))
            {
                caSigner.Dispose();
                throw new InvalidDataException($"{caPem} is not a CA certificate (basic constraints without CA).");
            }
        }

        X509Certificate2? server = null;
        try
        {
            if (!created && File.Exists(serverPem) && File.Exists(serverKey))
            {
                using var loaded = X509Certificate2.CreateFromPemFile(serverPem, serverKey);
                if (IsUsableServerCertificate(loaded, caSigner, time.GetUtcNow()))
                    server = ReimportWithKey(loaded);
            }
            if (server is null)
            {
                using var issued = IssueServer(caSigner, time.GetUtcNow());
                WriteCertificateAndKey(issued, serverPem, serverKey);
                server = ReimportWithKey(issued);
            }
            return new NodeCertificateAuthority(directory, caSigner, server, created, time);
        }
        catch
        {
            server?.Dispose();
            caSigner.Dispose();
            throw;
        }
    }

    /// <summary>What this CA issued and revoked (<c>issued.json</c>, <c>revoked.json</c> beside the CA).</summary>
    public CertificateRegistry Registry { get; }

    /// <summary>
    /// Issues a client certificate for <paramref name="claims"/>: the subject CN is the holder's
    /// name, and the <see cref="IdentityExtension"/> carries nation, organization, role and
    /// clearance under <paramref name="policy"/>. Writes <c>client.pem</c>, <c>client.key</c>,
    /// <c>ca.pem</c> and <c>client.p12</c> into <paramref name="outDir"/>, replacing files of those
    /// names, and records the certificate in the registry. Check the claims against the alliance
    /// profile first (<see cref="Labels.LabelPolicy.TryCreatePrincipal"/>): the CA signs what it is given.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, longer than 64 characters, or has a
    /// control character or one of <c>, = + &lt; &gt; # ; " \</c>.</exception>
    public ClientCertificateFiles IssueClient(Labels.IdentityClaims claims, string policy, string outDir)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ValidateClientName(claims.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        outDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(outDir);

        using var key = RSA.Create(RsaKeySize);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kizuna");
        subject.AddOrganizationalUnitName(claims.Organization);
        subject.AddCommonName(claims.Name);
        var request = NewLeafRequest(subject.Build(), key, _caSigner, ClientAuthOid);
        request.CertificateExtensions.Add(IdentityExtension.Create(claims, policy));
        var (notBefore, notAfter) = LeafValidity(_caSigner, _time.GetUtcNow());
        using var certificate = request.Create(_caSigner, notBefore, notAfter, NewSerialNumber());
        using var withKey = certificate.CopyWithPrivateKey(key);

        var files = new ClientCertificateFiles(
            CertificatePem: Path.Combine(outDir, "client.pem"),
            PrivateKeyPem: Path.Combine(outDir, "client.key"),
            CaCertificatePem: Path.Combine(outDir, "ca.pem"),
            Pkcs12: Path.Combine(outDir, "client.p12"),
            Serial: certificate.SerialNumber);
        WriteCertificateAndKey(withKey, files.CertificatePem, files.PrivateKeyPem);
        WriteFile(files.CaCertificatePem, CaCertificate.ExportCertificatePem() + "\n", secret: false);

        // 3DES/SHA-1 PKCS#12 protection: old but read by every client (ATAK, iTAK, Android
        // keystores, OpenSSL 3 without its legacy provider), unlike RC2 or PBES2 in some of them.
        var chain = new X509Certificate2Collection { withKey, CaCertificate };
        WriteFile(files.Pkcs12, chain.ExportPkcs12(Pkcs12ExportPbeParameters.Pkcs12TripleDesSha1, Pkcs12Password), secret: true);
        Registry.RecordIssued(new IssuedCertificate(
            certificate.SerialNumber, claims.Name, claims.Nation, claims.Organization, claims.Role, claims.Clearance,
            _time.GetUtcNow().UtcDateTime, notAfter.UtcDateTime, Convert.ToBase64String(certificate.RawData)));
        return files;
    }

    /// <summary>
    /// True when <paramref name="certificate"/> was issued by this node's CA (and no other), is
    /// within its validity period now, is meant for client authentication, and names a client.
    /// Otherwise <paramref name="reason"/> says what failed.
    /// </summary>
    public bool ValidateClient(X509Certificate2 certificate, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var now = _time.GetUtcNow().UtcDateTime;

        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        if (now < notBefore)
            return Fail($"the certificate is not valid before {notBefore:O}", out reason);
        if (now > notAfter)
            return Fail($"the certificate expired at {notAfter:O}", out reason);
        if (!HasExtendedKeyUsage(certificate, ClientAuthOid))
            return Fail("the certificate is not issued for client authentication (no clientAuth extended key usage)", out reason);
        if (TryGetCommonName(certificate, out _) is false)
            return Fail("the certificate subject has no single common name to identify the client", out reason);
        if (Registry.RevocationOf(certificate.SerialNumber) is { } revoked)
            return Fail($"the certificate (serial {revoked.Serial}) was revoked at {revoked.RevokedAt:O}: {revoked.Reason}", out reason);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        chain.ChainPolicy.DisableCertificateDownloads = true;

        if (!chain.Build(certificate))
            return Fail(DescribeChainFailure(chain), out reason);

        var root = chain.ChainElements[^1].Certificate;
        if (chain.ChainElements.Count < 2 || !root.RawDataMemory.Span.SequenceEqual(CaCertificate.RawDataMemory.Span))
            return Fail("the certificate is not issued by this node's certificate authority", out reason);

        reason = null;
        return true;
    }

    /// <summary>The identity a certificate names: its subject common name.</summary>
    /// <remarks>
    /// Every certificate that <see cref="ValidateClient"/> accepts has exactly one common name.
    /// For any other certificate (one being logged as refused, say) this falls back to the whole
    /// subject distinguished name rather than throwing; do not grant anything on that value.
    /// </remarks>
    public static string IdentityOf(X509Certificate2 cert)
    {
        ArgumentNullException.ThrowIfNull(cert);
        return TryGetCommonName(cert, out var name) ? name : cert.Subject;
    }

    public void Dispose()
    {
        _caSigner.Dispose();
        CaCertificate.Dispose();
        ServerCertificate.Dispose();
    }

    /// <summary>Throws an <see cref="ArgumentException"/> that says what is wrong with a client name.</summary>
    internal static void ValidateClientName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxClientNameLength)
            throw new ArgumentException($"A client name must be 1 to {MaxClientNameLength} characters long; this one has {name.Length}.", nameof(name));
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c))
                throw new ArgumentException($"A client name must not contain control characters (U+{(int)c:X4} at position {i}).", nameof(name));
            if (ForbiddenNameCharacters.Contains(c, StringComparison.Ordinal))
                throw new ArgumentException($"A client name must not contain any of , = + < > # ; \" \\ ('{c}' at position {i}).", nameof(name));
        }
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw new ArgumentException("A client name must not start or end with white space.", nameof(name));
    }

    private static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = RSA.Create(RsaKeySize);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kizuna");
        subject.AddCommonName(CaCommonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var ca = request.Create(subject.Build(), X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1),
            now - BackdateBy, now + CaLifetime, NewSerialNumber());
        return ca.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 IssueServer(X509Certificate2 caSigner, DateTimeOffset now)
    {
        using var key = RSA.Create(RsaKeySize);
        var host = Dns.GetHostName();
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kizuna");
        subject.AddCommonName(string.IsNullOrWhiteSpace(host) ? "localhost" : host);
        var request = NewLeafRequest(subject.Build(), key, caSigner, ServerAuthOid);

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        if (!string.IsNullOrWhiteSpace(host) && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                names.AddDnsName(host);
            }
            catch (ArgumentException)
            {
                // A host name that is not a valid DNS name cannot be a SAN; localhost and the IPs remain.
            }
        }
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());

        var (notBefore, notAfter) = LeafValidity(caSigner, now);
        using var certificate = request.Create(caSigner, notBefore, notAfter, NewSerialNumber());
        return certificate.CopyWithPrivateKey(key);
    }

    private static CertificateRequest NewLeafRequest(X500DistinguishedName subject, RSA key, X509Certificate2 caSigner, string usageOid)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            caSigner, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        return request;
    }

    /// <summary>Two years from now, backdated a little, and never outside the CA's own validity.</summary>
    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) LeafValidity(X509Certificate2 caSigner, DateTimeOffset now)
    {
        var caNotAfter = new DateTimeOffset(caSigner.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = now + LeafLifetime;
        if (notAfter > caNotAfter)
            notAfter = caNotAfter;
        if (notAfter <= now)
            throw new InvalidOperationException($"The node CA expired at {caNotAfter:O}; delete the certs folder to create a new one.");
        var caNotBefore = new DateTimeOffset(caSigner.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = now - BackdateBy;
        return (notBefore < caNotBefore ? caNotBefore : notBefore, notAfter);
    }

    private static bool IsUsableServerCertificate(X509Certificate2 server, X509Certificate2 caSigner, DateTimeOffset now)
    {
        if (!server.HasPrivateKey || !HasExtendedKeyUsage(server, ServerAuthOid))
            return false;
        if (server.NotAfter.ToUniversalTime() - now.UtcDateTime < ServerRenewBefore || server.NotBefore.ToUniversalTime() > now.UtcDateTime)
            return false;

        using var ca = X509CertificateLoader.LoadCertificate(caSigner.RawData);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain.Build(server);
    }

    private static bool IsCa(X509Certificate2 certificate)
        => certificate.HasPrivateKey
           && certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static bool HasExtendedKeyUsage(X509Certificate2 certificate, string oid)
        => certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(u => string.Equals(u.Value, oid, StringComparison.Ordinal)));

    private static bool TryGetCommonName(X509Certificate2 certificate, [NotNullWhen(true)] out string? commonName)
    {
        commonName = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements || !string.Equals(rdn.GetSingleElementType().Value, CommonNameOid, StringComparison.Ordinal))
                continue;
            if (commonName is not null)
                return false;
            commonName = rdn.GetSingleElementValue();
        }
        return !string.IsNullOrEmpty(commonName);
    }

    private static string DescribeChainFailure(X509Chain chain)
    {
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & (X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.NotSignatureValid)) != 0)
            return $"the certificate is not issued by this node's certificate authority ({flags})";
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            return $"the certificate or its issuer is outside its validity period ({flags})";
        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
            return $"the certificate chain is not valid for client authentication ({flags})";
        return $"the certificate chain does not build ({flags})";
    }

    private static bool Fail(string message, out string reason)
    {
        reason = message;
        return false;
    }

    /// <summary>
    /// A certificate with a freshly generated key can be unusable for TLS on some platforms until
    /// it goes through PKCS#12; the round trip gives SslStream and Kestrel a key they accept.
    /// </summary>
    private static X509Certificate2 ReimportWithKey(X509Certificate2 certificate)
        => X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);

    /// <summary>Positive, 127 random bits, never zero.</summary>
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    private static void WriteCertificateAndKey(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        using var key = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("The certificate has no RSA private key.");
        WriteFile(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        WriteFile(certificatePath, certificate.ExportCertificatePem() + "\n", secret: false);
    }

    private static void WriteFile(string path, string text, bool secret)
        => WriteFile(path, System.Text.Encoding.ASCII.GetBytes(text), secret);

    /// <summary>Writes to a temporary file and renames it over the target, so a crash never leaves half a file.</summary>
    private static void WriteFile(string path, byte[] content, bool secret)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Keys and certificates alike: the node's data directory is its owner's alone, and
            // the files handed to a client are for that client's operator only.
            options.UnixCreateMode = Storage.PrivateDirectory.FileMode;
        }
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
            return;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
