using System.Collections.Concurrent;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// The latest event of every uid, in memory, for the replay a client receives on connect.
/// Loaded from storage at start; updated by the router as events are accepted. Directed
/// messages and protocol control never enter it: they belong to their recipients only; nor do
/// the types a desk excludes (<see cref="Exclude"/>: warnings, which are sent again on connect
/// until acknowledged, on their own lane).
/// </summary>
/// <remarks>
/// Each uid's event is held as its stamped CoT XML, copied into a buffer of the uid's own that
/// the next update overwrites, and parsed again only for a replay. Held as parsed events, a
/// picture of many entities kept a young event graph alive per update until the uid's next one:
/// every collection copied thousands of them, and its pauses stopped the missile warning path
/// too (docs/dev/latest-state-as-xml.md has the measurements).
/// <para>
/// A reader's latest state is the newest version of each uid <i>it</i> may see: a newer update it
/// may not see neither erases the older visible one nor shows that it exists. So a uid holds the
/// newest version of each distinct label it was sent with (at most <see cref="MaxVersions"/>), and
/// a version is dropped once a newer one is visible to everyone who could see it (most uids keep
/// one label and so one version). Past the bound the oldest version goes: a reader that could see
/// only it then sees nothing of the uid, never more.
/// </para>
/// </remarks>
public sealed class LatestState
{
    /// <summary>Versions held per uid at most (the newest of each distinct label).</summary>
    public const int MaxVersions = 4;

    private readonly ConcurrentDictionary<string, Held> _byUid = new(StringComparer.Ordinal);

    public int Count => _byUid.Count;

    /// <summary>Keeps <paramref name="shared"/> if it is at least as new as what is held for its uid under its label.</summary>
    public void Update(SharedEvent shared)
    {
        if (!IsReplayable(shared))
        {
            return;
        }

        while (true)
        {
            var held = _byUid.GetOrAdd(shared.Event.Uid, static _ => new Held());
            if (held.Offer(shared))
            {
                return;
            }

            // Retired by a snapshot as stale meanwhile: take its place.
            _byUid.TryRemove(new KeyValuePair<string, Held>(shared.Event.Uid, held));
        }
    }

    /// <summary>
    /// The newest non-stale version of every uid, oldest first, so a client draws them in order.
    /// Not filtered: for callers that decide per recipient on their own (tests, diagnostics); a
    /// reader's picture is <see cref="Snapshot(DateTime, Principal, out int)"/>.
    /// </summary>
    public List<SharedEvent> Snapshot(DateTime utcNow) => Collect(utcNow, reader: null, out _);

