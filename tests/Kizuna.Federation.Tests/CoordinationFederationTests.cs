using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Audit;
using Kizuna.Core.Coordination;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Kizuna.Federation.Tests.Infrastructure;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Federation.Tests;

/// <summary>
/// Coordination across federation (docs/coordination.md, "Across federation"): JJOC on the
/// Japanese node and USFJ on the US node work one request, each on its own nation's node; the
/// Korean node never holds a JPN–USA request; a partner node that speaks for another nation's
/// organization is refused.
/// </summary>
public sealed class CoordinationFederationTests : IAsyncLifetime
{
    private const string JpnUsa = "CONFIDENTIAL//REL TO USA, JPN";
    private const string JpnUsaKor = "CONFIDENTIAL//REL TO USA, JPN, KOR";
    private static readonly TimeSpan Long = Trilateral.Long;
    private Trilateral _nodes = null!;

    public async Task InitializeAsync() => _nodes = await Trilateral.StartAsync();

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    internal static CoordinationBodyJson Request(string label = JpnUsa)
        => new("USFJ", "Deconflict airspace over the Sea of Japan", "Request a 2-hour window for a JASDF exercise.", "immediate", DateTime.UtcNow.AddHours(1), ["doc:ACO-2026-117"], label);

    internal static async Task<CoordinationRequest> SendAsync(HttpClient http, string label = JpnUsa)
    {
        using var response = await http.PostAsJsonAsync("/api/coordination", Request(label), DeskJsonContext.Default.CoordinationBodyJson);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!;
    }

