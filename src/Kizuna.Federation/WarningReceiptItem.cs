using System.Globalization;
using Kizuna.Cot;

namespace Kizuna.Federation;

/// <summary>
/// A warning receipt as it travels back over the links: a <c>b-w-m-d</c> event the node that
/// issued the warning to its headquarters keeps in its history (origin: that node), which every
/// outbox carrying <c>warning</c> sends towards the nations in <see cref="ForNations"/> (the
/// nations whose sensor reports the warning fuses) and never skips. It names those nations'
/// reports, which is how their nodes find their own warning about the same launch.
/// </summary>
internal sealed record WarningReceiptItem(
    string IssuedBy,
    string WarningId,
    int Version,
    string Recipient,
    string Organization,
    string Nation,
    DateTime? DeliveredAt,
    DateTime? AcknowledgedAt,
    IReadOnlyList<string> ForNations,
    IReadOnlyList<string> Reports)
{
    public const string Type = "b-w-m-d";
    public const string Element = "__missileReceipt";

    /// <summary>A report's key as receipts name it: nation, sensor and report id (what fusion calls a duplicate).</summary>
    public static string ReportKey(string nation, string sensor, string reportId) => string.Join('/', nation, sensor, reportId);

    public CotEvent ToEvent(string nodeId, DateTime now, TimeSpan keepFor)
    {
        var element = new CotElement(Element);
        Add(element, "issuedBy", IssuedBy);
        Add(element, "warning", WarningId);
        Add(element, "version", Version.ToString(CultureInfo.InvariantCulture));
        Add(element, "recipient", Recipient);
        Add(element, "organization", Organization);
        Add(element, "nation", Nation);
        if (DeliveredAt is { } delivered)
        {
            Add(element, "delivered", CotTime.Format(delivered));
        }

        if (AcknowledgedAt is { } acknowledged)
        {
            Add(element, "acknowledged", CotTime.Format(acknowledged));
        }

        Add(element, "for", string.Join(',', ForNations));
        foreach (var report in Reports)
        {
            var one = new CotElement("report");
            Add(one, "key", report);
            element.Content.Add(one);
        }

        return new CotEvent
        {
            Uid = $"kizuna-receipt-{nodeId}-{WarningId}-{Version.ToString(CultureInfo.InvariantCulture)}-{Recipient}-{(AcknowledgedAt is null ? "delivered" : "acknowledged")}",
            Type = Type,
            How = "m-f",
            Time = now,
            Start = now,
            Stale = now + keepFor,
            Detail = CotDetail.FromElements([element]),
        };
    }

    public static bool TryRead(CotEvent evt, out WarningReceiptItem? item)
    {
        item = null;
        if (!string.Equals(evt.Type, Type, StringComparison.Ordinal) || evt.Detail.Element(Element) is not { } element
            || element.Attribute("issuedBy") is not { Length: > 0 } issuedBy
            || element.Attribute("warning") is not { Length: > 0 } warning
            || !int.TryParse(element.Attribute("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || element.Attribute("recipient") is not { Length: > 0 } recipient
            || element.Attribute("organization") is not { Length: > 0 } organization
            || element.Attribute("nation") is not { Length: > 0 } nation)
        {
            return false;
        }

        DateTime? delivered = null, acknowledged = null;
        if (element.Attribute("delivered") is { } d)
        {
            if (!CotTime.TryParse(d, out var at))
            {
                return false;
            }

            delivered = at;
        }

        if (element.Attribute("acknowledged") is { } a)
        {
            if (!CotTime.TryParse(a, out var at))
            {
                return false;
            }

            acknowledged = at;
        }

        var forNations = (element.Attribute("for") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var reports = element.Children.Where(c => string.Equals(c.Name, "report", StringComparison.Ordinal)).Select(c => c.Attribute("key")).OfType<string>().ToList();
        item = new WarningReceiptItem(issuedBy, warning, version, recipient, organization, nation, delivered, acknowledged, forNations, reports);
        return true;
    }

    private static void Add(CotElement element, string name, string value) => element.Attributes.Add(new(name, value));
}
