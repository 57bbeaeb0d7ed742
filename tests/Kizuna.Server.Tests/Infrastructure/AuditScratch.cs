using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A scratch directory for an audit trail and a self-signed key to sign its checkpoints with,
/// as a node's key would; both gone on dispose.
/// </summary>
internal sealed class AuditScratch : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public AuditScratch(string name)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"kizuna-audit-{name}-{Guid.NewGuid():N}");
        var request = new CertificateRequest("CN=test-node", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Signer = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public string Directory { get; }

    public X509Certificate2 Signer { get; }

    public void Dispose()
    {
        Signer.Dispose();
        _key.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
