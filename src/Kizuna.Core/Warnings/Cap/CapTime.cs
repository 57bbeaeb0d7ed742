using System.Globalization;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>CAP 1.2 date-times: whole seconds with an explicit offset, UTC written <c>-00:00</c>, never <c>Z</c>.</summary>
public static class CapTime
{
    /// <summary>Japan Standard Time (no daylight saving time since 1951).</summary>
    public static readonly TimeSpan JapanOffset = TimeSpan.FromHours(9);

    /// <summary>Writes a UTC time as <c>2026-11-26T04:05:06-00:00</c>. An unspecified kind is taken as UTC.</summary>
    public static string Format(DateTime time)
        => AsUtc(time).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "-00:00";

    /// <summary>The time in Japan Standard Time, for the text people read.</summary>
    public static DateTime InJapan(DateTime time) => AsUtc(time).Add(JapanOffset);

    internal static DateTime AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };
}
