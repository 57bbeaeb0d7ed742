using Kizuna.Core.Routing;

namespace Kizuna.Core.Warnings;

/// <summary>Told by a connection's writer when a warning version is on the wire to its client (a delivery receipt).</summary>
public interface IWarningReceipts
{
    void Written(ClientSession session, WarningVersion version);
}
