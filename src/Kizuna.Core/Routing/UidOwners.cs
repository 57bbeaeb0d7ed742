using System.Collections.Concurrent;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// Who owns each uid: the organization that first sent it. An update or re-label of a uid from
/// anyone else is refused by the router before it is stored or delivered (see
/// <see cref="EventRouter.Publish(IReadOnlyList{LabelledEvent}, ClientSession?)"/>). Anonymous
/// plain-TCP senders together are one owner of their own, <see cref="AnonymousOwner"/>, never the
/// hosting organization, so they can never move a uid an identified client sent, nor an
/// identified client one of theirs. The node's own events (sender null: warnings, escalations),
/// missile-warning traffic (<c>b-w-m-*</c>) and protocol control (<c>t-x-*</c>) are outside the rule.
/// </summary>
/// <remarks>
/// A dictionary lookup on the publish path; a uid's first claim is also handed to the event
/// store (one row per uid, written with the history's next batch), and the claims are read back
/// at start, so ownership survives a restart. A claim is forgotten by the store once the uid has
/// no history left within retention; in memory it lasts until the next start.
/// </remarks>
public sealed class UidOwners
{
    /// <summary>The owner key of every anonymous plain-TCP sender (an organization id cannot start with '*').</summary>
    public const string AnonymousOwner = "*anonymous";

    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);

    public int Count => _owners.Count;

    /// <summary>The owner key of what <paramref name="sender"/> sends: its organization, or <see cref="AnonymousOwner"/>.</summary>
    public static string KeyOf(Principal sender) => sender.Kind == PrincipalKind.Anonymous ? AnonymousOwner : sender.Organization;

    /// <summary>Whether the ownership rule applies to an event: node events, missile-warning traffic and control are outside it.</summary>
    public static bool Applies(CotEvent evt)
        => !evt.Type.StartsWith("t-x-", StringComparison.Ordinal) && !evt.Type.StartsWith("b-w-m-", StringComparison.Ordinal);

    /// <summary>The owner of <paramref name="uid"/>, if it has one.</summary>
    public string? OwnerOf(string uid) => _owners.TryGetValue(uid, out var owner) ? owner : null;

    /// <summary>
    /// True when <paramref name="owner"/> owns <paramref name="uid"/> (it does from now on if the
    /// uid had no owner: <paramref name="claimed"/> then says so, for the store to keep).
    /// </summary>
    public bool TryClaim(string uid, string owner, out bool claimed, out string current)
    {
        claimed = false;
        while (true)
        {
            if (_owners.TryGetValue(uid, out var held))
            {
                current = held;
                return string.Equals(held, owner, StringComparison.Ordinal);
            }

            if (_owners.TryAdd(uid, owner))
            {
                claimed = true;
                current = owner;
                return true;
            }
        }
    }

    /// <summary>Restores claims read back from storage at start (the first claim of a uid wins).</summary>
    public void Restore(IEnumerable<KeyValuePair<string, string>> owners)
    {
        ArgumentNullException.ThrowIfNull(owners);
        foreach (var (uid, owner) in owners)
        {
            _owners.TryAdd(uid, owner);
        }
    }
}
