using Kizuna.Core.Labels;
using Kizuna.Core.Storage;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Which view of a warning a recipient gets. A warning's full view fuses every report, under the
/// most restrictive combination of their labels; one report releasable to fewer nations narrows
/// it. So that a partner is not cut off from what it may know (a later, better estimate from its
/// own or a shared sensor; a cancellation), fusion also issues, for each nation the full view no
/// longer releases to, that nation's view: fused from only the reports releasable to it.
/// Version numbers are shared: each view's versions increase, and a view skips the numbers at
/// which it did not change.
/// </summary>
public static class WarningViews
{
    /// <summary>The audience of the full view.</summary>
    public const string Everyone = "";

    /// <summary>
    /// The view a recipient gets from a warning's current views: the full view when its label
    /// permits the recipient; otherwise the view of the recipient's nation, when there is one
    /// and it permits the recipient; otherwise none.
    /// </summary>
    public static WarningVersion? For(Principal recipient, IEnumerable<WarningVersion> currentViews)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(currentViews);
        WarningVersion? full = null, own = null;
        foreach (var view in currentViews)
        {
            if (view.Audience.Length == 0)
            {
                full = Newer(full, view);
            }
            else if (string.Equals(view.Audience, recipient.Nation, StringComparison.Ordinal))
            {
                own = Newer(own, view);
            }
        }

        if (full is not null && AccessControl.Permits(recipient, full.Label))
        {
            return full;
        }

        return own is not null && AccessControl.Permits(recipient, own.Label) ? own : null;
    }

    /// <summary>
    /// A warning's history as one recipient may see it: per version number, the full view if it
    /// permits the recipient, else the recipient's nation's view if that permits it.
    /// </summary>
    public static IReadOnlyList<WarningVersion> HistoryFor(Principal recipient, IEnumerable<WarningVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(versions);
        return [.. versions
            .Where(v => v.Audience.Length == 0 || string.Equals(v.Audience, recipient.Nation, StringComparison.Ordinal))
            .Where(v => AccessControl.Permits(recipient, v.Label))
            .GroupBy(v => v.Version)
            .OrderBy(g => g.Key)
            .Select(g => g.OrderBy(v => v.Audience.Length).First())];
    }

    /// <summary>
    /// The receipts a reader may see: a receipt is of the view its recipient was given at that
    /// number (its nation's view when one was issued at that number, else the full view, as
    /// <see cref="For"/> decides), and shown only to a reader that view's label permits. So a
    /// reader of a nation's view never sees who read the full view, or another nation's view.
    /// </summary>
    public static IReadOnlyList<WarningReceipt> ReceiptsFor(Principal reader, IReadOnlyCollection<WarningVersion> versions, IEnumerable<WarningReceipt> receipts)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(receipts);
        return [.. receipts.Where(r =>
            (versions.FirstOrDefault(v => v.Version == r.Version && string.Equals(v.Audience, r.Nation, StringComparison.Ordinal))
             ?? versions.FirstOrDefault(v => v.Version == r.Version && v.Audience.Length == 0)) is { } view
            && AccessControl.Permits(reader, view.Label))];
    }

    private static WarningVersion Newer(WarningVersion? a, WarningVersion b) => a is null || b.Version > a.Version ? b : a;
}
