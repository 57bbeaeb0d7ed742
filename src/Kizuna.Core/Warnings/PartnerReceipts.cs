using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings;

/// <summary>
/// A receipt recorded on a partner node: one of its headquarters' clients was written (delivered)
/// or acknowledged that node's own warning about a launch this node's sensors reported. The
/// partner's warning id and version numbers are its own; the launch is the same (its warning
/// fuses one of this node's reports).
/// </summary>
/// <param name="IssuedBy">The organization hosting the partner node that issued the warning to its clients.</param>
/// <param name="Label">The label of the version the recipient got: who may read this receipt.</param>
public sealed record PartnerReceipt(
    string IssuedBy,
    string WarningId,
    int Version,
    string Recipient,
    string Organization,
    string Nation,
    DateTime? DeliveredAt,
    DateTime? AcknowledgedAt,
    ConfidentialityLabel Label);

/// <summary>The receipts partner nodes sent back for this node's warnings (federation; docs/federation.md).</summary>
public interface IPartnerReceipts
{
    /// <summary>The partner receipts of a warning of this node that <paramref name="reader"/> may see, by issuing organization and recipient.</summary>
    IReadOnlyList<PartnerReceipt> For(string warningId, Principal reader);
}
