using static Kizuna.Cot.Tests.ProtoBytes;

namespace Kizuna.Cot.Tests;

/// <summary>Protobuf times (milliseconds since the epoch) at the edge of what a DateTime holds.</summary>
public sealed class TakProtoTimeTests
{
    [Theory]
    [InlineData(253_402_300_800_000UL)] // one millisecond past the last whole millisecond of 9999-12-31
    [InlineData(253_402_300_800_001UL)]
    public void A_stale_time_just_past_the_last_date_is_refused_as_bad_time_not_an_overflow(ulong staleTime)
        // Found by the differential test: the bound was a double, rounded up past DateTime.MaxValue.
        => Assert.Equal(CotRejectReason.BadTime, Assert.Throws<CotFormatException>(() => TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), UInt(8, staleTime))))).Reason);

    [Fact]
    public void A_stale_time_at_the_last_whole_millisecond_decodes()
        => Assert.Equal(
            DateTime.MaxValue.Ticks - (DateTime.MaxValue.Ticks % TimeSpan.TicksPerMillisecond),
            TakProto.DecodeMessage(Bytes(2, Concat(Str(1, "a"), Str(5, "u"), UInt(8, 253_402_300_799_999UL)))).Event!.Stale.Ticks);
}
