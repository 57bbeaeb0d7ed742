using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Identity;

/// <summary>
/// Issuing for TAK clients that onboard themselves: a certificate for a public key taken from a
/// certificate signing request (enrollment), and a certificate with its key in memory (connection
/// data packages). Either way the subject and the identity extension come from the claims the
/// operator approved, never from the request.
/// </summary>
public sealed partial class NodeCertificateAuthority
{
    /// <summary>Largest accepted certificate signing request, DER bytes.</summary>
    public const int MaxSigningRequestBytes = 16 * 1024;

    /// <summary>
    /// Reads a PKCS#10 signing request: base64 DER, with or without PEM armour (ATAK sends it bare,
    /// node-tak armoured). Checks its self-signature, and that its key is RSA of at least 2048 bits
    /// or EC P-256/P-384. Only its public key is ever used.
    /// </summary>
    public static bool TryReadSigningRequest(string text, [NotNullWhen(true)] out PublicKey? publicKey, [NotNullWhen(false)] out string? reason)
    {
        publicKey = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "the body holds no certificate signing request (expected a base64 PKCS#10 CSR)";
            return false;
        }

        var body = text.Trim();
        if (body.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            var lines = body.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            body = string.Concat(lines.Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
        }

        byte[] der;
        try
        {
            der = Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            reason = "the certificate signing request is not base64";
            return false;
        }

        if (der.Length is 0 or > MaxSigningRequestBytes)
        {
            reason = $"the certificate signing request must be 1 to {MaxSigningRequestBytes} bytes; this one has {der.Length}";
            return false;
        }

        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException ex)
        {
            reason = $"the certificate signing request cannot be read or its signature does not verify ({ex.Message})";
            return false;
        }

        var key = request.PublicKey;
        using (var rsa = key.GetRSAPublicKey())
        using (var ec = key.GetECDsaPublicKey())
        {
            if (rsa is not null && rsa.KeySize < RsaKeySize)
            {
                reason = $"the certificate signing request's RSA key has {rsa.KeySize} bits; at least {RsaKeySize} are required";
                return false;
            }

            if (rsa is null && (ec is null || ec.KeySize < 256))
            {
                reason = "the certificate signing request's key is neither RSA (2048 bits or more) nor EC (P-256 or larger)";
                return false;
            }
        }

        publicKey = key;
        reason = null;
        return true;
    }

    /// <summary>
    /// Issues a client certificate for <paramref name="claims"/> over <paramref name="publicKey"/>
    /// (from a signing request): the same subject and identity extension as
    /// <see cref="IssueClient"/>, recorded in the registry. Check the claims against the profile first.
    /// </summary>
    public X509Certificate2 IssueClientForKey(Labels.IdentityClaims claims, string policy, PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(publicKey);
        ValidateClientName(claims.Name);
        var request = new CertificateRequest(ClientSubject(claims), publicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, _caSigner, ClientAuthOid);
        request.CertificateExtensions.Add(IdentityExtension.Create(claims, policy));
        var (notBefore, notAfter) = LeafValidity(_caSigner, _time.GetUtcNow());
        var certificate = request.Create(_caSigner, notBefore, notAfter, NewSerialNumber());
        Record(claims, certificate, notAfter);
        return certificate;
    }

    /// <summary>
    /// Issues a client certificate with a new key, kept in memory (for a connection data package):
    /// the certificate carries its private key. Recorded in the registry like every other.
    /// </summary>
    public X509Certificate2 IssueClientWithKey(Labels.IdentityClaims claims, string policy)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ValidateClientName(claims.Name);
        using var key = RSA.Create(RsaKeySize);
        var request = NewLeafRequest(ClientSubject(claims), key, _caSigner, ClientAuthOid);
        request.CertificateExtensions.Add(IdentityExtension.Create(claims, policy));
        var (notBefore, notAfter) = LeafValidity(_caSigner, _time.GetUtcNow());
        using var certificate = request.Create(_caSigner, notBefore, notAfter, NewSerialNumber());
        Record(claims, certificate, notAfter);
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A PKCS#12 file with <paramref name="password"/>: the certificate, its key and the CA (or the CA
    /// alone when <paramref name="certificate"/> is null, a trust store). 3DES/SHA-1, which every TAK client reads.
    /// </summary>
    public byte[] ExportPkcs12(X509Certificate2? certificate, string password)
    {
        var collection = new X509Certificate2Collection();
        if (certificate is not null)
        {
            collection.Add(certificate);
        }

        collection.Add(CaCertificate);
        return collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pkcs12TripleDesSha1, password);
    }

    private static X500DistinguishedName ClientSubject(Labels.IdentityClaims claims)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kizuna");
        subject.AddOrganizationalUnitName(claims.Organization);
        subject.AddCommonName(claims.Name);
        return subject.Build();
    }

    private static void AddLeafExtensions(CertificateRequest request, X509Certificate2 caSigner, string usageOid)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            caSigner, includeKeyIdentifier: true, includeIssuerAndSerial: false));
    }

    private void Record(Labels.IdentityClaims claims, X509Certificate2 certificate, DateTimeOffset notAfter)
        => Registry.RecordIssued(new IssuedCertificate(
            certificate.SerialNumber, claims.Name, claims.Nation, claims.Organization, claims.Role, claims.Clearance,
            _time.GetUtcNow().UtcDateTime, notAfter.UtcDateTime, Convert.ToBase64String(certificate.RawData)));
}
