using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings;

/// <summary>Told (through <see cref="WarningDelivery"/>) when a warning version is on the wire to a recipient's client: a delivery receipt.</summary>
public interface IWarningReceipts
{
    void Written(Principal recipient, WarningVersion version);
}
