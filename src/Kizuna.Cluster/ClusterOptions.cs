namespace Kizuna.Cluster;

/// <summary>Settings of one instance's membership of a cluster.</summary>
public sealed class ClusterOptions
{
    /// <summary>The NATS server(s), e.g. <c>nats://127.0.0.1:4222</c> (several separated by commas).</summary>
    public required string Url { get; init; }

    /// <summary>The cluster's name: the subjects' and the stream's prefix; every instance of one node has the same.</summary>
    public string Name { get; init; } = "kizuna";

    /// <summary>This instance's name on the bus; a fresh one per process when not given.</summary>
    public string InstanceId { get; init; } = FreshInstanceId();

    /// <summary>
    /// Machine, process and a random part, at most 40 characters. The random part is cut, not the
    /// whole: a short host name with a small process id is shorter than 40 (a fixed <c>[..40]</c>
    /// threw on such a machine).
    /// </summary>
    internal static string FreshInstanceId()
    {
        var id = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        return id.Length <= 40 ? id : id[..40];
    }

    /// <summary>
    /// The nations whose clients this instance serves, when it serves only some: it then consumes
    /// only subjects releasable to them, one consumer per nation. Null: every event (one consumer).
    /// </summary>
    public IReadOnlyList<string>? Nations { get; init; }

    /// <summary>How long the stream keeps events (a bus, not the record: PostgreSQL is that).</summary>
    public TimeSpan StreamMaxAge { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How far back a starting instance reads the stream, so nothing between loading the picture from PostgreSQL and subscribing is missed.</summary>
    public TimeSpan StartOverlap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events queued for the bus beyond which new ones are dropped from it (counted).</summary>
    public int MaxPendingEvents { get; init; } = 100_000;

    /// <summary>How long the start waits for the NATS server.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The node's meters' factory; null makes a meter of the bus's own.</summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }
}
