using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Alliance;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;

namespace Kizuna.Federation.Tests;

/// <summary>Nodes on disk in a temporary folder, each with its own CA.</summary>
internal sealed class TestNodes : IDisposable
{
    public static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());

    private readonly List<NodeCertificateAuthority> _authorities = [];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "kizuna-fed-" + Guid.NewGuid().ToString("N"));

    public (NodeCertificateAuthority Authority, X509Certificate2 NodeCertificate, string DataDir) Node(string name, string organization)
    {
        var dataDir = Path.Combine(Root, name);
        var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
        _authorities.Add(authority);
        var nation = Labels.Profile.FindOrganization(organization)!.Nation;
        return (authority, authority.LoadOrIssueNodeCertificate(Labels.PolicyId, organization, nation), dataDir);
    }

    public static FederationTrust TrustOf(string dataDir, string organization) => new(Labels.Profile, organization, new FederationPartners(dataDir));

    public void Dispose()
    {
        foreach (var authority in _authorities)
        {
            authority.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }
}

public sealed class TrustTests : IDisposable
{
    private readonly TestNodes _nodes = new();

    public void Dispose() => _nodes.Dispose();

    [Fact]
    public void A_bundle_round_trips_through_its_json_and_names_the_node_certificate_by_its_sha256()
    {
        var (authority, certificate, _) = _nodes.Node("usfj", "USFJ");
        var bundle = TrustBundle.Of(authority, certificate, "USFJ");
        var read = TrustBundle.Parse(bundle.ToJson(), "usfj.json");
        Assert.Equal(bundle, read);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), read.NodeCertificateSha256);
        Assert.StartsWith("kizuna-", read.NodeId, StringComparison.Ordinal);
        Assert.Contains("\"format\": \"kizuna-federation-trust-bundle\"", bundle.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_bundle_is_refused_with_what_is_wrong()
    {
        var ex = Assert.Throws<TrustBundleException>(() => TrustBundle.Parse("""{"format": "something-else"}""", "x.json"));
        Assert.Contains("not a trust bundle", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_imported_bundle_is_stored_privately_and_the_partner_node_is_trusted()
    {
        var (usfj, usfjCertificate, _) = _nodes.Node("usfj", "USFJ");
        var (jjoc, _, jjocDir) = _nodes.Node("jjoc", "JJOC");
        var partners = new FederationPartners(jjocDir);
        var stored = partners.Import(TrustBundle.Of(usfj, usfjCertificate, "USFJ"), TestNodes.Labels.Profile, "JJOC", jjoc.NodeId);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stored));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(partners.Directory));
        }

        var trust = TestNodes.TrustOf(jjocDir, "JJOC");
        Assert.True(trust.TryAuthenticate(usfjCertificate, asServer: false, out var peer, out var reason), reason);
        Assert.Equal(usfj.NodeId, peer.NodeId);
        Assert.Equal("USFJ", peer.Organization);
        Assert.Equal("USA", peer.Nation);
        Assert.Equal(TrustBundle.Fingerprint(usfjCertificate), peer.Fingerprint);
        Assert.Equal("SECRET", peer.Link.MaxClassification);
        Assert.True(trust.TryAuthenticate(usfjCertificate, asServer: true, out _, out _));
    }

    [Fact]
    public void A_bundle_of_an_organization_the_profile_does_not_link_with_is_refused_helpfully()
    {
        var (kor, korCertificate, _) = _nodes.Node("kor", "ROK-JCS");
        var (jjoc, _, jjocDir) = _nodes.Node("jjoc", "JJOC");
        var ex = Assert.Throws<TrustBundleException>(() =>
            new FederationPartners(jjocDir).Import(TrustBundle.Of(kor, korCertificate, "ROK-JCS"), TestNodes.Labels.Profile, "JJOC", jjoc.NodeId));
        Assert.Contains("no federation link between JJOC (this node) and ROK-JCS", ex.Message, StringComparison.Ordinal);
        Assert.Contains("may link only with USFJ, INDOPACOM", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(new FederationPartners(jjocDir).Directory) && Directory.EnumerateFiles(new FederationPartners(jjocDir).Directory).Any());
    }

    [Fact]
    public void A_node_whose_bundle_was_not_imported_is_refused()
    {
        var (_, usfjCertificate, _) = _nodes.Node("usfj", "USFJ");
        var (_, _, jjocDir) = _nodes.Node("jjoc", "JJOC");
        Assert.False(TestNodes.TrustOf(jjocDir, "JJOC").TryAuthenticate(usfjCertificate, asServer: false, out _, out var reason));
        Assert.Contains("no trust bundle is imported", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_certificate_from_another_CA_claiming_a_trusted_node_id_is_refused()
    {
        var (usfj, usfjCertificate, _) = _nodes.Node("usfj", "USFJ");
        var (jjoc, _, jjocDir) = _nodes.Node("jjoc", "JJOC");
        new FederationPartners(jjocDir).Import(TrustBundle.Of(usfj, usfjCertificate, "USFJ"), TestNodes.Labels.Profile, "JJOC", jjoc.NodeId);

        // A forger's CA signs a certificate with the same subject and node extension.
        using var forgerKey = RSA.Create(2048);
        var forgerCa = new CertificateRequest("CN=Forger CA", forgerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        forgerCa.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = forgerCa.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var leafKey = RSA.Create(2048);
        var leaf = new CertificateRequest(usfjCertificate.SubjectName, leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leaf.CertificateExtensions.Add(usfjCertificate.Extensions[NodeExtension.Oid]!);
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var forged = leaf.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [1, 2, 3, 4]);

        Assert.False(TestNodes.TrustOf(jjocDir, "JJOC").TryAuthenticate(forged, asServer: false, out _, out var reason));
        Assert.Contains("does not chain to the CA in the partner's imported bundle", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partner_CA_vouches_for_its_node_only_never_for_its_clients_here()
    {
        var (usfj, usfjCertificate, usfjDir) = _nodes.Node("usfj", "USFJ");
        var (jjoc, jjocCertificate, jjocDir) = _nodes.Node("jjoc", "JJOC");
        new FederationPartners(jjocDir).Import(TrustBundle.Of(usfj, usfjCertificate, "USFJ"), TestNodes.Labels.Profile, "JJOC", jjoc.NodeId);
        var files = usfj.IssueClient(new IdentityClaims("usfj-watch", "USA", "USFJ", "operator", "SECRET", []), TestNodes.Labels.PolicyId, Path.Combine(usfjDir, "client"));
        using var usfjClient = X509Certificate2.CreateFromPemFile(files.CertificatePem, files.PrivateKeyPem);

        // The partner's client certificate is no node certificate: not a federate.
        Assert.False(TestNodes.TrustOf(jjocDir, "JJOC").TryAuthenticate(usfjClient, asServer: false, out _, out var reason));
        Assert.Contains("not a Kizuna node certificate", reason, StringComparison.Ordinal);

        // And this node's client authenticator, which trusts only this node's CA, refuses both of the partner's certificates.
        var authenticator = new ClientAuthenticator(jjoc, TestNodes.Labels);
        Assert.False(authenticator.TryAuthenticate(usfjClient, out _, out var clientReason));
        Assert.Contains("not issued by this node's certificate authority", clientReason, StringComparison.Ordinal);
        Assert.False(authenticator.TryAuthenticate(usfjCertificate, out _, out _));

        // Nor does a node certificate pass for a client on its own node: it carries no client identity.
        Assert.False(authenticator.TryAuthenticate(jjocCertificate, out _, out var ownReason));
        Assert.Contains("no Kizuna identity", ownReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trusted_partner_on_a_link_the_profile_forbids_is_refused()
    {
        var (kor, korCertificate, _) = _nodes.Node("kor", "ROK-JCS");
        var (_, _, jjocDir) = _nodes.Node("jjoc", "JJOC");
        // As if the file had been copied in by hand, past `federation trust`.
        var directory = new FederationPartners(jjocDir).Directory;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, kor.NodeId + ".json"), TrustBundle.Of(kor, korCertificate, "ROK-JCS").ToJson());

        Assert.False(TestNodes.TrustOf(jjocDir, "JJOC").TryAuthenticate(korCertificate, asServer: false, out _, out var reason));
        Assert.Contains("allows no federation link between JJOC (this node) and ROK-JCS", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_node_certificate_is_kept_across_loads_and_reissued_when_the_hosting_organization_changes()
    {
        var (authority, first, _) = _nodes.Node("n", "USFJ");
        using var again = authority.LoadOrIssueNodeCertificate(TestNodes.Labels.PolicyId, "USFJ", "USA");
        Assert.Equal(first.Thumbprint, again.Thumbprint);
        using var moved = authority.LoadOrIssueNodeCertificate(TestNodes.Labels.PolicyId, "INDOPACOM", "USA");
        Assert.NotEqual(first.Thumbprint, moved.Thumbprint);
        Assert.True(NodeExtension.TryRead(moved, out var claims, out _));
        Assert.Equal(new NodeClaims(TestNodes.Labels.PolicyId, authority.NodeId, "INDOPACOM", "USA"), claims);
    }
}
