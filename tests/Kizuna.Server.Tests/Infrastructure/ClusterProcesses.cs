using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>What the tests of instances as real processes (<see cref="NodeProcess"/>) share: data directories, identities, connections.</summary>
internal static class ClusterProcesses
{
    public static Task<CotTestClient> Connect(NodeProcess instance, ClientCertificateFiles files)
        => CotTestClient.ConnectTlsAsync(instance.Endpoint, files.CertificatePem, files.PrivateKeyPem, files.CaCertificatePem);

    public static ClientCertificateFiles Issue(NodeCertificateAuthority authority, LabelPolicy labels, IdentityClaims claims)
    {
        Assert.True(labels.TryCreatePrincipal(claims, out _, out var reason), reason);
        return authority.IssueClient(claims, labels.PolicyId, Path.Combine(Path.GetTempPath(), "kizuna-test-clients-" + Guid.NewGuid().ToString("N"), claims.Name));
    }

    /// <summary>A data directory with its certs directory, private as the node requires.</summary>
    public static string PrivateDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path.Combine(dir, "certs"));
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(Path.Combine(dir, "certs"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return dir;
    }
}
