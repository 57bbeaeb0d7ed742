using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kizuna.Interop.Tests.Infrastructure;

namespace Kizuna.Interop.Tests;

/// <summary>
/// Coordination with a real TAK client (docs/coordination.md, "On TAK clients" and "Answers over
/// CoT"): a request JJOC opens over the API reaches USFJ's node-tak client as GeoChat with
/// <c>__coordination</c>, the client answers it with <c>&lt;__coordination id answer note/&gt;</c>,
/// and the request's state and history change under the client's own identity.
/// </summary>
public sealed class CoordinationInteropTests(KizunaProcess node) : IClassFixture<KizunaProcess>
{
    private const string TakClient = "tak-client.mjs";
    private const string Proposal = "One hour, 0200-0300Z";

    [Fact]
    public async Task A_node_tak_client_of_USFJ_counters_a_request_from_JJOC_over_CoT_and_the_request_records_its_identity()
    {
        // Counted: the request answered (once the pong proves the node read the answer) and the countered version that follows.
        await using var usfj = NodeScript.Start(node.Process, TakClient,
        [
            .. node.TakClientArguments(node.Client("usfj")),
            "--uid", "interop-coordination-usfj", "--callsign", "USFJ J3",
            "--answer-coordination", "counter", "--answer-note", Proposal,
            "--expect-type", "b-t-f", "--expect-count", "2", "--timeout-ms", "45000",
        ]);
        await usfj.WaitForEventAsync("ready");

        using var jjoc = node.CreateHttpsClient(node.Client("alpha"));
        var body = new JsonObject
        {
            ["to"] = "USFJ",
            ["subject"] = "Deconflict airspace over the Sea of Japan",
            ["text"] = "Request a 2-hour window for a JASDF exercise.",
            ["priority"] = "immediate",
            ["replyBy"] = DateTime.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
            ["label"] = "CONFIDENTIAL//REL TO USA, JPN",
        };
        using var created = await jjoc.PostAsync(new Uri("api/coordination", UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;

        var code = await usfj.Process.WaitForExitAsync(NodeScript.NetworkTimeout);
        Assert.True(code == 0, usfj.Process.Failure($"exited with {code}").Message);

        // node-tak read the request as GeoChat in the pair's room, with the request's label and element.
        var request = Assert.Single(usfj.Messages, m => m.Event() == "cot" && m.Str("remarks")?.StartsWith($"[IMMEDIATE] {id} JJOC->USFJ RECEIVED: ", StringComparison.Ordinal) == true);
        Assert.Equal("b-t-f", request.Str("type"));
        Assert.Equal("CONFIDENTIAL", request.Str("access"));
        Assert.Contains("chatroom=\"Coordination JJOC-USFJ\"", request.Str("xml"), StringComparison.Ordinal);
        Assert.Contains($"<__coordination id=\"{id}\"", request.Str("xml"), StringComparison.Ordinal);
        Assert.Contains("Request a 2-hour window for a JASDF exercise.", request.Str("remarks"), StringComparison.Ordinal);
        var answered = Assert.Single(usfj.Messages, m => m.Event() == "answered");
        Assert.Equal(id, answered.Str("id"));

        // The node told the answering client the new state, as it tells both headquarters.
        var countered = Assert.Single(usfj.Messages, m => m.Event() == "cot" && m.Str("remarks")?.StartsWith($"[IMMEDIATE] {id} JJOC->USFJ COUNTERED: ", StringComparison.Ordinal) == true);
        Assert.EndsWith($"Counter-proposal: {Proposal}", countered.Str("remarks"), StringComparison.Ordinal);
        Assert.Contains("by=\"usfj\"", countered.Str("xml"), StringComparison.Ordinal);

        // The request is countered by the client's identity, with its proposal, in the history and the audit trail.
        var held = JsonNode.Parse(await jjoc.GetStringAsync(new Uri($"api/coordination/{id}", UriKind.Relative)))!;
        Assert.Equal("countered", (string?)held["state"]);
        Assert.Equal(Proposal, (string?)held["proposal"]);
        var last = held["history"]!.AsArray()[^1]!;
        Assert.Equal("countered", (string?)last["state"]);
        Assert.Equal("usfj", (string?)last["by"]);
        Assert.Equal("USFJ", (string?)last["byOrganization"]);
        await UntilAuditedAsync(line => line.Contains("\"coordination.countered\"", StringComparison.Ordinal) && line.Contains($"\"{id}\"", StringComparison.Ordinal) && line.Contains("\"usfj\"", StringComparison.Ordinal));
    }

    /// <summary>Waits, bounded, until a line of the node's audit trail matches (the trail writes in batches off the caller's thread).</summary>
    private async Task UntilAuditedAsync(Func<string, bool> match)
    {
        var directory = Path.Combine(node.DataDirectory, "audit");
        using var timeout = new CancellationTokenSource(NodeScript.NetworkTimeout);
        while (!Directory.Exists(directory) || !Directory.EnumerateFiles(directory, "*.jsonl").Any(f => ReadShared(f).Any(match)))
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the audit trail in {directory} never recorded the transition");
            }
        }
    }

    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