    internal static async Task<CoordinationRequest> ActAsync(HttpClient http, string id, string action, string? reason = null, string? proposal = null)
    {
        using var response = await http.PostAsJsonAsync($"/api/coordination/{id}/{action}", new TransitionBodyJson(reason, proposal, null), DeskJsonContext.Default.TransitionBodyJson);
        Assert.True(response.IsSuccessStatusCode, $"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!;
    }

    internal static ICoordinationStore Store(TestNode node) => node.Node.Services.GetRequiredService<ICoordinationStore>();

    /// <summary>Waits until the node holds the request with these states in its history, in order.</summary>
    internal static async Task<CoordinationRequest> UntilStatesAsync(TestNode node, string id, params string[] states)
    {
        CoordinationRequest? held = null;
        var what = $"{node.Node.Federation!.Organization}'s node holds {id} as {string.Join(" > ", states)}";
        try
        {
            await Trilateral.UntilAsync(
                () => (held = Store(node).FindAsync(id, CancellationToken.None).GetAwaiter().GetResult()) is { } r && r.History.Select(h => h.State).SequenceEqual(states),
                what);
        }
        catch (Xunit.Sdk.FailException)
        {
            // Say what it holds at the end, not when the wait began.
            Assert.Fail($"Timed out waiting until {what} (it holds {(held is null ? "nothing" : string.Join(" > ", held.History.Select(h => h.State)))})");
        }

        return held!;
    }

    internal static async Task<List<AuditRecord>> AuditAsync(TestNode node)
    {
        var log = node.Node.Services.GetRequiredService<AuditLog>();
        await log.FlushAsync();
        return [.. AuditFile.ReadAll(log.Directory)];
    }

    private static string Answer(string id, string answer, string? note = null)
        => $"""<event version="2.0" uid="GeoChat.usfj-tak.answer.{id}.{answer}" type="b-t-f" how="h-g-i-g-o" time="{CotTime.Format(DateTime.UtcNow)}" start="{CotTime.Format(DateTime.UtcNow)}" stale="{CotTime.Format(DateTime.UtcNow.AddMinutes(5))}" access="CONFIDENTIAL" releasableTo="USA,JPN"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/><detail><__coordination id="{id}" answer="{answer}"{(note is null ? string.Empty : $" note=\"{note}\"")}/></detail></event>""";

    [Fact]
    public async Task A_request_from_JJOC_on_the_Japanese_node_is_received_and_answered_by_USFJ_on_the_US_node_and_JJOC_sees_every_state()
    {
        var us = _nodes.Usfj!;
        using var jjoc = _nodes.Jjoc.CreateHttpsClient(_nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var usfj = us.CreateHttpsClient(us.Issue("usfj-j3", "USFJ"));
        await using var jjocTak = await _nodes.Jjoc.ConnectTlsAsync("jjoc-tak", org: "JJOC");
        await using var usfjTak = await us.ConnectTlsAsync("usfj-tak", org: "USFJ");

        // Sent on Japan's node; USFJ is served by the US node, which records received with its time.
        var sent = await SendAsync(jjoc);
        Assert.Equal(["sent"], sent.History.Select(h => h.State));
        var onUs = await UntilStatesAsync(us, sent.Id, "sent", "received");
        Assert.Equal(sent.Subject, onUs.Subject);
        Assert.Equal(sent.Text, onUs.Text);
        Assert.Equal(sent.Attachments, onUs.Attachments);
        Assert.Equal(JpnUsa, onUs.Label);
        await usfjTak.ExpectAsync(e => e.Detail.Element(CoordinationCot.Element)?.Attribute("state") == CoordinationStates.Received, "the request on USFJ's TAK client");
        await UntilStatesAsync(_nodes.Jjoc, sent.Id, "sent", "received");

        // USFJ acknowledges from its TAK client over CoT and counters over the API, on the US node.
        await usfjTak.SendAsync(Answer(sent.Id, "ack"));
        await UntilStatesAsync(us, sent.Id, "sent", "received", "acknowledged");
        await ActAsync(usfj, sent.Id, "counter", proposal: "One hour, 0200-0300Z");
        var countered = await UntilStatesAsync(_nodes.Jjoc, sent.Id, "sent", "received", "acknowledged", "countered");
        Assert.Equal("One hour, 0200-0300Z", countered.Proposal);
        await jjocTak.ExpectAsync(e => e.Detail.Element(CoordinationCot.Element)?.Attribute("state") == CoordinationStates.Countered, "the counter on JJOC's TAK client");

        // JJOC accepts the counter on its own node; USFJ sees it and completes.
        await ActAsync(jjoc, sent.Id, "accept");
        await UntilStatesAsync(us, sent.Id, "sent", "received", "acknowledged", "countered", "accepted");
        await ActAsync(usfj, sent.Id, "complete");
        var done = await UntilStatesAsync(_nodes.Jjoc, sent.Id, "sent", "received", "acknowledged", "countered", "accepted", "completed");
        Assert.Equal(["jjoc-j3", "node", "usfj-tak", "usfj-j3", "jjoc-j3", "usfj-j3"], done.History.Select(h => h.By));

        // Recorded on both nodes: each node its own acts, and what its partner made, naming the partner node.
        var japan = await AuditAsync(_nodes.Jjoc);
        Assert.Contains(japan, r => r.Act == "coordination.sent" && r.Object == sent.Id && r.Actor == "jjoc-j3");
        Assert.Contains(japan, r => r.Act == "coordination.completed" && r.Object.StartsWith(sent.Id + " (from node ", StringComparison.Ordinal) && r.Actor == "usfj-j3");
        var hub = await AuditAsync(us);
        Assert.Contains(hub, r => r.Act == "coordination.received" && r.Object == sent.Id && r.Actor == "node");
        Assert.Contains(hub, r => r.Act == "coordination.accepted" && r.Object.StartsWith(sent.Id + " (from node ", StringComparison.Ordinal) && r.Actor == "jjoc-j3");
    }

    [Fact]
    public async Task A_KOR_identity_on_the_Korean_node_never_sees_a_JPN_USA_request_while_one_released_to_KOR_is_relayed_there()
    {
        using var jjoc = _nodes.Jjoc.CreateHttpsClient(_nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var rok = _nodes.Rok.CreateHttpsClient(_nodes.Rok.Issue("rok-j3", "ROK-JCS"));
        await using var rokTak = await _nodes.Rok.ConnectTlsAsync("rok-tak", org: "ROK-JCS");

        var hidden = await SendAsync(jjoc);
        await UntilStatesAsync(_nodes.Usfj!, hidden.Id, "sent", "received");
        await UntilStatesAsync(_nodes.Jjoc, hidden.Id, "sent", "received");

        // The control: one released to KOR goes through the hub to Korea's node, with the hub's received.
        var released = await SendAsync(jjoc, JpnUsaKor);
        await UntilStatesAsync(_nodes.Rok, released.Id, "sent", "received");

        // Both went the same way, in order; the JPN–USA one never left the hub for Korea.
        Assert.Null(await Store(_nodes.Rok).FindAsync(hidden.Id, CancellationToken.None));
        using var response = await rok.GetAsync(new Uri($"/api/coordination/{hidden.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(rokTak.Received, e => e.Detail.Element(CoordinationCot.Element)?.Attribute("id") == hidden.Id);
        Assert.True(Trilateral.StatusOf(_nodes.Usfj!, "ROK-JCS").Withheld > 0);
    }

    [Fact]
    public async Task A_transition_the_US_node_forges_for_JJOC_is_refused_and_recorded_and_the_request_goes_on()
    {
        var us = _nodes.Usfj!;
        using var jjoc = _nodes.Jjoc.CreateHttpsClient(_nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var usfj = us.CreateHttpsClient(us.Issue("usfj-j3", "USFJ"));
        var sent = await SendAsync(jjoc);
        var onUs = await UntilStatesAsync(us, sent.Id, "sent", "received");
        await UntilStatesAsync(_nodes.Jjoc, sent.Id, "sent", "received");

        // The US node puts into its history a version in which JJOC withdrew (only JJOC's to make),
        // as a compromised node would; and one in which USFJ completed what it never accepted.
        var labels = us.Node.Labels;
        Assert.True(labels.TryParseBanner(JpnUsa, out var label, out _));
        var router = us.Node.Services.GetRequiredService<EventRouter>();
        var now = DateTime.UtcNow;
        router.Archive(new LabelledEvent(CoordinationCot.ToEvent(onUs.With(CoordinationStates.Withdrawn, "jjoc-j3", "JJOC", now, null), label!, labels, now), label!), null);
        await _nodes.Jjoc.Logs.WaitForAsync(e => e.EventId.Id == 1323 && e.Message.Contains("a node speaks only for its own nation", StringComparison.Ordinal), Long);
        router.Archive(new LabelledEvent(CoordinationCot.ToEvent(onUs.With(CoordinationStates.Completed, "usfj-j3", "USFJ", now, null), label!, labels, now), label!), null);
        await _nodes.Jjoc.Logs.WaitForAsync(e => e.EventId.Id == 1323 && e.Message.Contains("state table", StringComparison.Ordinal), Long);

        var held = await Store(_nodes.Jjoc).FindAsync(sent.Id, CancellationToken.None);
        Assert.Equal(CoordinationStates.Received, held!.State);
        Assert.Equal(2, (await AuditAsync(_nodes.Jjoc)).Count(r => r.Act == AuditActs.CoordinationRefused && r.Object.StartsWith(sent.Id, StringComparison.Ordinal)));

        // The genuine acknowledgement still comes through.
        await ActAsync(usfj, sent.Id, "ack");
        await UntilStatesAsync(_nodes.Jjoc, sent.Id, "sent", "received", "acknowledged");
    }

    [Fact]
    public async Task An_unacknowledged_request_escalates_on_the_Japanese_node_up_Japan_s_chain_only()
    {
        // A separate trilateral: the spokes run on a manual clock this test moves past the reply-by time.
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var nodes = await Trilateral.StartAsync(time: clock);
        using var jjoc = nodes.Jjoc.CreateHttpsClient(nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var response = await jjoc.PostAsJsonAsync(
            "/api/coordination",
            new CoordinationBodyJson("USFJ", "Deconflict airspace", "Request a window.", "flash", clock.GetUtcNow().UtcDateTime.AddMinutes(30), [], JpnUsa),
            DeskJsonContext.Default.CoordinationBodyJson);
        var sent = (await response.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!;
        await UntilStatesAsync(nodes.Jjoc, sent.Id, "sent", "received");

        clock.Advance(TimeSpan.FromMinutes(31));
        await nodes.Jjoc.Node.Services.GetRequiredService<CoordinationDesk>().SweepAsync(CancellationToken.None);

        // The US side (USFJ to INDOPACOM) is the US node's to escalate, on its own clock.
        var escalated = (await Store(nodes.Jjoc).FindAsync(sent.Id, CancellationToken.None))!;
        Assert.Equal([("JJOC", "JPN-MOD")], escalated.Escalations.Select(e => (e.Side, e.Superior)).ToArray());
    }
}
