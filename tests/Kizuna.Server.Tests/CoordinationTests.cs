using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Audit;
using Kizuna.Core.Coordination;
using Kizuna.Core.Identity;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Server.Tests;

/// <summary>
/// Coordination between headquarters over the API on a real node: every transition by the
/// right organization, each refusal (wrong organization, no relationship, label beyond
/// clearance or not released to the addressee), a KOR identity that never sees a JPN–USA
/// request, GeoChat CoT to the two headquarters' clients, and escalation up both national
/// chains on the node's clock.
/// </summary>
public sealed class CoordinationTests
{
    private const string JpnUsa = "CONFIDENTIAL//REL TO USA, JPN";

    private static CoordinationBodyJson Request(string to = "USFJ", string label = JpnUsa, DateTime? replyBy = null, string priority = "immediate")
        => new(to, "Deconflict airspace over the Sea of Japan", "Request a 2-hour window for a JASDF exercise.", priority, replyBy ?? DateTime.UtcNow.AddHours(1), ["doc:ACO-2026-117"], label);

    private static async Task<(HttpStatusCode Status, CoordinationRequest? Request, RefusalJson? Refusal)> PostAsync(HttpClient http, string path, object? body = null)
    {
        using var response = body switch
        {
            CoordinationBodyJson request => await http.PostAsJsonAsync(path, request, DeskJsonContext.Default.CoordinationBodyJson),
            TransitionBodyJson transition => await http.PostAsJsonAsync(path, transition, DeskJsonContext.Default.TransitionBodyJson),
            _ => await http.PostAsync(path, null),
        };
        return response.IsSuccessStatusCode
            ? (response.StatusCode, await response.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest), null)
            : (response.StatusCode, null, await response.Content.ReadFromJsonAsync(DeskJsonContext.Default.RefusalJson));
    }

    private static string[] States(CoordinationRequest request) => [.. request.History.Select(h => h.State)];

    [Fact]
    public async Task A_request_from_JJOC_to_its_counterpart_USFJ_goes_through_acknowledge_counter_accept_and_complete_each_by_the_right_organization()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var usfj = node.CreateHttpsClient(node.Issue("usfj-j3", "USFJ"));

        var (status, sent, _) = await PostAsync(jjoc, "/api/coordination", Request());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(CoordinationStates.Received, sent!.State);
        Assert.Equal(CoordinationRelations.Counterparts, sent.Relationship);
        Assert.Equal(JpnUsa, sent.Label);
        Assert.Equal(["sent", "received"], States(sent));
        var path = $"/api/coordination/{sent.Id}";

        // The sender may not acknowledge its own request; the addressee may.
        var (wrong, _, refusal) = await PostAsync(jjoc, path + "/ack");
        Assert.Equal(HttpStatusCode.Forbidden, wrong);
        Assert.Equal(nameof(CoordinationRefusal.WrongOrganization), refusal!.Refusal);
        Assert.Equal(CoordinationStates.Acknowledged, (await PostAsync(usfj, path + "/ack")).Request!.State);

        var countered = (await PostAsync(usfj, path + "/counter", new TransitionBodyJson(null, "One hour, 0200-0300Z", null))).Request!;
        Assert.Equal(CoordinationStates.Countered, countered.State);
        Assert.Equal("One hour, 0200-0300Z", countered.Proposal);

        // After a counter the sender answers it, not the addressee.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(usfj, path + "/accept")).Status);
        Assert.Equal(CoordinationStates.Accepted, (await PostAsync(jjoc, path + "/accept")).Request!.State);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(jjoc, path + "/complete")).Status);
        var completed = (await PostAsync(usfj, path + "/complete")).Request!;
        Assert.Equal(["sent", "received", "acknowledged", "countered", "accepted", "completed"], States(completed));
        Assert.Equal(["jjoc-j3", "node", "usfj-j3", "usfj-j3", "jjoc-j3", "usfj-j3"], completed.History.Select(h => h.By).ToArray());

        // Final: nothing more, not even a withdrawal.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(jjoc, path + "/withdraw")).Status);

        var fetched = await jjoc.GetFromJsonAsync(path, DeskJsonContext.Default.CoordinationRequest);
        Assert.Equal(States(completed), States(fetched!));
        var listed = await usfj.GetFromJsonAsync("/api/coordination?org=USFJ&state=completed", DeskJsonContext.Default.ListCoordinationRequest);
        Assert.Equal(sent.Id, Assert.Single(listed!).Id);

        // Every transition is in the audit trail, by whom it was made.
        var log = node.Node.Services.GetRequiredService<AuditLog>();
        await log.FlushAsync();
        var acts = AuditFile.ReadAll(log.Directory).Where(r => r.Object == sent.Id).Select(r => (r.Act, r.Actor)).ToList();
        Assert.Equal(
            [("coordination.sent", "jjoc-j3"), ("coordination.received", "node"), ("coordination.acknowledged", "usfj-j3"), ("coordination.countered", "usfj-j3"),
             ("coordination.accepted", "jjoc-j3"), ("coordination.completed", "usfj-j3")],
            acts);
    }

    [Fact]
    public async Task A_decline_needs_its_reason_and_only_the_sender_withdraws()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var usfj = node.CreateHttpsClient(node.Issue("usfj-j3", "USFJ"));

        var first = (await PostAsync(jjoc, "/api/coordination", Request())).Request!;
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(usfj, $"/api/coordination/{first.Id}/decline")).Status);
        var declined = (await PostAsync(usfj, $"/api/coordination/{first.Id}/decline", new TransitionBodyJson("Range closed for maintenance", null, null))).Request!;
        Assert.Equal(CoordinationStates.Declined, declined.State);
        Assert.Equal("Range closed for maintenance", declined.Reason);

        var second = (await PostAsync(jjoc, "/api/coordination", Request())).Request!;
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(usfj, $"/api/coordination/{second.Id}/withdraw")).Status);
        Assert.Equal(CoordinationStates.Withdrawn, (await PostAsync(jjoc, $"/api/coordination/{second.Id}/withdraw")).Request!.State);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(usfj, $"/api/coordination/{second.Id}/ack")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(usfj, $"/api/coordination/{second.Id}/approve")).Status);
    }

    [Fact]
    public async Task A_request_is_refused_without_a_relationship_with_a_label_beyond_clearance_or_not_released_to_the_addressee()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var confidential = node.CreateHttpsClient(node.Issue("jjoc-clerk", "JJOC", clearance: "CONFIDENTIAL"));

        var (noRelation, _, r1) = await PostAsync(jjoc, "/api/coordination", Request(to: "USFK"));
        Assert.Equal(HttpStatusCode.Forbidden, noRelation);
        Assert.Equal(nameof(CoordinationRefusal.NoRelationship), r1!.Refusal);

        var (aboveClearance, _, r2) = await PostAsync(confidential, "/api/coordination", Request(label: "SECRET//REL TO USA, JPN"));
        Assert.Equal(HttpStatusCode.BadRequest, aboveClearance);
        Assert.Equal(nameof(CoordinationRefusal.LabelRefused), r2!.Refusal);
        Assert.Contains("above the sender's clearance", r2.Error, StringComparison.Ordinal);

        var (national, _, r3) = await PostAsync(jjoc, "/api/coordination", Request(label: "CONFIDENTIAL//REL TO JPN"));
        Assert.Equal(HttpStatusCode.BadRequest, national);
        Assert.Equal(nameof(CoordinationRefusal.NotReleasableToAddressee), r3!.Refusal);

        var (late, _, r4) = await PostAsync(jjoc, "/api/coordination", Request(replyBy: DateTime.UtcNow.AddMinutes(-1)));
        Assert.Equal(HttpStatusCode.BadRequest, late);
        Assert.Equal(nameof(CoordinationRefusal.Malformed), r4!.Refusal);
        Assert.Empty(await jjoc.GetFromJsonAsync("/api/coordination", DeskJsonContext.Default.ListCoordinationRequest) ?? []);
    }

    [Fact]
    public async Task A_KOR_identity_never_sees_a_JPN_USA_request_not_released_to_it_while_the_chains_above_both_do()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        using var rok = node.CreateHttpsClient(node.Issue("rok-j3", "ROK-JCS"));
        using var indopacom = node.CreateHttpsClient(node.Issue("indopacom-j3", "INDOPACOM"));
        using var component = node.CreateHttpsClient(node.Issue("gcc-j3", "JGSDF-GCC"));

        var sent = (await PostAsync(jjoc, "/api/coordination", Request())).Request!;
        Assert.Empty(await rok.GetFromJsonAsync("/api/coordination", DeskJsonContext.Default.ListCoordinationRequest) ?? []);
        Assert.Empty(await rok.GetFromJsonAsync("/api/coordination?org=JJOC", DeskJsonContext.Default.ListCoordinationRequest) ?? []);
        Assert.Equal(HttpStatusCode.NotFound, (await rok.GetAsync($"/api/coordination/{sent.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(rok, $"/api/coordination/{sent.Id}/ack")).Status);

        // USFJ's commander follows it; a JJOC subordinate, which is below neither end's chain top, does not.
        Assert.Equal(sent.Id, Assert.Single(await indopacom.GetFromJsonAsync("/api/coordination", DeskJsonContext.Default.ListCoordinationRequest) ?? []).Id);
        Assert.Empty(await component.GetFromJsonAsync("/api/coordination", DeskJsonContext.Default.ListCoordinationRequest) ?? []);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(indopacom, $"/api/coordination/{sent.Id}/ack")).Status);
    }

    [Fact]
    public async Task An_unacknowledged_request_reaches_TAK_clients_as_GeoChat_and_escalates_up_both_national_chains_at_its_reply_by_time_never_across()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var node = await TestNode.StartAsync(time: clock);
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        await using var usfjTak = await node.ConnectTlsAsync("usfj-watch", org: "USFJ");
        await using var mod = await node.ConnectTlsAsync("mod-watch", org: "JPN-MOD");
        await using var indopacom = await node.ConnectTlsAsync("indopacom-watch", org: "INDOPACOM");
        await using var rokMnd = await node.ConnectTlsAsync("mnd-watch", org: "ROK-MND");

        var sent = (await PostAsync(jjoc, "/api/coordination", Request(replyBy: clock.GetUtcNow().UtcDateTime.AddMinutes(30)))).Request!;

        // A plain TAK client sees a chat message in a room named for the two headquarters.
        var chat = await usfjTak.ExpectAsync(e => e.Type == CoordinationCot.Type, "the request as GeoChat");
        Assert.Equal("Coordination JJOC-USFJ", chat.Detail.Element("__chat")!.Attribute("chatroom"));
        Assert.Contains(sent.Id, chat.Detail.Element("remarks")!.Text, StringComparison.Ordinal);
        Assert.Equal("received", chat.Detail.Element(CoordinationCot.Element)!.Attribute("state"));
        Assert.Equal("CONFIDENTIAL", chat.Access);

        var desk = node.Node.Services.GetRequiredService<CoordinationDesk>();
        await desk.SweepAsync(CancellationToken.None);
        Assert.Empty((await desk.FindAsync(node.Node.NodePrincipal, sent.Id, CancellationToken.None))!.Escalations);

        clock.Advance(TimeSpan.FromMinutes(31));
        await desk.SweepAsync(CancellationToken.None);
        var escalated = (await desk.FindAsync(node.Node.NodePrincipal, sent.Id, CancellationToken.None))!;
        Assert.Equal([("JJOC", "JPN-MOD"), ("USFJ", "INDOPACOM")], escalated.Escalations.Select(e => (e.Side, e.Superior)).ToArray());

        var toMod = await mod.ExpectAsync(e => e.Type == CoordinationCot.Type, "the escalation to JPN-MOD");
        Assert.Equal("JPN-MOD", toMod.Detail.Element(CoordinationCot.Element)!.Attribute("escalatedTo"));
        var toIndopacom = await indopacom.ExpectAsync(e => e.Type == CoordinationCot.Type, "the escalation to INDOPACOM");
        Assert.Equal("INDOPACOM", toIndopacom.Detail.Element(CoordinationCot.Element)!.Attribute("escalatedTo"));

        // Once only; and nothing reached Korea's chain. A ping after proves the order.
        await desk.SweepAsync(CancellationToken.None);
        await rokMnd.SendAsync(CotText.Ping("after"));
        await rokMnd.ExpectAsync(e => e.Type == Kizuna.Cot.TakControlEvents.PongType, "pong");
        Assert.DoesNotContain(rokMnd.Received, e => e.Type == CoordinationCot.Type);
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1312, 2, TestNode.Timeout);
        Assert.Equal(2, node.Logs.Entries.Count(e => e.EventId.Id == 1312));
    }
}
