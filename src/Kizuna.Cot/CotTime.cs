using System.Buffers.Text;
using System.Globalization;

namespace Kizuna.Cot;

/// <summary>
/// ISO 8601 times as CoT writes them: <c>yyyy-MM-ddTHH:mm:ss[.f…]</c> followed by <c>Z</c>, an
/// offset <c>±HH:MM</c>, or nothing (taken as UTC). Parsed straight from UTF-8, strictly.
/// </summary>
public static class CotTime
{
    public static bool TryParse(ReadOnlySpan<byte> s, out DateTime utc)
    {
        utc = default;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)
            || !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var i = 19;
        long fractionTicks = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var start = i;
            long scale = TimeSpan.TicksPerSecond;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                scale /= 10;
                fractionTicks += (s[i] - '0') * scale;
                i++;
            }

            if (i == start || i - start > 9)
            {
                return false;
            }
        }

        var offset = TimeSpan.Zero;
        if (i < s.Length)
        {
            if (s[i] == 'Z' || s[i] == 'z')
            {
                i++;
            }
            else if (s[i] == '+' || s[i] == '-')
            {
                if (s.Length - i != 6 || s[i + 3] != ':' || !Digits(s.Slice(i + 1, 2), out var oh) || !Digits(s.Slice(i + 4, 2), out var om) || oh > 14 || om > 59)
                {
                    return false;
                }

                offset = new TimeSpan(oh, om, 0);
                if (s[i] == '-')
                {
                    offset = -offset;
                }

                i += 6;
            }
        }

        if (i != s.Length)
        {
            return false;
        }

        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + fractionTicks - offset.Ticks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        utc = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    public static bool TryParse(string s, out DateTime utc)
    {
        Span<byte> buffer = stackalloc byte[64];
        if (s.Length > buffer.Length)
        {
            utc = default;
            return false;
        }

        var n = System.Text.Encoding.UTF8.GetBytes(s, buffer);
        return TryParse(buffer[..n], out utc);
    }

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (24 bytes), the form TAK clients write.</summary>
    public static int Format(DateTime utc, Span<byte> destination)
    {
        utc = utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : utc;
        if (!utc.TryFormat(destination, out var written, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        return written;
    }

    public static string Format(DateTime utc)
    {
        Span<byte> buffer = stackalloc byte[32];
        return System.Text.Encoding.ASCII.GetString(buffer[..Format(utc, buffer)]);
    }

    /// <summary>The last whole millisecond a DateTime holds, counted from the Unix epoch (integer, so no rounding past it).</summary>
    private static readonly ulong MaxUnixMilliseconds = (ulong)((DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond);

    public static DateTime FromUnixMilliseconds(ulong ms)
        => ms > MaxUnixMilliseconds
            ? throw new CotFormatException(CotRejectReason.BadTime, "time out of range")
            : new DateTime(DateTime.UnixEpoch.Ticks + ((long)ms * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    public static ulong ToUnixMilliseconds(DateTime utc)
        => utc <= DateTime.UnixEpoch ? 0 : (ulong)((utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond);

    private static bool Digits(ReadOnlySpan<byte> s, out int value)
        => Utf8Parser.TryParse(s, out value, out var consumed) && consumed == s.Length && s[0] != '-' && s[0] != '+';
}
