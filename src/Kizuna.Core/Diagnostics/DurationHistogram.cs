using System.Globalization;
using System.Text;

namespace Kizuna.Core.Diagnostics;

/// <summary>
/// A fixed-bucket histogram of durations, kept as atomic counts, written in the Prometheus text
/// format (cumulative buckets, sum and count in seconds). The buckets are the warning path's
/// scale: its target is 20 ms from report to every client.
/// </summary>
public sealed class DurationHistogram
{
    /// <summary>Upper bounds in seconds; one more bucket, +Inf, holds the rest.</summary>
    public static readonly double[] Bounds = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5];

    private readonly double[] _bounds;
    private readonly long[] _buckets;
    private long _count;
    private long _sumTicks;

    public DurationHistogram()
        : this(Bounds)
    {
    }

    /// <param name="bounds">Upper bounds in seconds, ascending.</param>
    public DurationHistogram(double[] bounds)
    {
        _bounds = bounds;
        _buckets = new long[bounds.Length + 1];
    }

    public long Count => Volatile.Read(ref _count);

    public TimeSpan Sum => TimeSpan.FromTicks(Volatile.Read(ref _sumTicks));

    public void Record(double seconds) => Record(TimeSpan.FromSeconds(seconds));

    public void Record(TimeSpan duration)
    {
        var seconds = duration.TotalSeconds;
        var bucket = 0;
        while (bucket < _bounds.Length && seconds > _bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Add(ref _sumTicks, duration.Ticks);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Observations at or under <paramref name="seconds"/>, one of the bounds (or +Inf for every one).</summary>
    public long AtMost(double seconds)
    {
        long total = 0;
        for (var i = 0; i < _bounds.Length && _bounds[i] <= seconds; i++)
        {
            total += Volatile.Read(ref _buckets[i]);
        }

        return double.IsPositiveInfinity(seconds) ? total + Volatile.Read(ref _buckets[_bounds.Length]) : total;
    }

    public void WritePrometheus(StringBuilder text, string name, string help)
    {
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
        // Cumulative as Prometheus wants it: one running total over the buckets, not a sum per bound.
        long total = 0;
        for (var i = 0; i < _bounds.Length; i++)
        {
            total += Volatile.Read(ref _buckets[i]);
            text.Append(c, $"{name}_bucket{{le=\"{_bounds[i].ToString(c)}\"}} {total}\n");
        }

        total += Volatile.Read(ref _buckets[_bounds.Length]);
        text.Append(c, $"{name}_bucket{{le=\"+Inf\"}} {total}\n");
        text.Append(c, $"{name}_sum {Sum.TotalSeconds.ToString("0.######", c)}\n{name}_count {Count}\n");
    }
}
