namespace Kizuna.Federation;

/// <summary>
/// How long a dialler waits before its next try: doubling from <see cref="Initial"/> to
/// <see cref="Max"/> (30 s, TAK Server's redial interval), with up to a fifth taken off at random
/// so partners restarted together do not redial in step. Reset once a link was up.
/// </summary>
public sealed class RedialBackoff(Random? jitter = null)
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    private readonly Random _jitter = jitter ?? Random.Shared;
    private TimeSpan _next = Initial;

    public TimeSpan Next()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(Max.Ticks, _next.Ticks * 2));
        return delay - (delay * (_jitter.NextDouble() * 0.2));
    }

    public void Reset() => _next = Initial;
}
