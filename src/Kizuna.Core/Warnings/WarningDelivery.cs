using Kizuna.Core.Labels;
using Kizuna.Core.Routing;

namespace Kizuna.Core.Warnings;

/// <summary>
/// A warning's metadata as the router carries it (<see cref="SharedEvent.Payload"/>): the version
/// a b-w-m-w event shows, and for an escalation the organization that has not acknowledged it.
/// A warning records a delivery receipt as each writer puts it on the wire; an escalation does not.
/// One per event sent (a view, a resend, an escalation), never one per recipient.
/// </summary>
public sealed class WarningDelivery : IDeliveryPayload
{
    private readonly IWarningReceipts? _receipts;

    private WarningDelivery(WarningVersion version, string? escalatedFrom, IWarningReceipts? receipts)
    {
        Version = version;
        EscalatedFrom = escalatedFrom;
        _receipts = receipts;
    }

    /// <summary>The version the event shows (for clients that show warnings rather than CoT: the console).</summary>
    public WarningVersion Version { get; }

    /// <summary>On an escalation: the organization that has not acknowledged; null on a warning.</summary>
    public string? EscalatedFrom { get; }

    /// <summary>True on an escalation (a version sent up the chain of a silent organization).</summary>
    public bool IsEscalation => EscalatedFrom is not null;

    /// <summary>A warning version, whose writes are receipted to <paramref name="receipts"/>.</summary>
    public static WarningDelivery Warning(WarningVersion version, IWarningReceipts receipts)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(receipts);
        return new WarningDelivery(version, null, receipts);
    }

    /// <summary>An escalation of <paramref name="version"/> because <paramref name="silent"/> has not acknowledged it: no receipt.</summary>
    public static WarningDelivery Escalation(WarningVersion version, string silent)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(silent);
        return new WarningDelivery(version, silent, null);
    }

    /// <inheritdoc />
    public void Written(Principal recipient) => _receipts?.Written(recipient, Version);
}
