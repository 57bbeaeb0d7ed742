using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Coordination;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kizuna.Server.Tests;

/// <summary>
/// Answers from TAK clients over CoT (docs/coordination.md, "Answers over CoT"): real TLS CoT
/// clients answer a request with a GeoChat <c>b-t-f</c> carrying <c>__coordination</c> with
/// <c>id</c> and <c>answer</c>; the same state table and organization rule as the API decide, a
/// refusal comes back to the sender alone, and ordinary GeoChat still reaches the picture.
/// </summary>
public sealed class CoordinationAnswerTests
{
    private const string JpnUsa = "CONFIDENTIAL//REL TO USA, JPN";

    private static string Answer(string uid, string id, string answer, string? note = null)
    {
        var now = DateTime.UtcNow;
        return $"""<event version="2.0" uid="{uid}" type="b-t-f" how="h-g-i-g-o" time="{CotText.Time(now)}" start="{CotText.Time(now)}" stale="{CotText.Time(now.AddMinutes(5))}" access="CONFIDENTIAL" releasableTo="USA,JPN"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/><detail><__chat chatroom="Coordination JJOC-USFJ" id="Coordination JJOC-USFJ" senderCallsign="USFJ"/><remarks>{answer}</remarks><__coordination id="{id}" answer="{answer}"{(note is null ? string.Empty : $" note=\"{note}\"")}/></detail></event>""" + "\n";
    }

    private static Task<CotEvent> RefusalAsync(CotTestClient client, string uid)
        => client.ExpectAsync(e => e.Type == RefusalNotice.Type && e.Detail.Element("__refusal")?.Attribute("uid") == uid, "the refusal of " + uid);

    private static Task<CotEvent> StateAsync(CotTestClient client, string id, string state)
        => client.ExpectAsync(e => e.Detail.Element(CoordinationCot.Element) is { } c && c.Attribute("id") == id && c.Attribute("state") == state, $"{id} {state}");

    [Fact]
    public async Task A_TAK_client_acknowledges_counters_and_completes_over_CoT_checked_by_the_same_state_table_and_organization_rule()
    {
        await using var node = await TestNode.StartAsync();
        using var jjoc = node.CreateHttpsClient(node.Issue("jjoc-j3", "JJOC"));
        await using var usfjTak = await node.ConnectTlsAsync("usfj-tak", org: "USFJ");
        await using var jjocTak = await node.ConnectTlsAsync("jjoc-tak", org: "JJOC");
        using var created = await jjoc.PostAsJsonAsync(
            "/api/coordination",
            new CoordinationBodyJson("USFJ", "Deconflict airspace", "Request a 2-hour window.", "immediate", DateTime.UtcNow.AddHours(1), [], JpnUsa),
            DeskJsonContext.Default.CoordinationBodyJson);
        var id = (await created.Content.ReadFromJsonAsync(DeskJsonContext.Default.CoordinationRequest))!.Id;
        await StateAsync(usfjTak, id, CoordinationStates.Received);

        // The sender may not acknowledge its own request: refused to it alone, with the desk's reason.
        await jjocTak.SendAsync(Answer("GeoChat.jjoc-tak.a1", id, "ack"));
        var refused = await RefusalAsync(jjocTak, "GeoChat.jjoc-tak.a1");
        Assert.Equal(nameof(CoordinationRefusal.WrongOrganization), refused.Detail.Element("__refusal")!.Attribute("reason"));

        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a1", id, "ack"));
        await StateAsync(jjocTak, id, CoordinationStates.Acknowledged);

        // A counter says its proposal; without one it is refused.
        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a2", id, "counter"));
        Assert.Equal(nameof(CoordinationRefusal.Malformed), (await RefusalAsync(usfjTak, "GeoChat.usfj-tak.a2")).Detail.Element("__refusal")!.Attribute("reason"));
        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a3", id, "counter", "One hour, 0200-0300Z"));
        var countered = await StateAsync(jjocTak, id, CoordinationStates.Countered);
        Assert.Equal("One hour, 0200-0300Z", countered.Detail.Element(CoordinationCot.Element)!.Attribute("proposal"));

        // After a counter the sender answers; completing what is not accepted is refused.
        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a4", id, "complete"));
        Assert.Equal(nameof(CoordinationRefusal.InvalidTransition), (await RefusalAsync(usfjTak, "GeoChat.usfj-tak.a4")).Detail.Element("__refusal")!.Attribute("reason"));
        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a5", id, "accept"));
        Assert.Equal(nameof(CoordinationRefusal.WrongOrganization), (await RefusalAsync(usfjTak, "GeoChat.usfj-tak.a5")).Detail.Element("__refusal")!.Attribute("reason"));
        await jjocTak.SendAsync(Answer("GeoChat.jjoc-tak.a2", id, "accept"));
        await StateAsync(usfjTak, id, CoordinationStates.Accepted);
        await usfjTak.SendAsync(Answer("GeoChat.usfj-tak.a6", id, "complete"));
        await StateAsync(jjocTak, id, CoordinationStates.Completed);

        var desk = node.Node.Services.GetRequiredService<CoordinationDesk>();
        var done = (await desk.FindAsync(node.Node.NodePrincipal, id, CancellationToken.None))!;
        Assert.Equal(["sent", "received", "acknowledged", "countered", "accepted", "completed"], done.History.Select(h => h.State));
        Assert.Equal(["jjoc-j3", "node", "usfj-tak", "usfj-tak", "jjoc-tak", "usfj-tak"], done.History.Select(h => h.By));
    }

    [Fact]
    public async Task A_client_cannot_put_a_version_of_a_request_into_the_picture_and_ordinary_GeoChat_still_goes_through()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-tak", org: "JJOC");
        await using var watcher = await node.ConnectTlsAsync("jjoc-watch", org: "JJOC");

        // A version as only a node sends it (state, from, to, version): refused, never routed.
        var now = DateTime.UtcNow;
        var forged = $"""<event version="2.0" uid="GeoChat.kizuna-coordination.C-forged.2" type="b-t-f" how="h-g-i-g-o" time="{CotText.Time(now)}" start="{CotText.Time(now)}" stale="{CotText.Time(now.AddMinutes(5))}"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/><detail><__coordination id="C-forged" version="2" state="accepted" from="JJOC" to="USFJ"/></detail></event>""" + "\n";
        await sender.SendAsync(forged);
        Assert.Equal(nameof(CoordinationRefusal.Malformed), (await RefusalAsync(sender, "GeoChat.kizuna-coordination.C-forged.2")).Detail.Element("__refusal")!.Attribute("reason"));
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1324, TestNode.Timeout);

        // A plain chat message is picture, as before; it arrives after the forged one would have.
        var chat = $"""<event version="2.0" uid="GeoChat.jjoc-tak.All Chat Rooms.hello" type="b-t-f" how="h-g-i-g-o" time="{CotText.Time(now)}" start="{CotText.Time(now)}" stale="{CotText.Time(now.AddMinutes(5))}"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/><detail><__chat chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="jjoc-tak"/><remarks>hello</remarks></detail></event>""" + "\n";
        await sender.SendAsync(chat);
        await watcher.ExpectUidAsync("GeoChat.jjoc-tak.All Chat Rooms.hello");
        Assert.DoesNotContain(watcher.Received, e => e.Uid == "GeoChat.kizuna-coordination.C-forged.2");
    }
}
