namespace Kizuna.Cot.Tests;

public sealed class CotTimeTests
{
    private static readonly DateTime Nine = new(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("2026-11-22T09:00:00Z", 0)]
    [InlineData("2026-11-22T09:00:00z", 0)]
    [InlineData("2026-11-22T09:00:00", 0)]
    [InlineData("2026-11-22 09:00:00Z", 0)]
    [InlineData("2026-11-22T09:00:00.5Z", 5_000_000)]
    [InlineData("2026-11-22T09:00:00.05Z", 500_000)]
    [InlineData("2026-11-22T09:00:00.999Z", 9_990_000)]
    [InlineData("2026-11-22T09:00:00.1234567Z", 1_234_567)]
    [InlineData("2026-11-22T09:00:00.123456789Z", 1_234_567)]
    [InlineData("2026-11-22T18:00:00+09:00", 0)]
    [InlineData("2026-11-22T12:30:00.5+03:30", 5_000_000)]
    [InlineData("2026-11-21T23:00:00-10:00", 0)]
    [InlineData("2026-11-22T09:00:00+00:00", 0)]
    [InlineData("2026-11-22T09:00:00-00:00", 0)]
    public void Times_are_read_with_or_without_fractions_and_with_z_an_offset_or_nothing(string text, long ticksAfterNine)
    {
        Assert.True(CotTime.TryParse(text, out var utc));
        Assert.Equal(Nine.AddTicks(ticksAfterNine), utc);
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
        Assert.True(CotTime.TryParse(Sample.Bytes(text), out var fromUtf8));
        Assert.Equal(utc, fromUtf8);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-11-22")]
    [InlineData("2026-11-22T09:00")]
    [InlineData("2026/11/22T09:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-00-01T00:00:00Z")]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("2026-04-31T00:00:00Z")]
    [InlineData("2026-11-22T24:00:00Z")]
    [InlineData("2026-11-22T09:60:00Z")]
    [InlineData("2026-11-22T09:00:60Z")]
    [InlineData("2026-11-22T09:00:00.Z")]
    [InlineData("2026-11-22T09:00:00.1234567890Z")]
    [InlineData("2026-11-22T09:00:00+0900")]
    [InlineData("2026-11-22T09:00:00+09")]
    [InlineData("2026-11-22T09:00:00+15:00")]
    [InlineData("2026-11-22T09:00:00+09:60")]
    [InlineData("2026-11-22T09:00:00Z ")]
    [InlineData(" 2026-11-22T09:00:00Z")]
    [InlineData("+026-11-22T09:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("２０２６-11-22T09:00:00Z")]
    public void Anything_else_is_not_a_time(string text)
        => Assert.False(CotTime.TryParse(text, out _));

    [Fact]
    public void February_29th_of_a_leap_year_is_a_time()
    {
        Assert.True(CotTime.TryParse("2028-02-29T12:00:00Z", out var utc));
        Assert.Equal(new DateTime(2028, 2, 29, 12, 0, 0, DateTimeKind.Utc), utc);
    }

    [Fact]
    public void Times_are_written_with_milliseconds_and_z_as_tak_clients_write_them()
    {
        Assert.Equal("2026-11-22T09:00:00.000Z", CotTime.Format(Nine));
        Assert.Equal("2026-11-22T09:00:00.123Z", CotTime.Format(Nine.AddTicks(1_239_999)));
        Assert.Equal("2026-11-22T09:00:00.000Z", CotTime.Format(Nine.ToLocalTime()));
        Span<byte> buffer = stackalloc byte[24];
        Assert.Equal(24, CotTime.Format(Nine, buffer));
    }

    [Fact]
    public void Writing_then_reading_keeps_the_time_to_the_millisecond()
    {
        var random = new Random(5);
        for (var n = 0; n < 1000; n++)
        {
            var t = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, 200L * 365 * TimeSpan.TicksPerDay));
            Assert.True(CotTime.TryParse(CotTime.Format(t), out var back));
            Assert.Equal(t.Ticks / TimeSpan.TicksPerMillisecond, back.Ticks / TimeSpan.TicksPerMillisecond);
            Assert.Equal(0, back.Ticks % TimeSpan.TicksPerMillisecond);
        }
    }

    [Fact]
    public void Unix_milliseconds_convert_both_ways()
    {
        Assert.Equal(0UL, CotTime.ToUnixMilliseconds(DateTime.UnixEpoch));
        Assert.Equal(0UL, CotTime.ToUnixMilliseconds(new DateTime(1960, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal(1_795_338_000_000UL, CotTime.ToUnixMilliseconds(Nine));
        Assert.Equal(Nine, CotTime.FromUnixMilliseconds(1_795_338_000_000UL));
        Assert.Equal(DateTimeKind.Utc, CotTime.FromUnixMilliseconds(1).Kind);
        Assert.Equal(CotRejectReason.BadTime, Assert.Throws<CotFormatException>(() => CotTime.FromUnixMilliseconds(ulong.MaxValue)).Reason);
    }
}
