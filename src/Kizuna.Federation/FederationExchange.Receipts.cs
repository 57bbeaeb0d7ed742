using System.Collections.Concurrent;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;

namespace Kizuna.Federation;

/// <summary>
/// Receipts back to the issuing nations: what this node's headquarters did with a warning fused
/// from partners' sensor reports goes back over the links, through the hub, to the nodes of the
/// nations whose reports it fuses, which show it beside their own warning of the same launch.
/// </summary>
public sealed partial class FederationExchange
{
    private readonly ConcurrentDictionary<string, byte> _receiptsSent = new(StringComparer.Ordinal);
    private PartnerReceiptIndex? _partnerReceipts;

    /// <summary>The receipts partner nodes sent back for this node's warnings.</summary>
    public IPartnerReceipts PartnerReceipts => _partnerReceipts ??= new PartnerReceiptIndex(_desk?.Fusion);

    private PartnerReceiptIndex ReceiptIndex => (PartnerReceiptIndex)PartnerReceipts;

    /// <summary>
    /// A delivery or acknowledgement recorded here: kept in history as a receipt item of this
    /// node when the warning fuses another nation's report (the outboxes then carry it back).
    /// </summary>
    private void OnReceiptRecorded(WarningReceipt receipt, WarningVersion version)
    {
        if (_desk is null)
        {
            return;
        }

        var ours = NodePrincipal.Nation;
        var foreign = _desk.Fusion.ReportsOf(receipt.WarningId).Where(r => !string.Equals(r.Nation, ours, StringComparison.Ordinal)).ToList();
        if (foreign.Count == 0)
        {
            return;
        }

        var acknowledged = receipt.AcknowledgedAt is not null;
        if (!_receiptsSent.TryAdd(string.Join('\n', receipt.WarningId, receipt.Version, receipt.Recipient, acknowledged ? "a" : "d"), 0))
        {
            return;
        }

        var item = new WarningReceiptItem(
            Organization, receipt.WarningId, receipt.Version, receipt.Recipient, receipt.Organization, receipt.Nation, receipt.DeliveredAt, receipt.AcknowledgedAt,
            [.. foreign.Select(r => r.Nation).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. foreign.Select(r => WarningReceiptItem.ReportKey(r.Nation, r.Sensor, r.ReportId))]);
        var evt = item.ToEvent(NodeId, Now, WarningDesk.CurrentFor);
        Labels.Stamp(evt, version.Label);
        try
        {
            _router.ArchiveFederated(new LabelledEvent(evt, version.Label), new FederatedSource("node", Organization, NodeId, 0, string.Empty));
            CommitNow();
        }
        catch (ObjectDisposedException)
        {
            // The node is stopping.
        }
    }

    /// <summary>A receipt item from a partner, checked: its issuing node speaks only for its own headquarters.</summary>
    internal bool TryTakeReceipt(Cot.CotEvent evt, string? originOrganization, out WarningReceiptItem? item, out string? refusal)
    {
        refusal = null;
        if (!WarningReceiptItem.TryRead(evt, out item))
        {
            refusal = "an unreadable warning receipt";
            return false;
        }

        if (originOrganization is null || !string.Equals(item!.IssuedBy, originOrganization, StringComparison.Ordinal))
        {
            refusal = "a warning receipt not issued by its origin node's organization: a node speaks only for its own headquarters";
            return false;
        }

        return true;
    }

    internal void RecordPartnerReceipt(WarningReceiptItem item, ConfidentialityLabel label) => ReceiptIndex.Add(item, label);

    /// <summary>Takes the partner receipts of the last <see cref="WarningDesk.CurrentFor"/> back from the history.</summary>
    private async Task RestoreReceiptsAsync(CancellationToken cancellationToken)
    {
        var stored = await Store.QueryAsync(new EventQuery(Type: WarningReceiptItem.Type, Since: Now - WarningDesk.CurrentFor, Limit: int.MaxValue), cancellationToken).ConfigureAwait(false);
        foreach (var one in stored)
        {
            if (one.Sender.StartsWith("federation:", StringComparison.Ordinal) && WarningReceiptItem.TryRead(one.Event, out var item))
            {
                ReceiptIndex.Add(item!, Labels.ReadStored(one.Event, NodePrincipal));
            }
        }
    }

    /// <summary>
    /// Whether a receipt for <paramref name="nations"/> goes to the partner hosted by
    /// <paramref name="partnerOrganization"/>: it is of one of those nations, or the profile's
    /// links lead from it (not back through this node) to a node of one.
    /// </summary>
    internal bool LeadsTo(string partnerOrganization, IReadOnlyCollection<string> nations)
    {
        var profile = Labels.Profile;
        var seen = new HashSet<string>(StringComparer.Ordinal) { Organization, partnerOrganization };
        var next = new Queue<string>([partnerOrganization]);
        while (next.TryDequeue(out var organization))
        {
            if (profile.FindOrganization(organization) is { } found && nations.Contains(found.Nation))
            {
                return true;
            }

            // Not through another organization of this node's nation: that path would come back here.
            foreach (var partner in profile.Federation.PartnersOf(organization))
            {
                if (profile.FindOrganization(partner)?.Nation != NodePrincipal.Nation && seen.Add(partner))
                {
                    next.Enqueue(partner);
                }
            }
        }

        return false;
    }
}
