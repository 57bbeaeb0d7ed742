using System.Collections.Concurrent;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// The latest event of every uid, in memory, for the replay a client receives on connect.
/// Loaded from storage at start; updated by the router as events are accepted. Directed
/// messages and protocol control never enter it: they belong to their recipients only; nor do
/// warnings, which are sent again on connect until acknowledged, on their own lane.
/// </summary>
/// <remarks>
/// Each uid's event is held as its stamped CoT XML, copied into a buffer of the uid's own that
/// the next update overwrites, and parsed again only for a replay. Held as parsed events, a
/// picture of many entities kept a young event graph alive per update until the uid's next one:
/// under 10,000 entities at 30,000 events a second, every collection copied thousands of them,
/// and its pauses (5-25 ms) stopped the missile warning path too (bench/README.md, "The
/// picture's latest state and the collector").
/// </remarks>
public sealed class LatestState
{
    private readonly ConcurrentDictionary<string, Held> _byUid = new(StringComparer.Ordinal);

    public int Count => _byUid.Count;

    /// <summary>Keeps <paramref name="shared"/> if it is at least as new as what is held for its uid.</summary>
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

    /// <summary>The non-stale latest events, oldest first, so a client draws them in order. Not filtered: callers decide per recipient.</summary>
    public List<SharedEvent> Snapshot(DateTime utcNow)
    {
        var live = new List<SharedEvent>(_byUid.Count);
        foreach (var (uid, held) in _byUid)
        {
            switch (held.Read(utcNow))
            {
                case { } shared:
                    live.Add(shared);
                    break;
                case null when held.TryRetire(utcNow):
                    _byUid.TryRemove(new KeyValuePair<string, Held>(uid, held));
                    break;
            }
        }

        live.Sort(static (a, b) => a.Event.Time.CompareTo(b.Event.Time));
        return live;
    }

    public static bool IsReplayable(SharedEvent shared)
        => shared.Event.Detail.MartiDestinations.Count == 0
           && shared.Warning is null
           && !string.Equals(shared.Event.Type, Warnings.WarningCot.WarningType, StringComparison.Ordinal)
           && !shared.Event.Type.StartsWith("t-x-", StringComparison.Ordinal);

    /// <summary>One uid's latest event: its XML in a buffer reused from update to update, and what the XML does not say.</summary>
    private sealed class Held
    {
        private readonly Lock _gate = new();
        private byte[] _xml = [];
        private int _length;
        private DateTime _time = DateTime.MinValue;
        private DateTime _stale;
        private ConfidentialityLabel? _label;
        private string _sender = "";
        private DateTime _receivedAt;
        private bool _retired;

        /// <summary>Keeps the event if it is at least as new as the one held; false once retired.</summary>
        public bool Offer(SharedEvent shared)
        {
            var xml = shared.Encoded(WireFormat.CotXml).Span;
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                if (shared.Event.Time < _time)
                {
                    return true;
                }

                if (xml.Length > _xml.Length)
                {
                    // Room to grow a little, so a uid whose reports vary by a few bytes keeps one buffer.
                    _xml = new byte[xml.Length + (xml.Length / 8)];
                }

                xml.CopyTo(_xml);
                _length = xml.Length;
                _time = shared.Event.Time;
                _stale = shared.Event.Stale;
                _label = shared.Label;
                _sender = shared.Sender;
                _receivedAt = shared.ReceivedAt;
                return true;
            }
        }

        /// <summary>Retires the entry if what it holds is stale (an entry not yet given its first event is not).</summary>
        public bool TryRetire(DateTime utcNow)
        {
            lock (_gate)
            {
                _retired = _label is not null && _stale <= utcNow;
                return _retired;
            }
        }

        /// <summary>The event parsed again, unless it is stale (or, which never happens to XML the node wrote, does not parse).</summary>
        public SharedEvent? Read(DateTime utcNow)
        {
            lock (_gate)
            {
                if (_label is null || _stale <= utcNow)
                {
                    return null;
                }

                var xml = _xml.AsSpan(0, _length).ToArray();
                try
                {
                    return new SharedEvent(CotXml.Decode(xml, CotLimits.NodeWritten), _label, _sender, _receivedAt, xml);
                }
                catch (CotFormatException)
                {
                    return null;
                }
            }
        }
    }
}
