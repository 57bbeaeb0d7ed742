using System.Net;
using System.Net.Http.Json;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Releasability labels at every exit: stream delivery, replay on connect, directed messages and
/// the REST API; and every refusal at the door, with its reason logged and told to the sender.
/// </summary>
public sealed class LabelTests
{
    private const string ReleasableToAll = "USA,JPN,KOR";

    [Fact]
    public async Task An_event_without_a_label_gets_its_senders_default_and_stays_in_its_nation()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-sender");
        await using var jpn = await node.ConnectTlsAsync("jjoc-peer");
        await using var usa = await node.ConnectTlsAsync("usfj-peer", org: "USFJ");

        await jjoc.SendAsync(CotText.Position("unlabelled-1", "TOKYO"));
        var received = await jpn.ExpectUidAsync("unlabelled-1");
        var jjocDefault = node.Node.Labels.Profile.FindOrganization("JJOC")!.DefaultClassification;
        Assert.Equal(jjocDefault, received.Access);
        Assert.Equal("JPN", received.ReleasableTo);
        Assert.Null(received.Detail.Label); // a plain label rides in the attributes alone

        await Barrier(jjoc, usa);
        Assert.DoesNotContain(usa.Received, e => e.Uid == "unlabelled-1");
    }

    [Fact]
    public async Task An_event_releasable_to_USA_and_JPN_reaches_both_and_never_KOR()
    {
        await using var node = await TestNode.StartAsync();
        await using var jjoc = await node.ConnectTlsAsync("jjoc-sender");
        await using var usfj = await node.ConnectTlsAsync("usfj-reader", org: "USFJ");
        await using var rok = await node.ConnectTlsAsync("rok-reader", org: "ROK-JCS");

        await jjoc.SendAsync(CotText.Labelled("rel-usa-jpn", "BILATERAL", "SECRET", "USA, JPN"));
        var atUsfj = await usfj.ExpectUidAsync("rel-usa-jpn");
        Assert.Equal("SECRET", atUsfj.Access);
        Assert.Equal("USA,JPN", atUsfj.ReleasableTo);

        await Barrier(jjoc, rok);
        Assert.DoesNotContain(rok.Received, e => e.Uid == "rel-usa-jpn");
        Assert.True(node.Node.Metrics.WithheldCount(AccessExit.Stream) >= 1);
    }

    [Fact]
    public async Task An_event_above_a_recipients_clearance_is_withheld_from_it()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("secret-sender");
        await using var cleared = await node.ConnectTlsAsync("secret-reader");
        await using var confidential = await node.ConnectTlsAsync("confidential-reader", clearance: "CONFIDENTIAL");

        await sender.SendAsync(CotText.Labelled("secret-1", "HIGH", "SECRET", ReleasableToAll));
        await cleared.ExpectUidAsync("secret-1");
        await Barrier(sender, confidential);
        Assert.DoesNotContain(confidential.Received, e => e.Uid == "secret-1");
    }

    [Fact]
    public async Task A_client_connecting_later_is_replayed_only_what_it_may_see()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-sender");
        await using var witness = await node.ConnectTlsAsync("jjoc-witness");
        await sender.SendAsync(CotText.Labelled("replay-jpn-only", "NATIONAL", "CONFIDENTIAL", "JPN"));
        await sender.SendAsync(CotText.Labelled("replay-all", "SHARED", "UNCLASSIFIED", ReleasableToAll));
        await witness.ExpectUidsAsync("replay-jpn-only", "replay-all");

        await using var late = await node.ConnectTlsAsync("rok-late", org: "ROK-JCS");
        await late.ExpectUidAsync("replay-all");
        await Barrier(sender, late);
        Assert.DoesNotContain(late.Received, e => e.Uid == "replay-jpn-only");
        Assert.True(node.Node.Metrics.WithheldCount(AccessExit.Replay) >= 1);
    }

    [Fact]
    public async Task A_directed_message_still_obeys_its_label()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-chat");
        await using var addressee = await node.ConnectTlsAsync("rok-addressee", org: "ROK-JCS");
        await addressee.SendAsync(CotText.Labelled("rok-addressee-uid", "ROKDESK", "UNCLASSIFIED", ReleasableToAll));
        await sender.ExpectUidAsync("rok-addressee-uid");

        // Addressed to the ROK desk, but releasable to Japan only: the address does not override the label.
        var chat = CotText.Directed("chat-jpn-only", "ROKDESK", "national only").Replace("type=\"b-t-f\"", "type=\"b-t-f\" access=\"UNCLASSIFIED\" releasableTo=\"JPN\"", StringComparison.Ordinal);
        await sender.SendAsync(chat);
        await Barrier(sender, addressee);
        Assert.DoesNotContain(addressee.Received, e => e.Uid == "chat-jpn-only");
    }

    [Fact]
    public async Task The_api_returns_only_events_the_caller_may_see()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-sender");
        await sender.SendAsync(CotText.Labelled("api-jpn", "NATIONAL", "CONFIDENTIAL", "JPN"));
        await sender.SendAsync(CotText.Labelled("api-all", "SHARED", "UNCLASSIFIED", ReleasableToAll));
        await sender.SendAsync(CotText.Ping("api-barrier"));
        await sender.ExpectAsync(e => e.Type == TakControlEvents.PongType, "pong");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        using var japanese = node.CreateHttpsClient(node.Issue("jjoc-api"));
        using var korean = node.CreateHttpsClient(node.Issue("rok-api", org: "ROK-JCS"));

        var seenByJapan = await japanese.GetFromJsonAsync("/api/events?limit=1000", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(["api-all", "api-jpn"], seenByJapan!.Select(e => e.Uid).Order().ToArray());
        Assert.Equal("CONFIDENTIAL//REL TO JPN", seenByJapan!.Single(e => e.Uid == "api-jpn").Label.Banner);

        // The limit counts only what the caller may see: one visible event, not the newest row.
        var seenByKorea = await korean.GetFromJsonAsync("/api/events?limit=1", ApiJsonContext.Default.ListEventJson);
        Assert.Equal("api-all", Assert.Single(seenByKorea!).Uid);
        var byUid = await korean.GetFromJsonAsync("/api/events?uid=api-jpn", ApiJsonContext.Default.ListEventJson);
        Assert.Empty(byUid!);
        var latest = await korean.GetFromJsonAsync("/api/events/latest", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(["api-all"], latest!.Select(e => e.Uid).ToArray());
        Assert.Equal("UNCLASSIFIED//REL TO USA, JPN, KOR", latest![0].Label.Banner);
        var at = Uri.EscapeDataString(CotText.Time(DateTime.UtcNow.AddSeconds(1)));
        var replayedForKorea = await korean.GetFromJsonAsync($"/api/events/state?at={at}", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(["api-all"], replayedForKorea!.Select(e => e.Uid).ToArray());
        var replayedForJapan = await japanese.GetFromJsonAsync($"/api/events/state?at={at}", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(["api-all", "api-jpn"], replayedForJapan!.Select(e => e.Uid).Order().ToArray());
    }

    [Fact]
    public async Task Whoami_answers_with_the_callers_nation_organization_role_and_clearance()
    {
        await using var node = await TestNode.StartAsync();
        using var http = node.CreateHttpsClient(node.Issue("usfj-j3", org: "USFJ", clearance: "SECRET"));
        var me = await http.GetFromJsonAsync("/api/whoami", ApiJsonContext.Default.WhoAmIJson);
        Assert.Equal("usfj-j3", me!.Name);
        Assert.Equal("USA", me.Nation);
        Assert.Equal("USFJ", me.Organization);
        Assert.Equal("operator", me.Role);
        Assert.Equal("SECRET", me.Clearance);
        Assert.Equal("JJOC", me.Node.Organization);
        Assert.Equal("JPN", me.Node.Nation);
    }

    [Fact]
    public async Task The_profile_is_served_to_an_identified_caller()
    {
        await using var node = await TestNode.StartAsync();
        using var http = node.CreateHttpsClient(node.Issue("profile-reader"));
        var profile = await http.GetFromJsonAsync("/api/profile", ApiJsonContext.Default.ProfileJson);
        foreach (var id in new[] { "JPN-MOD", "JJOC", "INDOPACOM", "USFJ", "USFK", "ROK-JCS", "CFC" })
        {
            Assert.Contains(profile!.Organizations, o => o.Id == id);
        }

        Assert.Contains(profile!.Counterparts, c => (c.A, c.B) is ("JJOC", "USFJ") or ("USFJ", "JJOC"));
    }

    // ---- refusals at the door ----

    [Fact]
    public async Task A_label_above_the_senders_clearance_is_refused_and_the_sender_is_told()
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("confidential-sender", clearance: "CONFIDENTIAL");
        await using var witness = await node.ConnectTlsAsync("witness");

        await sender.SendAsync(CotText.Labelled("too-high", "HIGH", "SECRET", "JPN"));
        var notice = await sender.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice");
        Assert.Equal("too-high", notice.Detail.Element("__refusal")!.Attribute("uid"));
        Assert.Equal(nameof(LabelRefusal.AboveClearance), notice.Detail.Element("__refusal")!.Attribute("reason"));

        var logged = await node.Logs.WaitForAsync(e => e.EventId.Id == 1009, TestNode.Timeout);
        Assert.Contains("above the sender's clearance", logged.Message, StringComparison.Ordinal);
        Assert.Equal(1, node.Node.Metrics.LabelRefusalCount(LabelRefusal.AboveClearance));
        await Barrier(sender, witness);
        Assert.DoesNotContain(witness.Received, e => e.Uid == "too-high");
    }

    [Fact]
    public async Task A_plain_tcp_client_releasing_beyond_its_nation_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var anonymous = await node.ConnectTcpAsync();
        await anonymous.SendAsync(CotText.Labelled("too-wide", "WIDE", null, "USA,JPN"));
        var notice = await anonymous.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice");
        Assert.Equal(nameof(LabelRefusal.ReleaseTooWide), notice.Detail.Element("__refusal")!.Attribute("reason"));
        var logged = await node.Logs.WaitForAsync(e => e.EventId.Id == 1009, TestNode.Timeout);
        Assert.Contains("USA", logged.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TOP SECRET", "JPN", "", "the access attribute")]
    [InlineData("SECRET", "JPN,XYZ", "", "releasableTo")]
    [InlineData("SECRET", "JPN", "<__label policy=\"urn:other\" classification=\"SECRET\"/>", "another security policy")]
    [InlineData("SECRET", "JPN", "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"CONFIDENTIAL\"/>", "different classifications")]
    [InlineData(null, null, "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"SECRET\"><category name=\"X\" type=\"odd\" values=\"A\"/></__label>", "type")]
    public async Task A_malformed_label_is_refused_with_a_reason(string? access, string? releasableTo, string labelElement, string reasonMentions)
    {
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("labeller");
        await sender.SendAsync(CotText.Labelled("malformed", "BAD", access, releasableTo, extraDetail: labelElement));
        var notice = await sender.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice");
        Assert.Contains(reasonMentions, notice.Detail.Element("__refusal")!.Text, StringComparison.Ordinal);
        var logged = await node.Logs.WaitForAsync(e => e.EventId.Id == 1009, TestNode.Timeout);
        Assert.Contains(reasonMentions, logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_certificate_is_refused_at_the_handshake()
    {
        await using var node = await TestNode.StartAsync();
        node.ErrorsExpected = true;
        var files = node.Issue("revoked-officer");
        await using (var before = await node.ConnectTlsAsync(files))
        {
            // Valid until revoked.
        }

        node.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "revoked-officer", DateTime.UtcNow, "lost device")]);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var after = await node.ConnectTlsAsync(files);
        });
        var refusal = await node.Logs.WaitForAsync(e => e.EventId.Id == 4004, TestNode.Timeout);
        Assert.Contains("revoked", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("lost device", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_the_certificate_of_an_open_connection_closes_it()
    {
        await using var node = await TestNode.StartAsync();
        var files = node.Issue("soon-revoked");
        await using var client = await node.ConnectTlsAsync(files);
        node.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "soon-revoked", DateTime.UtcNow, "left the watch")]);
        await client.Closed.WaitAsync(TestNode.Timeout);
        var closed = await node.Logs.WaitForAsync(e => e.EventId.Id == 4010, TestNode.Timeout);
        Assert.Contains("left the watch", closed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_naming_an_unknown_organization_is_refused_at_the_handshake()
    {
        await using var node = await TestNode.StartAsync();
        node.ErrorsExpected = true;
        var files = node.IssueUnchecked(new IdentityClaims("stranger", "JPN", "NO-SUCH-HQ", "operator", "SECRET", []));
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await node.ConnectTlsAsync(files);
        });
        var refusal = await node.Logs.WaitForAsync(e => e.EventId.Id == 4004, TestNode.Timeout);
        Assert.Contains("unknown organization 'NO-SUCH-HQ'", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_and_metrics_never_carry_a_labelled_events_fields()
    {
        const string SecretUid = "uid-9f1c-secret-marker";
        const string SecretCallsign = "CALLSIGN-7d2e-SECRET";
        await using var node = await TestNode.StartAsync();
        await using var sender = await node.ConnectTlsAsync("jjoc-sender", clearance: "CONFIDENTIAL");
        await using var korean = await node.ConnectTlsAsync("rok-reader", org: "ROK-JCS");

        // Accepted and withheld from one recipient, then refused outright: both paths log.
        await sender.SendAsync(CotText.Labelled(SecretUid, SecretCallsign, "CONFIDENTIAL", "JPN"));
        await sender.SendAsync(CotText.Labelled(SecretUid, SecretCallsign, "SECRET", "JPN"));
        await sender.ExpectAsync(e => e.Type == RefusalNotice.Type, "a refusal notice");
        await Barrier(sender, korean);

        using var http = node.CreateHttpClient();
        var metrics = await http.GetStringAsync("/metrics");
        Assert.DoesNotContain(SecretUid, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretCallsign, metrics, StringComparison.Ordinal);
        Assert.Contains("kizuna_label_refusals_total{reason=\"AboveClearance\"} 1", metrics, StringComparison.Ordinal);

        await node.Node.StopAsync();
        Assert.NotEmpty(node.Logs.Entries);
        Assert.DoesNotContain(node.Logs.Entries, e => e.Message.Contains(SecretUid, StringComparison.Ordinal) || e.Message.Contains(SecretCallsign, StringComparison.Ordinal));
    }

    /// <summary>
    /// Sends an event every recipient may see and waits for it: events from one sender arrive in
    /// order, so anything sent before it that a recipient was going to get has arrived by then.
    /// </summary>
    private static async Task Barrier(CotTestClient sender, params CotTestClient[] recipients)
    {
        var uid = "barrier-" + Guid.NewGuid().ToString("N");
        await sender.SendAsync(CotText.Labelled(uid, "BARRIER", "UNCLASSIFIED", ReleasableToAll));
        foreach (var recipient in recipients)
        {
            await recipient.ExpectUidAsync(uid);
        }
    }
}
