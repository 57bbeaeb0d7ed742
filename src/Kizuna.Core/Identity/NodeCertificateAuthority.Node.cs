using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Identity;

/// <summary>The node certificate: what this node presents on federation links, both as TLS server and as client.</summary>
public sealed partial class NodeCertificateAuthority
{
    /// <summary>
    /// This node's id: <c>kizuna-</c> and the first 16 hex digits of the SHA-256 of its CA
    /// certificate. Bound to the CA, so it survives a change of hosting organization or a renewed
    /// node certificate, and two nodes never share one unless they share a CA.
    /// </summary>
    public string NodeId => "kizuna-" + Convert.ToHexStringLower(SHA256.HashData(CaCertificate.RawData))[..16];

    /// <summary>
    /// Loads <c>node.pem</c>/<c>node.key</c> beside the CA, issuing a new node certificate when
    /// there is none, it names other claims (the hosting organization changed), or it is within
    /// 30 days of its end. The caller disposes it.
    /// </summary>
    public X509Certificate2 LoadOrIssueNodeCertificate(string policy, string organization, string nation)
    {
        var claims = new NodeClaims(policy, NodeId, organization, nation);
        var pem = Path.Combine(CertificateDirectory, "node.pem");
        var key = Path.Combine(CertificateDirectory, "node.key");
        var now = _time.GetUtcNow();
        if (File.Exists(pem) && File.Exists(key))
        {
            using var loaded = X509Certificate2.CreateFromPemFile(pem, key);
            if (NodeExtension.TryRead(loaded, out var held, out _) && held == claims
                && loaded.NotAfter.ToUniversalTime() - now.UtcDateTime >= ServerRenewBefore
                && IsUsableServerCertificate(loaded, _caSigner, now))
            {
                return ReimportWithKey(loaded);
            }
        }

        using var issued = IssueNode(claims, now);
        WriteCertificateAndKey(issued, pem, key);
        return ReimportWithKey(issued);
    }

    private X509Certificate2 IssueNode(NodeClaims claims, DateTimeOffset now)
    {
        using var key = RSA.Create(RsaKeySize);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kizuna");
        subject.AddOrganizationalUnitName(claims.Organization);
        subject.AddCommonName(claims.NodeId);
        var request = NewLeafRequest(subject.Build(), key, _caSigner, ServerAuthOid);

        // A link is mutual TLS and either end may dial: the node certificate serves both roles.
        request.CertificateExtensions.Remove(request.CertificateExtensions.OfType<X509EnhancedKeyUsageExtension>().Single());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid), new Oid(ClientAuthOid)], critical: false));
        request.CertificateExtensions.Add(NodeExtension.Create(claims));

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        var host = Dns.GetHostName();
        if (!string.IsNullOrWhiteSpace(host) && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                names.AddDnsName(host);
            }
            catch (ArgumentException)
            {
                // Not a valid DNS name: localhost and the loopback addresses remain.
            }
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());

        var (notBefore, notAfter) = LeafValidity(_caSigner, now);
        using var certificate = request.Create(_caSigner, notBefore, notAfter, NewSerialNumber());
        return certificate.CopyWithPrivateKey(key);
    }
}
