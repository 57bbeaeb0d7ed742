using Kizuna.Core.Audit;
using Kizuna.Core.Coordination;
using Kizuna.Federation.Tests.Infrastructure;
using Kizuna.Server.Tests.Infrastructure;
using static Kizuna.Federation.Tests.CoordinationFederationTests;

namespace Kizuna.Federation.Tests;

/// <summary>
/// The merge rule for concurrent answers on two nodes (docs/dev/coordination-federation.md):
/// JJOC on the Japanese node and USFJ on the US node each answer the same version of a request
/// while the link between them is cut; once it heals both nodes hold the same history, the step
/// that comes first by the rule, and the other recorded as superseded on both.
/// </summary>
public sealed class CoordinationMergeTests : IAsyncLifetime
{
    private const string GrpcCallHandler = "Grpc.AspNetCore.Server.ServerCallHandler";

    private Trilateral _nodes = null!;

    public async Task InitializeAsync() => _nodes = await Trilateral.StartAsync();

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    private async Task CutAsync()
    {
        // Cut mid-stream, gRPC logs the aborted streaming call as an error on either side.
        _nodes.Jjoc.ExpectedErrorCategories.Add(GrpcCallHandler);
        _nodes.Usfj!.ExpectedErrorCategories.Add(GrpcCallHandler);
        _nodes.JpnUsa.Cut();
        await Trilateral.UntilAsync(() => Trilateral.StatusOf(_nodes.Jjoc, "USFJ").State == "down", "Japan's node sees the link down");
        await Trilateral.UntilAsync(() => Trilateral.StatusOf(_nodes.Usfj!, "JJOC").State == "down", "the US node sees the link down");
    }

    /// <summary>Both nodes hold the request with these states, the same steps by the same identities at the same times.</summary>
    private async Task<CoordinationRequest> ConvergedAsync(string id, params string[] states)
    {
        var japan = await UntilStatesAsync(_nodes.Jjoc, id, states);
        var us = await UntilStatesAsync(_nodes.Usfj!, id, states);
        Assert.Equal(us.History, japan.History);
        Assert.Equal(us.State, japan.State);
        Assert.Equal(us.Proposal, japan.Proposal);
        return japan;
    }

    private static async Task<AuditRecord> SupersededAsync(TestNode node, string id, string state, string by)
    {
        AuditRecord? found = null;
        await Trilateral.UntilAsync(
            () => (found = AuditAsync(node).GetAwaiter().GetResult().SingleOrDefault(r => r.Act == AuditActs.CoordinationSuperseded && r.Object.StartsWith(id, StringComparison.Ordinal))) is not null,
            $"{node.Node.Federation!.Organization}'s audit trail records {state} by {by} on {id} as superseded");
        Assert.Equal(by, found!.Actor);
        Assert.Contains($": {state} made after step 2, superseded by ", found.Object, StringComparison.Ordinal);
        return found;
    }

    [Fact]
    public async Task JJOC_withdrawing_on_its_node_while_USFJ_counters_on_the_US_node_ends_withdrawn_on_both_and_the_counter_is_recorded_as_superseded()
    {
        var us = _nodes.Usfj!;
        using var jjoc = _nodes.Jjoc.CreateHttpsClient(_nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var usfj = us.CreateHttpsClient(us.Issue("usfj-j3", "USFJ"));
        await using var usfjTak = await us.ConnectTlsAsync("usfj-tak", org: "USFJ");
        var sent = await SendAsync(jjoc);
        await ConvergedAsync(sent.Id, "sent", "received");

        // Cut apart, each answers the version it holds: JJOC withdraws first, USFJ counters after.
        await CutAsync();
        var withdrawn = await ActAsync(jjoc, sent.Id, "withdraw");
        await Trilateral.UntilAsync(() => DateTime.UtcNow > withdrawn.UpdatedAt.AddMilliseconds(1), "the clock passes the withdrawal's millisecond");
        var countered = await ActAsync(usfj, sent.Id, "counter", proposal: "One hour, 0200-0300Z");
        Assert.Equal(CoordinationStates.Countered, countered.State);

        _nodes.JpnUsa.Heal();
        var merged = await ConvergedAsync(sent.Id, "sent", "received", "withdrawn");
        Assert.Equal("jjoc-j3", merged.History[^1].By);
        Assert.Null(merged.Proposal);

        // USFJ's clients are told the request is withdrawn after all; the counter stays on record on both nodes.
        await usfjTak.ExpectAsync(e => e.Detail.Element(CoordinationCot.Element) is { } c && c.Attribute("id") == sent.Id && c.Attribute("state") == CoordinationStates.Withdrawn, "the merged state on USFJ's TAK client");
        await SupersededAsync(us, sent.Id, CoordinationStates.Countered, "usfj-j3");
        var onJapan = await SupersededAsync(_nodes.Jjoc, sent.Id, CoordinationStates.Countered, "usfj-j3");
        Assert.Contains("(from node ", onJapan.Object, StringComparison.Ordinal);
    }

    [Fact]
    public async Task USFJ_acknowledging_before_JJOC_withdraws_wins_with_the_counter_it_made_after_and_the_withdrawal_is_superseded_on_both_nodes()
    {
        var us = _nodes.Usfj!;
        using var jjoc = _nodes.Jjoc.CreateHttpsClient(_nodes.Jjoc.Issue("jjoc-j3", "JJOC"));
        using var usfj = us.CreateHttpsClient(us.Issue("usfj-j3", "USFJ"));
        await using var jjocTak = await _nodes.Jjoc.ConnectTlsAsync("jjoc-tak", org: "JJOC");
        var sent = await SendAsync(jjoc);
        await ConvergedAsync(sent.Id, "sent", "received");

        // The US node's branch is two steps long and starts first; Japan's one step starts later.
        await CutAsync();
        var acknowledged = await ActAsync(usfj, sent.Id, "ack");
        await Trilateral.UntilAsync(() => DateTime.UtcNow > acknowledged.UpdatedAt.AddMilliseconds(1), "the clock passes the acknowledgement's millisecond");
        await ActAsync(jjoc, sent.Id, "withdraw");
        await ActAsync(usfj, sent.Id, "counter", proposal: "One hour, 0200-0300Z");

        _nodes.JpnUsa.Heal();
        var merged = await ConvergedAsync(sent.Id, "sent", "received", "acknowledged", "countered");
        Assert.Equal("One hour, 0200-0300Z", merged.Proposal);

        // JJOC's clients see the counter; its withdrawal is on record as superseded, and JJOC can answer the counter.
        await jjocTak.ExpectAsync(e => e.Detail.Element(CoordinationCot.Element) is { } c && c.Attribute("id") == sent.Id && c.Attribute("state") == CoordinationStates.Countered, "the merged state on JJOC's TAK client");
        await SupersededAsync(_nodes.Jjoc, sent.Id, CoordinationStates.Withdrawn, "jjoc-j3");
        await SupersededAsync(us, sent.Id, CoordinationStates.Withdrawn, "jjoc-j3");
        await ActAsync(jjoc, sent.Id, "accept");
        await ConvergedAsync(sent.Id, "sent", "received", "acknowledged", "countered", "accepted");
    }
}
