using Kizuna.Fuzz;

namespace Kizuna.Cot.Tests.Fuzz;

/// <summary>
/// Every input a fuzz run (fuzz/run.sh) or the differential test found to crash or hang a parser,
/// inline, named for what it broke, run through the same targets. Add one per finding, with its fix.
/// </summary>
public sealed class FuzzRegressionTests
{
    [Fact]
    public void A_frame_whose_stale_time_is_one_millisecond_past_the_last_date_is_refused_not_thrown()
    {
        // TakMessage { cotEvent { type "a", uid "u", staleTime 253402300800000 } } as a stream frame:
        // the time bound was a double that rounded past DateTime.MaxValue (found by the differential test).
        byte[] input = [0xBF, 0x10, 0x12, 0x0E, 0x0A, 0x01, 0x61, 0x2A, 0x01, 0x75, 0x40, 0x80, 0xB8, 0xFF, 0x90, 0xFD, 0xCE, 0x39];
        FuzzTargets.Tak(input);
        var results = Sample.Feed(new TakStreamReader(), input, input.Length);
        Assert.Equal(CotRejectReason.BadTime, Assert.Single(results).Reject.Reason);
    }
}
