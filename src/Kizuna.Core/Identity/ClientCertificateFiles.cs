namespace Kizuna.Core.Identity;

/// <summary>
/// The files of one issued client certificate, as <see cref="NodeCertificateAuthority.IssueClient"/>
/// wrote them (full paths).
/// </summary>
/// <param name="CertificatePem">The client certificate, PEM (<c>client.pem</c>).</param>
/// <param name="PrivateKeyPem">Its private key, unencrypted PKCS#8 PEM (<c>client.key</c>, mode 0600 on Unix).</param>
/// <param name="CaCertificatePem">The node CA certificate, PEM (<c>ca.pem</c>), for the client's trust store.</param>
/// <param name="Pkcs12">Certificate, key and CA chain in one PKCS#12 file (<c>client.p12</c>), password
/// <see cref="NodeCertificateAuthority.Pkcs12Password"/> (the empty string).</param>
/// <param name="Serial">The certificate's serial number in hex, as <c>kizuna certs revoke --serial</c> takes it.</param>
public sealed record ClientCertificateFiles(string CertificatePem, string PrivateKeyPem, string CaCertificatePem, string Pkcs12, string Serial);
