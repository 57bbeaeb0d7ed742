using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Hosting;

/// <summary>Certificate enrollment and the Marti endpoints TAK clients poll (4600-4649).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(4600, LogLevel.Information, "Enrolled {Identity} ({Nation}/{Organization}/{Role}, cleared {Clearance}) from {RemoteEndpoint}: certificate serial {Serial}, client uid {ClientUid}")]
    public static partial void EnrollmentIssued(ILogger logger, string identity, string nation, string organization, string role, string clearance, string remoteEndpoint, string serial, string clientUid);

    [LoggerMessage(4601, LogLevel.Warning, "Refused an enrollment from {RemoteEndpoint} for user {User}: {Reason}")]
    public static partial void EnrollmentRefused(ILogger logger, string remoteEndpoint, string user, string reason);

    [LoggerMessage(4602, LogLevel.Warning, "Refused an enrollment from {RemoteEndpoint}: {Max} attempts within {Minutes} minutes from that address already (rate limit)")]
    public static partial void EnrollmentRateLimited(ILogger logger, string remoteEndpoint, int max, double minutes);
}