    /// <summary>
    /// The picture <paramref name="reader"/> may see, oldest first: for every uid the newest
    /// non-stale version the access decision permits it. <paramref name="withheld"/> counts the
    /// uids of which it may see no version.
    /// </summary>
    public List<SharedEvent> Snapshot(DateTime utcNow, Principal reader, out int withheld)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Collect(utcNow, reader, out withheld);
    }

    private List<SharedEvent> Collect(DateTime utcNow, Principal? reader, out int withheld)
    {
        withheld = 0;
        var live = new List<SharedEvent>(_byUid.Count);
        foreach (var (uid, held) in _byUid)
        {
            switch (held.Read(utcNow, reader, out var hidden))
            {
                case { } shared:
                    live.Add(shared);
                    break;
                case null when hidden:
                    withheld++;
                    break;
                case null when held.TryRetire(utcNow):
                    _byUid.TryRemove(new KeyValuePair<string, Held>(uid, held));
                    break;
            }
        }

        live.Sort(static (a, b) => a.Event.Time.CompareTo(b.Event.Time));
        return live;
    }

    // Types that never enter the picture besides directed messages and t-x-*: registered by the
    // desks that send them (the warning desk: warnings go again on connect until acknowledged).
    // Copy-on-write, read on every update.
    private string[] _excludedTypes = [];
    private readonly Lock _excludeGate = new();

    /// <summary>
    /// Keeps events of <paramref name="type"/> out of the picture from now on (a desk registers
    /// its own types at start, before the picture is restored from storage).
    /// </summary>
    public void Exclude(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (_excludeGate)
        {
            if (Array.IndexOf(_excludedTypes, type) < 0)
            {
                Volatile.Write(ref _excludedTypes, [.. _excludedTypes, type]);
            }
        }
    }

    /// <summary>Whether <paramref name="shared"/> belongs in the replayed picture.</summary>
    public bool IsReplayable(SharedEvent shared)
    {
        if (shared.Event.Detail.MartiDestinations.Count != 0 || shared.Event.Type.StartsWith("t-x-", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var excluded in Volatile.Read(ref _excludedTypes))
        {
            if (string.Equals(shared.Event.Type, excluded, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when everyone <paramref name="older"/> is visible to may see <paramref name="newer"/>
    /// too, so the older version can never be a reader's newest visible one. Conservative: a newer
    /// label with categories the older one does not have equally never covers it.
    /// </summary>
    internal static bool Covers(ConfidentialityLabel newer, ConfidentialityLabel older)
        => ReferenceEquals(newer, older)
           || (string.Equals(newer.Policy, older.Policy, StringComparison.Ordinal)
               && newer.Level <= older.Level
               && (older.ReleasableMask & ~newer.ReleasableMask) == 0
               && (!HasCheckedCategories(newer) || newer.Categories.SequenceEqual(older.Categories)));

    private static bool HasCheckedCategories(ConfidentialityLabel label)
    {
        foreach (var category in label.Categories)
        {
            if (category.Type != CategoryType.Informative)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One uid's versions, newest of each label, under one lock.</summary>
    private sealed class Held
    {
        private readonly Lock _gate = new();
        private Version[] _versions = [new Version()];
        private int _count;
        private bool _retired;

        /// <summary>Keeps the event if it is at least as new as the version held under its label; false once retired.</summary>
        public bool Offer(SharedEvent shared)
        {
            var xml = shared.Encoded(WireFormat.CotXml).Span;
            var time = shared.Event.Time;
            var label = shared.Label;
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                // A version this one cannot improve on: the same label, newer.
                var slot = -1;
                for (var k = 0; k < _count; k++)
                {
                    var held = _versions[k];
                    if (held.Time > time && Covers(held.Label!, label))
                    {
                        return true;
                    }

                    if (slot < 0 && time >= held.Time && Covers(label, held.Label!))
                    {
                        slot = k;
                    }
                }

                if (slot < 0)
                {
                    slot = AddSlot();
                }

                _versions[slot].Set(xml, shared);

                // Versions this one now covers, besides its own slot, can go.
                for (var k = _count - 1; k >= 0; k--)
                {
                    if (k != slot && _versions[k].Time <= time && Covers(label, _versions[k].Label!))
                    {
                        RemoveAt(k);
                        if (k < slot)
                        {
                            slot--;
                        }
                    }
                }

                return true;
            }
        }

        /// <summary>Under the lock: a free slot, the oldest version's when all are taken.</summary>
        private int AddSlot()
        {
            if (_count < _versions.Length)
            {
                return _count++;
            }

            if (_count < MaxVersions)
            {
                Array.Resize(ref _versions, _count + 1);
                _versions[_count] = new Version();
                return _count++;
            }

            var oldest = 0;
            for (var k = 1; k < _count; k++)
            {
                if (_versions[k].Time < _versions[oldest].Time)
                {
                    oldest = k;
                }
            }

            return oldest;
        }

        private void RemoveAt(int k)
        {
            var removed = _versions[k];
            removed.Clear();
            Array.Copy(_versions, k + 1, _versions, k, _count - k - 1);
            _versions[--_count] = removed;
        }

        /// <summary>Retires the entry if every version is stale (an entry not yet given its first event is not).</summary>
        public bool TryRetire(DateTime utcNow)
        {
            lock (_gate)
            {
                if (_count == 0)
                {
                    return false;
                }

                for (var k = 0; k < _count; k++)
                {
                    if (_versions[k].Stale > utcNow)
                    {
                        return false;
                    }
                }

                _retired = true;
                return true;
            }
        }

        /// <summary>
        /// The newest non-stale version <paramref name="reader"/> may see (any reader when null),
        /// parsed again; <paramref name="hidden"/> when there are non-stale versions but none it may see.
        /// </summary>
        public SharedEvent? Read(DateTime utcNow, Principal? reader, out bool hidden)
        {
            hidden = false;
            lock (_gate)
            {
                Version? newest = null;
                for (var k = 0; k < _count; k++)
                {
                    var version = _versions[k];
                    if (version.Stale <= utcNow || (newest is not null && version.Time < newest.Time))
                    {
                        continue;
                    }

                    if (reader is not null && !AccessControl.Permits(reader, version.Label!))
                    {
                        hidden = true;
                        continue;
                    }

                    newest = version;
                }

                if (newest is null)
                {
                    return null;
                }

                hidden = false;
                return newest.Parse();
            }
        }
    }

    /// <summary>One version: its XML in a buffer reused from update to update, and what the XML does not say.</summary>
    private sealed class Version
    {
        private byte[] _xml = [];
        private int _length;
        private string _sender = "";
        private DateTime _receivedAt;

        public DateTime Time { get; private set; } = DateTime.MinValue;

        public DateTime Stale { get; private set; }

        public ConfidentialityLabel? Label { get; private set; }

        public void Set(ReadOnlySpan<byte> xml, SharedEvent shared)
        {
            if (xml.Length > _xml.Length)
            {
                // Room to grow a little, so a uid whose reports vary by a few bytes keeps one buffer.
                _xml = new byte[xml.Length + (xml.Length / 8)];
            }

            xml.CopyTo(_xml);
            _length = xml.Length;
            Time = shared.Event.Time;
            Stale = shared.Event.Stale;
            Label = shared.Label;
            _sender = shared.Sender;
            _receivedAt = shared.ReceivedAt;
        }

        public void Clear()
        {
            Label = null;
            Time = DateTime.MinValue;
            Stale = default;
            _length = 0;
        }

        /// <summary>The event parsed again (null for what never happens to XML the node wrote: one that does not parse).</summary>
        public SharedEvent? Parse()
        {
            var xml = _xml.AsSpan(0, _length).ToArray();
            try
            {
                return new SharedEvent(CotXml.Decode(xml, CotLimits.NodeWritten), Label!, _sender, _receivedAt, xml);
            }
            catch (CotFormatException)
            {
                return null;
            }
        }
    }
}
