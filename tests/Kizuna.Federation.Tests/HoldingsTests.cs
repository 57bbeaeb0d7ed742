namespace Kizuna.Federation.Tests;

/// <summary>
/// What a node holds of each origin, as rebuilt from its history at start: exactly what it stored,
/// so a resume never skips, and de-duplication never drops, an event still on its way.
/// </summary>
public sealed class HoldingsTests
{
    private const string Japan = "kizuna-japan";

    [Fact]
    public void A_node_restarted_holding_an_origins_later_sequence_still_takes_the_earlier_one_a_relay_stored_after_it()
    {
        // The hub kept Japan's #8 (a picture update) before Japan's #7 (a vouched report, kept after
        // the warning desk took it) and relayed them in that order; Korea stored #8 and restarted.
        var holdings = new FederationHoldings();
        holdings.Restore([new(Japan, 8)]);

        Assert.False(holdings.Holds(Japan, 7));
        Assert.True(holdings.Holds(Japan, 8));
        Assert.True(holdings.TryAdd(Japan, 7));
        Assert.False(holdings.TryAdd(Japan, 8));
    }

    [Fact]
    public void The_resume_statement_after_a_restart_names_only_a_contiguous_run_the_node_stored()
    {
        var holdings = new FederationHoldings();
        holdings.Restore([new(Japan, 1), new(Japan, 2), new(Japan, 5), new(Japan, 6)]);

        var stated = Assert.Single(holdings.ToWire().Positions);
        Assert.Equal(Japan, stated.OriginNodeId);
        Assert.Equal(2UL, stated.Sequence);

        // A sender skips what the statement covers: never one the node did not store.
        Assert.True(holdings.TryAdd(Japan, 3));
        Assert.True(holdings.TryAdd(Japan, 4));
        Assert.Equal(6UL, Assert.Single(holdings.ToWire().Positions).Sequence);
    }

    [Fact]
    public void Holdings_taken_live_and_holdings_rebuilt_from_the_same_history_say_the_same()
    {
        long[] stored = [3, 4, 9, 10, 11];
        var live = new FederationHoldings();
        foreach (var sequence in stored)
        {
            live.TryAdd(Japan, sequence);
        }

        var rebuilt = new FederationHoldings();
        rebuilt.Restore(stored.Select(s => new KeyValuePair<string, long>(Japan, s)));

        Assert.Equal(live.ToWire().Positions.Single().Sequence, rebuilt.ToWire().Positions.Single().Sequence);
        foreach (var sequence in Enumerable.Range(1, 12))
        {
            Assert.Equal(live.Holds(Japan, sequence), rebuilt.Holds(Japan, sequence));
        }
    }
}
