using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Identity;

/// <summary>
/// Turns a client certificate into a <see cref="Principal"/>: issued by this node's CA, not
/// revoked, carrying a Kizuna identity, and consistent with the alliance profile. TLS handshakes
/// (CoT and HTTPS) call it, so a client that fails any step never gets a session.
/// </summary>
public sealed class ClientAuthenticator(NodeCertificateAuthority authority, LabelPolicy labels)
{
    public bool TryAuthenticate(X509Certificate2 certificate, [NotNullWhen(true)] out Principal? principal, [NotNullWhen(false)] out string? reason)
    {
        principal = null;
        if (!authority.ValidateClient(certificate, out reason))
        {
            return false;
        }

        var name = NodeCertificateAuthority.IdentityOf(certificate);
        if (!IdentityExtension.TryRead(certificate, name, out var claims, out var policy, out reason))
        {
            return false;
        }

        if (!string.Equals(policy, labels.PolicyId, StringComparison.Ordinal))
        {
            reason = $"the certificate is issued under another security policy (this node's is {labels.PolicyId})";
            return false;
        }

        if (!labels.TryCreatePrincipal(claims, out principal, out reason))
        {
            return false;
        }

        principal.CertificateSerial = certificate.SerialNumber;
        return true;
    }
}
