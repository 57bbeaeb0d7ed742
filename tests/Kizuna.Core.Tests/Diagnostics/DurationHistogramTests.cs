using System.Text;
using Kizuna.Core.Diagnostics;

namespace Kizuna.Core.Tests.Diagnostics;

public sealed class DurationHistogramTests
{
    [Fact]
    public void Durations_fall_in_cumulative_buckets_and_the_prometheus_text_carries_their_sum_and_count()
    {
        var histogram = new DurationHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(0.5));
        histogram.Record(TimeSpan.FromMilliseconds(3));
        histogram.Record(TimeSpan.FromMilliseconds(15));
        histogram.Record(TimeSpan.FromSeconds(2));

        var text = new StringBuilder();
        histogram.WritePrometheus(text, "kizuna_test_seconds", "A test.");

        Assert.Equal(
            "# HELP kizuna_test_seconds A test.\n# TYPE kizuna_test_seconds histogram\n"
            + "kizuna_test_seconds_bucket{le=\"0.001\"} 1\n"
            + "kizuna_test_seconds_bucket{le=\"0.002\"} 1\n"
            + "kizuna_test_seconds_bucket{le=\"0.005\"} 2\n"
            + "kizuna_test_seconds_bucket{le=\"0.01\"} 2\n"
            + "kizuna_test_seconds_bucket{le=\"0.02\"} 3\n"
            + "kizuna_test_seconds_bucket{le=\"0.05\"} 3\n"
            + "kizuna_test_seconds_bucket{le=\"0.1\"} 3\n"
            + "kizuna_test_seconds_bucket{le=\"0.5\"} 3\n"
            + "kizuna_test_seconds_bucket{le=\"1\"} 3\n"
            + "kizuna_test_seconds_bucket{le=\"5\"} 4\n"
            + "kizuna_test_seconds_bucket{le=\"+Inf\"} 4\n"
            + "kizuna_test_seconds_sum 2.0185\nkizuna_test_seconds_count 4\n",
            text.ToString());
    }

    [Fact]
    public void A_duration_on_a_bound_counts_as_at_most_that_bound_and_one_beyond_every_bound_only_in_the_last()
    {
        var histogram = new DurationHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(20));
        histogram.Record(TimeSpan.FromSeconds(6));

        Assert.Equal(0, histogram.AtMost(0.01));
        Assert.Equal(1, histogram.AtMost(0.02));
        Assert.Equal(1, histogram.AtMost(5));
        Assert.Equal(2, histogram.AtMost(double.PositiveInfinity));
        Assert.Equal(2, histogram.Count);
    }
}
