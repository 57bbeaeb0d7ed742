using System.Collections.Concurrent;

namespace Kizuna.Core.Routing;

/// <summary>
/// The latest event of every uid, in memory, for the replay a client receives on connect.
/// Loaded from storage at start; updated by the router as events are accepted. Directed
/// messages and protocol control never enter it: they belong to their recipients only; nor do
/// warnings, which are sent again on connect until acknowledged, on their own lane.
/// </summary>
public sealed class LatestState
{
    private readonly ConcurrentDictionary<string, SharedEvent> _byUid = new(StringComparer.Ordinal);

    public int Count => _byUid.Count;

    /// <summary>Keeps <paramref name="shared"/> if it is at least as new as what is held for its uid.</summary>
    public void Update(SharedEvent shared)
    {
        if (!IsReplayable(shared))
        {
            return;
        }

        _byUid.AddOrUpdate(
            shared.Event.Uid,
            static (_, offered) => offered,
            static (_, held, offered) => offered.Event.Time >= held.Event.Time ? offered : held,
            shared);
    }

    /// <summary>The non-stale latest events, oldest first, so a client draws them in order. Not filtered: callers decide per recipient.</summary>
    public List<SharedEvent> Snapshot(DateTime utcNow)
    {
        var live = new List<SharedEvent>(_byUid.Count);
        foreach (var (uid, shared) in _byUid)
        {
            if (shared.Event.IsStaleAt(utcNow))
            {
                _byUid.TryRemove(new KeyValuePair<string, SharedEvent>(uid, shared));
                continue;
            }

            live.Add(shared);
        }

        live.Sort(static (a, b) => a.Event.Time.CompareTo(b.Event.Time));
        return live;
    }

    public static bool IsReplayable(SharedEvent shared)
        => shared.Event.Detail.MartiDestinations.Count == 0
           && shared.Warning is null
           && !string.Equals(shared.Event.Type, Warnings.WarningCot.WarningType, StringComparison.Ordinal)
           && !shared.Event.Type.StartsWith("t-x-", StringComparison.Ordinal);
}
