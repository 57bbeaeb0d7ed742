using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// TAK certificate enrollment driven by @tak-ps/node-tak's own API client (<c>Credentials.generate()</c>:
/// the certificate config, a CSR made with openssl, HTTP Basic with the one-time password) against a
/// real node; then node-tak's stream client connects over TLS with the enrolled certificate.
/// </summary>
public sealed class EnrollmentInteropTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    [Fact]
    public async Task Node_tak_enrolls_with_a_one_time_password_and_then_sends_cot_over_tls_with_the_enrolled_certificate()
    {
        var identity = new ClientIdentity("USFJ", "USA", "CONFIDENTIAL", "liaison");
        var password = await node.IssueEnrollmentTokenAsync("usfj-enrolled", identity);
        var outDir = Path.Combine(node.DataDirectory, "enrolled");
        var enrollUrl = $"https://127.0.0.1:{node.EnrollPort.ToString(CultureInfo.InvariantCulture)}";

        var enrolled = await NodeScript.RunAsync(node.Process, "enroll.mjs", [],
            "--url", enrollUrl, "--username", "usfj-enrolled", "--password", password, "--ca", node.CaPem, "--out", outDir);
        Assert.True(enrolled.ExitCode == 0, enrolled.Process.Failure($"enroll.mjs exited with {enrolled.ExitCode}").Message);
        var config = Assert.Single(enrolled.Messages, m => m.Str("event") == "config");
        Assert.Equal("Kizuna", config.Str("organization"));
        var result = Assert.Single(enrolled.Messages, m => m.Str("event") == "enrolled");

        // The certificate names the token's identity, whatever node-tak's CSR asked.
        using var certificate = X509Certificate2.CreateFromPemFile(result.Str("cert")!, result.Str("key")!);
        Assert.Contains("CN=usfj-enrolled", certificate.Subject, StringComparison.Ordinal);
        Assert.Contains("OU=USFJ", certificate.Subject, StringComparison.Ordinal);

        // The same password does not enroll twice.
        var again = await NodeScript.RunAsync(node.Process, "enroll.mjs", [],
            "--url", enrollUrl, "--username", "usfj-enrolled", "--password", password, "--ca", node.CaPem, "--out", outDir + "-again");
        Assert.Equal(3, again.ExitCode);
        Assert.Equal(401, Assert.Single(again.Messages, m => m.Str("event") == "refused").Num("status"));

        // An American reader (node-tak too) is connected and accepted before the enrolled client sends.
        await using var reader = NodeScript.Start(node.Process, "tak-client.mjs",
        [
            .. node.TakClientArguments(node.Client("usfj")),
            "--uid", "interop-enrolled-reader", "--callsign", "USFJ READER", "--send", "0",
            "--expect-uid", "interop-enrolled-usfj", "--expect-count", "1", "--timeout-ms", "45000",
        ]);
        await reader.WaitForEventAsync("ready");

        // node-tak's stream client connects with the enrolled certificate and sends an event.
        await using var client = NodeScript.Start(node.Process, "tak-client.mjs",
        [
            "--host", "127.0.0.1", "--port", node.CotTlsPort.ToString(CultureInfo.InvariantCulture),
            "--cert", result.Str("cert")!, "--key", result.Str("key")!, "--ca", result.Str("ca")!,
            "--uid", "interop-enrolled-usfj", "--callsign", "USFJ ENROLLED", "--send", "1", "--expect-count", "0",
            "--timeout-ms", "30000",
        ]);
        var code = await client.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(code == 0, client.Process.Failure($"tak-client.mjs exited with {code}").Message);
        Assert.Contains(client.Messages, m => m.Str("event") == "sent" && m.Str("uid") == "interop-enrolled-usfj");

        var readerCode = await reader.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(readerCode == 0, reader.Process.Failure($"the reader exited with {readerCode}").Message);
        var received = Assert.Single(reader.Messages, m => m.Str("event") == "cot" && m.Str("uid") == "interop-enrolled-usfj");
        Assert.Equal("USFJ ENROLLED", received.Str("callsign"));
    }
}
