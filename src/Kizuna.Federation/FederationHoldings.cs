using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>
/// What this node holds of each other origin's sequence: a contiguous high-water mark and the
/// sequences held above it. The receiver's de-duplication (exactly once, whichever path an event
/// took) and the resume handshake's statement. Rebuilt from the history at start: a node holds
/// what it stored, and nothing more: a sequence below the lowest one stored from an origin is not
/// held, since a relay may store one origin's events out of sequence (a vouched report is kept
/// after the picture updates that followed it) and the lower one may still be on its way.
/// </summary>
public sealed class FederationHoldings
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Origin> _origins = new(StringComparer.Ordinal);

    /// <summary>Rebuilds from (origin, sequence) pairs sorted by origin then sequence.</summary>
    public void Restore(IEnumerable<KeyValuePair<string, long>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        lock (_gate)
        {
            foreach (var (origin, sequence) in sequences)
            {
                if (!_origins.TryGetValue(origin, out var held))
                {
                    _origins[origin] = held = new Origin();
                }

                held.Add(sequence);
            }
        }
    }

    public int OriginCount
    {
        get
        {
            lock (_gate)
            {
                return _origins.Count;
            }
        }
    }

    /// <summary>True when (origin, sequence) is held already.</summary>
    public bool Holds(string origin, long sequence)
    {
        lock (_gate)
        {
            return _origins.TryGetValue(origin, out var held) && held.Holds(sequence);
        }
    }

    /// <summary>Records (origin, sequence) as held; false when it was held already (a duplicate).</summary>
    public bool TryAdd(string origin, long sequence)
    {
        lock (_gate)
        {
            if (!_origins.TryGetValue(origin, out var held))
            {
                _origins[origin] = held = new Origin();
            }

            return held.Add(sequence);
        }
    }

    /// <summary>The handshake's statement: per origin, the contiguous mark.</summary>
    public KizunaHoldings ToWire()
    {
        var wire = new KizunaHoldings();
        lock (_gate)
        {
            foreach (var (origin, held) in _origins)
            {
                wire.Positions.Add(new KizunaOriginPosition { OriginNodeId = origin, Sequence = (ulong)Math.Max(0, held.Contiguous) });
            }
        }

        return wire;
    }

    private sealed class Origin
    {
        public long Contiguous { get; set; }

        public SortedSet<long> Above { get; } = [];

        public bool Holds(long sequence) => sequence <= Contiguous || Above.Contains(sequence);

        public bool Add(long sequence)
        {
            if (Holds(sequence))
            {
                return false;
            }

            if (sequence != Contiguous + 1)
            {
                Above.Add(sequence);
                return true;
            }

            Contiguous = sequence;
            while (Above.Count > 0 && Above.Min == Contiguous + 1)
            {
                Contiguous = Above.Min;
                Above.Remove(Above.Min);
            }

            return true;
        }
    }
}
