using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Storage.Tests.Identity;

/// <summary>The CA's tests are about certificates, not the alliance: they issue for one fixed identity.</summary>
internal static class Issuing
{
    public static readonly IdentityClaims Claims = new("placeholder", "JPN", "JJOC", "operator", "SECRET", []);

    public static ClientCertificateFiles IssueClient(this NodeCertificateAuthority authority, string name, string outDir)
        => authority.IssueClient(Claims with { Name = name }, "urn:kizuna:policy:us-jpn-kor", outDir);
}
