using System.Net;

namespace Kizuna.Server.Marti;

/// <summary>
/// How many enrollment attempts (signing requests) one remote address may make: at most
/// <see cref="Max"/> in any <see cref="Window"/>, successful or not, so a one-time password cannot
/// be guessed at speed. A legitimate client needs one.
/// </summary>
public sealed class EnrollmentAttempts(TimeProvider time, int max = EnrollmentAttempts.DefaultMax, TimeSpan? window = null)
{
    public const int DefaultMax = 10;
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(10);
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _byAddress = [];
    private readonly Lock _gate = new();

    public int Max { get; } = max;
    public TimeSpan Window { get; } = window ?? DefaultWindow;

    /// <summary>Counts an attempt from <paramref name="address"/>; false when it already made <see cref="Max"/> within the window.</summary>
    public bool TryAttempt(IPAddress? address)
    {
        address ??= IPAddress.None;
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // Forget addresses that have been quiet for a window, so the table stays small.
            if (_byAddress.Count > 4096)
            {
                foreach (var quiet in _byAddress.Where(p => p.Value.Count == 0 || p.Value.Last() <= now - Window).Select(p => p.Key).ToList())
                {
                    _byAddress.Remove(quiet);
                }
            }

            if (!_byAddress.TryGetValue(address, out var attempts))
            {
                _byAddress[address] = attempts = new Queue<DateTimeOffset>();
            }

            while (attempts.Count > 0 && attempts.Peek() <= now - Window)
            {
                attempts.Dequeue();
            }

            if (attempts.Count >= Max)
            {
                return false;
            }

            attempts.Enqueue(now);
            return true;
        }
    }
}
