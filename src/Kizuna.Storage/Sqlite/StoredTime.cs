namespace Kizuna.Storage.Sqlite;

/// <summary>
/// Times as the database keeps them: unix milliseconds, UTC. A <see cref="DateTimeKind.Local"/>
/// value is converted; an unspecified kind is taken as UTC, as the CoT model's times are.
/// </summary>
internal static class StoredTime
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Milliseconds since the unix epoch, rounded down.</summary>
    public static long ToUnixMilliseconds(DateTime time)
        => Math.DivRem(UtcTicks(time) - UnixEpochTicks, TimeSpan.TicksPerMillisecond) is var (quotient, remainder) && remainder < 0
            ? quotient - 1
            : quotient;

    /// <summary>Milliseconds since the unix epoch, rounded up (for inclusive lower bounds).</summary>
    public static long ToUnixMillisecondsCeiling(DateTime time)
        => Math.DivRem(UtcTicks(time) - UnixEpochTicks, TimeSpan.TicksPerMillisecond) is var (quotient, remainder) && remainder > 0
            ? quotient + 1
            : quotient;

    public static DateTime FromUnixMilliseconds(long milliseconds)
        => new(UnixEpochTicks + milliseconds * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    private static long UtcTicks(DateTime time)
        => time.Kind == DateTimeKind.Local ? time.ToUniversalTime().Ticks : time.Ticks;
}
