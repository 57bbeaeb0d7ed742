using System.Runtime.InteropServices;
using System.Text;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// The part of the uid index still in memory: every stored event after the history's mark, by
/// uid, as (time, id). The writer adds each batch's events once they are committed and cuts a
/// segment off when enough have gathered; the segment's index entries and newest events then go
/// to disk a little with every following batch, in uid order, and the segment is released once
/// the mark is past it. Readers take what they need under the same lock and lay it over what the
/// database holds, so a query never sees the index behind the history.
/// </summary>
/// <remarks>
/// This is what keeps a picture of many entities from costing the disk a scattered page write per
/// event: an index keyed by uid written with every batch dirties one leaf per uid in the batch; a
/// segment's entries sorted by uid dirty each leaf once per segment (docs/dev/uid-index.md).
/// </remarks>
internal sealed class UidTail
{
    private readonly Lock _gate = new();
    private Generation _open = new();
    private Generation? _closing;
    // The generation last released, emptied for reuse: its lists keep their capacity, so a busy
    // uid's entries do not cost a new large array every segment (a busy uid's list is large enough
    // for the large object heap, whose growth brings full collections).
    private Generation? _spare;

    /// <summary>One event of a uid: its own time (unix ms) and its id in the history.</summary>
    internal readonly record struct Entry(long Time, long Id) : IComparable<Entry>
    {
        public int CompareTo(Entry other)
        {
            var byTime = Time.CompareTo(other.Time);
            return byTime != 0 ? byTime : Id.CompareTo(other.Id);
        }
    }

    /// <summary>The newest event of a uid in the tail, with its stale time (unix ms).</summary>
    internal readonly record struct Newest(string Uid, Entry Entry, long Stale);

    /// <summary>A uid's events in one generation, and the uid's UTF-8 bytes for binding.</summary>
    internal sealed class UidEntries(string uid)
    {
        public string Uid { get; } = uid;
        public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(uid);
        public List<Entry> Entries { get; } = [];
        public Entry Newest { get; set; } = NoEntry;
        public long NewestStale { get; set; }

        public void Clear()
        {
            Entries.Clear();
            Newest = NoEntry;
            NewestStale = 0;
        }
    }

    private static readonly Entry NoEntry = new(long.MinValue, long.MinValue);

    /// <summary>Events gathered between two cuts.</summary>
    internal sealed class Generation
    {
        public Dictionary<string, UidEntries> ByUid { get; } = new(StringComparer.Ordinal);
        public int Count { get; set; }
        public long LastId { get; set; }
    }

    /// <summary>Events added since the last cut.</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate)
                return _open.Count;
        }
    }

    /// <summary>Adds one committed event (writer only). The uid is looked up by its UTF-8 bytes' characters, so only a uid new to the segment costs a string.</summary>
    public void Add(ReadOnlySpan<byte> uidUtf8, long time, long stale, long id)
    {
        Span<char> chars = stackalloc char[256];
        var uid = Encoding.UTF8.GetMaxCharCount(uidUtf8.Length) <= chars.Length
            ? chars[..Encoding.UTF8.GetChars(uidUtf8, chars)]
            : Encoding.UTF8.GetString(uidUtf8).AsSpan();
        lock (_gate)
        {
            ref var entries = ref CollectionsMarshal.GetValueRefOrAddDefault(
                _open.ByUid.GetAlternateLookup<ReadOnlySpan<char>>(), uid, out var exists);
            if (!exists)
                entries = new UidEntries(uid.ToString());
            var entry = new Entry(time, id);
            entries!.Entries.Add(entry);
            if (entry.CompareTo(entries.Newest) > 0)
            {
                entries.Newest = entry;
                entries.NewestStale = stale;
            }

            _open.Count++;
            _open.LastId = id;
        }
    }

    /// <summary>
    /// Cuts the open generation off as the one to write (writer only, none being written), and
    /// returns it with its uids in order, each uid's entries sorted: the order of the index's key.
    /// </summary>
    public (Generation Segment, UidEntries[] InOrder) Cut()
    {
        Generation segment;
        lock (_gate)
        {
            if (_closing is not null)
                throw new InvalidOperationException("The previous segment is still being written.");
            segment = _closing = _open;
            _open = _spare ?? new Generation();
            _spare = null;
            // Sorted in place, under the lock readers read under (arrival order is nearly time order).
            foreach (var entries in segment.ByUid.Values)
                entries.Entries.Sort();
        }

        // The segment no longer changes, so it is read outside the lock.
        var inOrder = segment.ByUid.Values.Where(e => e.Entries.Count > 0).ToArray();
        Array.Sort(inOrder, static (a, b) => string.CompareOrdinal(a.Uid, b.Uid));
        return (segment, inOrder);
    }

    /// <summary>Forgets the segment being written once the mark is past it, keeping it emptied for reuse (writer only).</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_closing is not { } released)
                return;
            _closing = null;
            // A uid without an event in this whole segment has gone quiet: its list goes.
            foreach (var (uid, entries) in released.ByUid)
            {
                if (entries.Entries.Count == 0)
                    released.ByUid.Remove(uid);
                else
                    entries.Clear();
            }

            released.Count = 0;
            released.LastId = 0;
            _spare = released;
        }
    }

    /// <summary>A uid's events in the tail, newest first, with their time within [<paramref name="since"/>, <paramref name="until"/>].</summary>
    public Entry[] EntriesOf(string uid, long since = long.MinValue, long until = long.MaxValue)
    {
        var found = new List<Entry>();
        lock (_gate)
        {
            Collect(_closing, uid, since, until, found);
            Collect(_open, uid, since, until, found);
        }

        found.Sort(static (a, b) => b.CompareTo(a));
        return [.. found];
    }

    /// <summary>Every uid with events in the tail.</summary>
    public HashSet<string> Uids()
    {
        lock (_gate)
        {
            var uids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var generation in (ReadOnlySpan<Generation?>)[_closing, _open])
            {
                if (generation is null)
                    continue;
                foreach (var entries in generation.ByUid.Values)
                {
                    if (entries.Entries.Count > 0)
                        uids.Add(entries.Uid);
                }
            }

            return uids;
        }
    }

    /// <summary>The newest event of each uid in the tail.</summary>
    public Dictionary<string, Newest> NewestByUid()
    {
        var newest = new Dictionary<string, Newest>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var generation in (ReadOnlySpan<Generation?>)[_closing, _open])
            {
                if (generation is null)
                    continue;
                foreach (var entries in generation.ByUid.Values)
                {
                    if (entries.Entries.Count == 0)
                        continue;
                    if (!newest.TryGetValue(entries.Uid, out var held) || entries.Newest.CompareTo(held.Entry) > 0)
                        newest[entries.Uid] = new Newest(entries.Uid, entries.Newest, entries.NewestStale);
                }
            }
        }

        return newest;
    }

    private static void Collect(Generation? generation, string uid, long since, long until, List<Entry> found)
    {
        if (generation is null || !generation.ByUid.TryGetValue(uid, out var entries))
            return;
        foreach (var entry in entries.Entries)
        {
            if (entry.Time >= since && entry.Time <= until)
                found.Add(entry);
        }
    }
}
