using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Diagnostics;

/// <summary>Log messages of the audit trail, coordination and readiness (event ids 1300-1399).</summary>
internal static partial class Log
{
    [LoggerMessage(1301, LogLevel.Error, "Could not append {Count} records to the audit trail in {Directory}; they are lost, and `kizuna audit verify` will not see them")]
    public static partial void AuditWriteFailed(ILogger logger, Exception exception, string directory, int count);
}
