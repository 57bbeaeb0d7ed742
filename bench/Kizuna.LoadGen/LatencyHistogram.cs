namespace Kizuna.LoadGen;

/// <summary>
/// Log-linear histogram of latencies in microseconds, HdrHistogram style: exact below 256 µs,
/// then 128 sub-buckets per power of two (under 0.8% error), up to about 2^40 µs. Not thread
/// safe: each subscriber owns one; they are merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int SubCount = 1 << SubBits; // 128
    private const int Linear = SubCount * 2;   // 256
    private const int MaxShift = 33;
    private readonly long[] _counts = new long[Linear + (MaxShift * SubCount)];

    public long Count { get; private set; }
    public long MaxMicros { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0)
        {
            micros = 0;
        }

        _counts[Index(micros)]++;
        Count++;
        if (micros > MaxMicros)
        {
            MaxMicros = micros;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), as the upper edge of its bucket, in microseconds.</summary>
    public long Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperEdge(i), MaxMicros);
            }
        }

        return MaxMicros;
    }

    private static int Index(long v)
    {
        if (v < Linear)
        {
            return (int)v;
        }

        int shift = (int)Math.Min(63 - long.LeadingZeroCount(v) - SubBits, MaxShift);
        long sub = Math.Min(v >> shift, (2 * SubCount) - 1) - SubCount;
        return Linear + ((shift - 1) * SubCount) + (int)sub;
    }

    private static long UpperEdge(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        int shift = ((index - Linear) / SubCount) + 1;
        long sub = ((index - Linear) % SubCount) + SubCount;
        return ((sub + 1) << shift) - 1;
    }
}
