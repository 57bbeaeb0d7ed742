using Microsoft.Extensions.Logging;

namespace Kizuna.Core.DataPackages;

/// <summary>The data package store and the file-share labels (4640-4649; the HTTP side logs 4610-4639 in Kizuna.Server).</summary>
internal static partial class DataPackageLog
{
    [LoggerMessage(4640, LogLevel.Information, "Data packages: {Count} upload records in {Directory}")]
    public static partial void Opened(ILogger logger, int count, string directory);

    [LoggerMessage(4641, LogLevel.Warning, "Data packages: skipped {File}: not a record of a file that is there (its content is missing, or it cannot be read)")]
    public static partial void RecordSkipped(ILogger logger, string file);

    [LoggerMessage(4642, LogLevel.Information, "A file share from {Identity} names a file labelled more narrowly: its label {Given} became {Narrowed}, so it reaches only who may see the file")]
    public static partial void FileShareNarrowed(ILogger logger, string identity, string given, string narrowed);
}
