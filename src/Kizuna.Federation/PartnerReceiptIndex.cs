using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;

namespace Kizuna.Federation;

/// <summary>
/// The receipts partner nodes sent back, found by the reports they name: a warning of this node
/// shows the receipts of every partner warning that fuses one of its reports. Kept in memory,
/// rebuilt from the history at start (the receipts themselves are events in the history).
/// </summary>
internal sealed class PartnerReceiptIndex(WarningFusion? fusion) : IPartnerReceipts
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PartnerReceipt> _receipts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _byReport = new(StringComparer.Ordinal);

    /// <summary>Receipts held (a delivery and an acknowledgement of one version by one recipient are one).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _receipts.Count;
            }
        }
    }

    public void Add(WarningReceiptItem item, ConfidentialityLabel label)
    {
        var key = string.Join('\n', item.IssuedBy, item.WarningId, item.Version, item.Recipient);
        lock (_gate)
        {
            var merged = _receipts.TryGetValue(key, out var known)
                ? known with { DeliveredAt = Earliest(known.DeliveredAt, item.DeliveredAt), AcknowledgedAt = Earliest(known.AcknowledgedAt, item.AcknowledgedAt) }
                : new PartnerReceipt(item.IssuedBy, item.WarningId, item.Version, item.Recipient, item.Organization, item.Nation, item.DeliveredAt, item.AcknowledgedAt, label);
            _receipts[key] = merged;
            foreach (var report in item.Reports)
            {
                if (!_byReport.TryGetValue(report, out var keys))
                {
                    _byReport[report] = keys = new HashSet<string>(StringComparer.Ordinal);
                }

                keys.Add(key);
            }
        }
    }

    public IReadOnlyList<PartnerReceipt> For(string warningId, Principal reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (fusion is null)
        {
            return [];
        }

        var reports = fusion.ReportsOf(warningId);
        var found = new List<PartnerReceipt>();
        lock (_gate)
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var report in reports)
            {
                if (_byReport.TryGetValue(WarningReceiptItem.ReportKey(report.Nation, report.Sensor, report.ReportId), out var some))
                {
                    keys.UnionWith(some);
                }
            }

            found.AddRange(keys.Select(k => _receipts[k]).Where(r => AccessControl.Permits(reader, r.Label)));
        }

        return [.. found.OrderBy(r => r.IssuedBy, StringComparer.Ordinal).ThenBy(r => r.Organization, StringComparer.Ordinal)
            .ThenBy(r => r.Recipient, StringComparer.Ordinal).ThenBy(r => r.Version)];
    }

    private static DateTime? Earliest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
