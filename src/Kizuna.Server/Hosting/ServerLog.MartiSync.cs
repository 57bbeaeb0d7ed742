using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Hosting;

/// <summary>Data packages over the Marti sync endpoints (4610-4639; the store itself logs 4640-4649).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(4610, LogLevel.Information, "{Identity} ({Organization}) uploaded {Bytes} bytes through {Endpoint} from {RemoteEndpoint}: SHA-256 {Hash}, {MimeType}, labelled {Label}, record {Uid}")]
    public static partial void PackageStored(ILogger logger, string identity, string organization, long bytes, string endpoint, string remoteEndpoint, string hash, string mimeType, string label, string uid);

    [LoggerMessage(4611, LogLevel.Warning, "Refused an upload from {Identity} through {Endpoint} from {RemoteEndpoint}: {Refusal}: {Reason}; nothing was kept")]
    public static partial void PackageRefused(ILogger logger, string identity, string endpoint, string remoteEndpoint, string refusal, string reason);

    [LoggerMessage(4612, LogLevel.Information, "{Identity} asked {Endpoint} for file {Hash}: {Why}; answered as for a missing file")]
    public static partial void PackageNotShown(ILogger logger, string identity, string endpoint, string hash, string why);

    [LoggerMessage(4613, LogLevel.Information, "{Identity} set the tool of {Count} records of file {Hash} to {Tool}")]
    public static partial void PackageToolSet(ILogger logger, string identity, int count, string hash, string tool);

    [LoggerMessage(4614, LogLevel.Warning, "Refused {Identity} setting the tool of file {Hash}: {Reason}")]
    public static partial void PackageToolRefused(ILogger logger, string identity, string hash, string reason);

    [LoggerMessage(4615, LogLevel.Warning, "Refused a request of {Identity} to {Endpoint}: {Reason}")]
    public static partial void SyncRequestRefused(ILogger logger, string identity, string endpoint, string reason);

    [LoggerMessage(4616, LogLevel.Debug, "Served file {Hash} ({Bytes} bytes) to {Identity}")]
    public static partial void PackageServed(ILogger logger, string hash, long bytes, string identity);

    [LoggerMessage(4617, LogLevel.Debug, "{Identity} polled {Endpoint}, which has nothing for it (answered {Status})")]
    public static partial void NothingToPoll(ILogger logger, string identity, string endpoint, int status);

    [LoggerMessage(4620, LogLevel.Information, "Operator {Operator} made a connection package for {Identity} ({Nation}/{Organization}/{Role}, cleared {Clearance}), connecting to {Host}:{Port}")]
    public static partial void ConnectionPackageIssued(ILogger logger, string @operator, string identity, string nation, string organization, string role, string clearance, string host, int port);

    [LoggerMessage(4621, LogLevel.Warning, "Refused a connection package asked by {Identity}: {Reason}")]
    public static partial void ConnectionPackageRefused(ILogger logger, string identity, string reason);
}
