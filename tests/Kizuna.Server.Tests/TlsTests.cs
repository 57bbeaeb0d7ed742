using System.Net.Http.Json;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

public sealed class TlsTests
{
    [Fact]
    public async Task A_tls_client_with_an_issued_certificate_is_identified_by_its_subject()
    {
        await using var node = await TestNode.StartAsync();
        await using var alpha = await node.ConnectTlsAsync("JJOC-watch-officer");
        await using var bravo = await node.ConnectTlsAsync("USFJ-watch-officer", org: "USFJ");

        await alpha.SendAsync(CotText.Labelled("tls-alpha", "ALPHA", "CONFIDENTIAL", "USA,JPN"));
        await bravo.ExpectUidAsync("tls-alpha");

        await node.Node.Store.FlushAsync(CancellationToken.None);
        using var http = node.CreateHttpsClient(node.Issue("JJOC-reader"));
        var events = await http.GetFromJsonAsync("/api/events?uid=tls-alpha", ApiJsonContext.Default.ListEventJson);
        Assert.Equal("JJOC-watch-officer", Assert.Single(events!).Sender);
    }

    [Fact]
    public async Task A_tls_client_without_a_certificate_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        node.ErrorsExpected = true;
        var ca = node.Node.CertificateAuthority.CaCertificate;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await CotTestClient.ConnectTlsAsync(node.CotTls, null, ca);
        });
    }

    [Fact]
    public async Task A_tls_client_with_a_certificate_from_another_ca_is_refused_with_a_logged_reason()
    {
        await using var node = await TestNode.StartAsync();
        node.ErrorsExpected = true;
        using var foreign = SelfSigned("CN=impostor");
        var ca = node.Node.CertificateAuthority.CaCertificate;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await CotTestClient.ConnectTlsAsync(node.CotTls, foreign, ca);
        });
        var refusal = await node.Logs.WaitForAsync(e => e.EventId.Id == 4004, TestNode.Timeout);
        Assert.Contains("impostor", refusal.Message, StringComparison.Ordinal);
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
