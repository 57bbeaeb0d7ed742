using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Identity;

namespace Kizuna.Storage.Tests.Identity;

public sealed class NodeCertificateAuthorityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kizuna-identity-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var d in _disposables)
            d.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public void Creating_then_reloading_gives_the_same_CA_and_server_certificate()
    {
        var first = Load("node");
        var second = Load("node");

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.CaCertificate.Thumbprint, second.CaCertificate.Thumbprint);
        Assert.Equal(first.ServerCertificate.Thumbprint, second.ServerCertificate.Thumbprint);
    }

    [Fact]
    public void The_CA_is_a_ten_year_RSA_certificate_authority_for_signing_certificates()
    {
        var ca = Load("node").CaCertificate;

        Assert.Equal("Kizuna Development CA", NodeCertificateAuthority.IdentityOf(ca));
        Assert.True(Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages);
        Assert.Equal(2048, ca.GetRSAPublicKey()!.KeySize);
        Assert.Equal("1.2.840.113549.1.1.11", ca.SignatureAlgorithm.Value);   // sha256WithRSAEncryption
        Assert.InRange((ca.NotAfter - ca.NotBefore).TotalDays, 3650, 3660);
        Assert.False(ca.HasPrivateKey);   // the signing key stays inside
    }

    [Fact]
    public void The_node_keeps_its_files_in_the_certs_folder_with_private_keys_readable_by_the_owner_only()
    {
        var authority = Load("node");

        var certs = Path.Combine(_root, "node", "certs");
        Assert.Equal(certs, authority.CertificateDirectory);
        Assert.Equal(["ca.key", "ca.pem", "server.key", "server.pem"],
            Directory.GetFiles(certs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(Path.Combine(certs, "ca.key")), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(Path.Combine(certs, "ca.pem")), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "ca.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "server.key")));
        }
    }

    [Fact]
    public void The_server_certificate_names_localhost_the_host_and_both_loopback_addresses()
    {
        var server = Load("node").ServerCertificate;

        var names = Assert.Single(server.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        var dns = names.EnumerateDnsNames().ToList();
        Assert.Contains("localhost", dns);
        if (Uri.CheckHostName(Dns.GetHostName()) == UriHostNameType.Dns)
            Assert.Contains(Dns.GetHostName(), dns);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        var usage = Assert.Single(server.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.True(server.HasPrivateKey);
        Assert.InRange((server.NotAfter - server.NotBefore).TotalDays, 729, 731);
    }

    [Fact]
    public void A_missing_server_certificate_is_reissued_by_the_same_CA()
    {
        var first = Load("node");
        File.Delete(Path.Combine(_root, "node", "certs", "server.pem"));

        var second = Load("node");

        Assert.False(second.Created);
        Assert.Equal(first.CaCertificate.Thumbprint, second.CaCertificate.Thumbprint);
        Assert.NotEqual(first.ServerCertificate.Thumbprint, second.ServerCertificate.Thumbprint);
        Assert.Equal(second.CaCertificate.Subject, second.ServerCertificate.Issuer);
    }

    [Fact]
    public void Issuing_a_client_writes_pem_key_ca_and_pkcs12_files()
    {
        var authority = Load("node");
        var outDir = Path.Combine(_root, "out", "alice");

        var files = authority.IssueClient("alice", outDir);

        Assert.Equal(Path.Combine(outDir, "client.pem"), files.CertificatePem);
        Assert.Equal(Path.Combine(outDir, "client.key"), files.PrivateKeyPem);
        Assert.Equal(Path.Combine(outDir, "ca.pem"), files.CaCertificatePem);
        Assert.Equal(Path.Combine(outDir, "client.p12"), files.Pkcs12);
        Assert.Equal(["ca.pem", "client.key", "client.p12", "client.pem"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(files.PrivateKeyPem), StringComparison.Ordinal);
        using var ca = LoadPem(files.CaCertificatePem);
        Assert.Equal(authority.CaCertificate.Thumbprint, ca.Thumbprint);

        var fromPem = Track(X509Certificate2.CreateFromPemFile(files.CertificatePem, files.PrivateKeyPem));
        Assert.True(fromPem.HasPrivateKey);
        var chain = X509CertificateLoader.LoadPkcs12CollectionFromFile(files.Pkcs12, NodeCertificateAuthority.Pkcs12Password);
        Assert.Equal(2, chain.Count);
        Assert.Contains(chain, c => c.Thumbprint == fromPem.Thumbprint && c.HasPrivateKey);
        Assert.Contains(chain, c => c.Thumbprint == authority.CaCertificate.Thumbprint && !c.HasPrivateKey);
        Assert.Equal("", NodeCertificateAuthority.Pkcs12Password);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.PrivateKeyPem));
    }

    [Fact]
    public void An_issued_client_certificate_validates_and_names_the_client()
    {
        var authority = Load("node");
        var files = authority.IssueClient("Alpha 1-2", Path.Combine(_root, "out"));
        var client = Track(X509CertificateLoader.LoadPkcs12FromFile(files.Pkcs12, NodeCertificateAuthority.Pkcs12Password));

        Assert.True(authority.ValidateClient(client, out var reason), reason);
        Assert.Null(reason);
        Assert.Equal("Alpha 1-2", NodeCertificateAuthority.IdentityOf(client));
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], Assert.Single(client.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.Equal(2048, client.GetRSAPublicKey()!.KeySize);
    }

    [Fact]
    public void A_client_issued_before_a_restart_still_validates()
    {
        var files = Load("node").IssueClient("alice", Path.Combine(_root, "out"));
        var reloaded = Load("node");

        using var client = LoadPem(files.CertificatePem);
        Assert.True(reloaded.ValidateClient(client, out var reason), reason);
    }

    [Fact]
    public void Two_clients_get_different_random_serial_numbers()
    {
        var authority = Load("node");
        using var a = LoadPem(authority.IssueClient("a", Path.Combine(_root, "a")).CertificatePem);
        using var b = LoadPem(authority.IssueClient("b", Path.Combine(_root, "b")).CertificatePem);

        Assert.NotEqual(a.SerialNumber, b.SerialNumber);
        Assert.Equal(16, a.SerialNumberBytes.Length);
    }

    [Fact]
    public void A_certificate_from_another_CA_does_not_validate_even_with_the_same_CA_name()
    {
        var ours = Load("ours");
        var theirs = Load("theirs");
        var files = theirs.IssueClient("mallory", Path.Combine(_root, "out"));
        using var foreign = LoadPem(files.CertificatePem);
        Assert.Equal(ours.CaCertificate.Subject, foreign.Issuer);

        Assert.False(ours.ValidateClient(foreign, out var reason));
        Assert.Contains("not issued by this node's certificate authority", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_client_certificate_does_not_validate()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var authority = Load("node", clock);
        using var client = LoadPem(authority.IssueClient("alice", Path.Combine(_root, "out")).CertificatePem);

        clock.Advance(TimeSpan.FromDays(731));

        Assert.False(authority.ValidateClient(client, out var reason));
        Assert.Contains("expired", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_not_yet_valid_does_not_validate()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow.AddDays(1));
        var authority = Load("node", clock);
        using var client = LoadPem(authority.IssueClient("alice", Path.Combine(_root, "out")).CertificatePem);

        clock.Advance(TimeSpan.FromDays(-1));

        Assert.False(authority.ValidateClient(client, out var reason));
        Assert.Contains("not valid before", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_without_a_common_name_does_not_validate_and_its_identity_falls_back_to_the_subject()
    {
        var authority = Load("node");
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new CertificateRequest("O=Nobody", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")], false));
        using var nameless = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        Assert.False(authority.ValidateClient(nameless, out var reason));
        Assert.Contains("common name", reason, StringComparison.Ordinal);
        Assert.Equal("O=Nobody", NodeCertificateAuthority.IdentityOf(nameless));
    }

    [Fact]
    public void The_server_certificate_does_not_validate_as_a_client()
    {
        var authority = Load("node");

        Assert.False(authority.ValidateClient(authority.ServerCertificate, out var reason));
        Assert.Contains("client authentication", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a,b")]
    [InlineData("CN=x")]
    [InlineData("a+b")]
    [InlineData("<a>")]
    [InlineData("#1")]
    [InlineData("a;b")]
    [InlineData("say \"hi\"")]
    [InlineData("a\\b")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData(" padded")]
    public void A_client_name_that_cannot_be_a_plain_common_name_is_refused(string name)
    {
        var authority = Load("node");

        var error = Assert.Throws<ArgumentException>(() => authority.IssueClient(name, Path.Combine(_root, "out")));
        Assert.Equal("name", error.ParamName);
        Assert.StartsWith("A client name must", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }

    [Fact]
    public void A_client_name_of_sixty_five_characters_is_refused_and_sixty_four_is_accepted()
    {
        var authority = Load("node");

        Assert.Throws<ArgumentException>(() => authority.IssueClient(new string('x', 65), Path.Combine(_root, "out")));
        var files = authority.IssueClient(new string('x', 64), Path.Combine(_root, "out"));
        using var client = LoadPem(files.CertificatePem);
        Assert.Equal(new string('x', 64), NodeCertificateAuthority.IdentityOf(client));
    }

    [Fact]
    public async Task A_TLS_handshake_with_a_required_client_certificate_accepts_an_issued_client()
    {
        var authority = Load("node");
        var files = authority.IssueClient("alice", Path.Combine(_root, "out"));
        var client = Track(X509CertificateLoader.LoadPkcs12FromFile(files.Pkcs12, NodeCertificateAuthority.Pkcs12Password));

        var result = await TlsLoopback.HandshakeAsync(authority, client);

        Assert.True(result.ServerAccepted, result.ServerReason);
        Assert.Equal("alice", result.ClientIdentity);
        Assert.True(result.ClientExchangedData);
    }

    [Fact]
    public async Task A_TLS_handshake_with_a_required_client_certificate_refuses_a_foreign_client()
    {
        var authority = Load("node");
        var files = Load("elsewhere").IssueClient("mallory", Path.Combine(_root, "out"));
        var client = Track(X509CertificateLoader.LoadPkcs12FromFile(files.Pkcs12, NodeCertificateAuthority.Pkcs12Password));

        var result = await TlsLoopback.HandshakeAsync(authority, client);

        Assert.False(result.ServerAccepted);
        Assert.Contains("not issued by this node's certificate authority", result.ServerReason, StringComparison.Ordinal);
        Assert.Null(result.ClientIdentity);
        Assert.False(result.ClientExchangedData);
    }

    private static X509Certificate2 LoadPem(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    private NodeCertificateAuthority Load(string node, TimeProvider? time = null)
        => Track(NodeCertificateAuthority.LoadOrCreate(Path.Combine(_root, node), time));

    private T Track<T>(T disposable) where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }
}
