using System.Globalization;
using System.Text.Json.Nodes;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// A missile warning between real clients: a report sent with <c>kizuna send</c> from one of the
/// shipped examples reaches the ROK and US headquarters' node-tak clients as a <c>b-w-m-w</c>,
/// each acknowledges it over CoT as a headquarters' client would, and the node's receipts show
/// both acknowledgements.
/// </summary>
public sealed class WarningInteropTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    private const string TakClient = "tak-client.mjs";

    [Fact]
    public async Task A_warning_reaches_node_tak_clients_of_two_allies_and_their_acknowledgements_are_recorded()
    {
        NodeScript Headquarters(string name) => NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client(name)),
            "--uid", $"interop-warning-{name}", "--callsign", $"{name.ToUpperInvariant()} WATCH",
            "--ack-warnings", "--expect-type", "b-w-m-w", "--expect-count", "1",
            "--timeout-ms", "45000",
        ]);

        await using var rok = Headquarters("rok");
        await using var usfj = Headquarters("usfj");
        await Task.WhenAll(rok.WaitForEventAsync("ready"), usfj.WaitForEventAsync("ready"));

        // The Sado radar's sensor feed (JASDF-ADC, role sensor-feed) sends its launch report.
        var example = Path.Combine(InteropPaths.RepositoryRoot, "docs", "examples", "warning", "01-jpn-fps5-launch.xml");
        await using (var send = ChildProcess.Start(
            InteropPaths.DotnetHost,
            [InteropPaths.KizunaDll, "send", example, "--to", $"127.0.0.1:{node.CotTlsPort.ToString(CultureInfo.InvariantCulture)}",
             "--identity", Path.GetDirectoryName(node.Client("sado-feed").CertificatePem)!],
            InteropPaths.RepositoryRoot))
        {
            var sent = await send.WaitForExitAsync(KizunaProcess.StartTimeout);
            Assert.True(sent == 0, send.Failure($"kizuna send exited with {sent}").Message);
        }

        foreach (var client in new[] { rok, usfj })
        {
            var code = await client.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
            Assert.True(code == 0, client.Process.Failure($"exited with {code}").Message);
        }

        // node-tak parsed the warning: its stable uid, the warning element, and not an exercise.
        var warning = Assert.Single(rok.Messages, m => m.Str("event") == "cot" && m.Str("type") == "b-w-m-w");
        Assert.StartsWith("kizuna-warning-", warning.Str("uid"), StringComparison.Ordinal);
        Assert.Contains("<__missileWarning ", warning.Str("xml"), StringComparison.Ordinal);
        Assert.Contains("exercise=\"false\"", warning.Str("xml"), StringComparison.Ordinal);
        var acked = Assert.Single(rok.Messages, m => m.Str("event") == "acked");
        var id = acked.Str("id")!;
        Assert.Equal("1", acked.Str("version"));
        Assert.Equal(id, Assert.Single(usfj.Messages, m => m.Str("event") == "acked").Str("id"));

        // The node read both acknowledgements before it answered the pings: the receipts show them.
        using var https = node.CreateHttpsClient(node.Client("alpha"));
        var versions = JsonNode.Parse(await https.GetStringAsync(new Uri($"api/warnings/{id}", UriKind.Relative)))!.AsArray();
        var receipts = versions.Single(v => (int)v!["version"]! == 1)!["receipts"]!.AsArray();
        foreach (var (recipient, organization) in new[] { ("rok", "ROK-JCS"), ("usfj", "USFJ") })
        {
            var receipt = receipts.Single(r => (string?)r!["recipient"] == recipient)!;
            Assert.Equal(organization, (string?)receipt["organization"]);
            Assert.NotNull((string?)receipt["deliveredAt"]);
            Assert.NotNull((string?)receipt["acknowledgedAt"]);
        }
    }
}
