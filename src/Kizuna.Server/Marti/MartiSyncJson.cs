using System.Globalization;
using System.Text.Json.Serialization;
using Kizuna.Core.DataPackages;

namespace Kizuna.Server.Marti;

/// <summary>
/// One file as TAK Server describes it in <c>/Marti/sync/search</c> and the answer to
/// <c>/Marti/sync/upload</c> (the names are TAK Server's; <c>Label</c> is Kizuna's, the banner of
/// the record's label).
/// </summary>
public sealed record SyncResourceJson(
    [property: JsonPropertyName("EXPIRATION")] string Expiration,
    [property: JsonPropertyName("UID")] string Uid,
    [property: JsonPropertyName("SubmissionDateTime")] string SubmissionDateTime,
    [property: JsonPropertyName("Keywords")] IReadOnlyList<string> Keywords,
    [property: JsonPropertyName("MIMEType")] string MimeType,
    [property: JsonPropertyName("Size")] string Size,
    [property: JsonPropertyName("SubmissionUser")] string SubmissionUser,
    [property: JsonPropertyName("PrimaryKey")] string PrimaryKey,
    [property: JsonPropertyName("Hash")] string Hash,
    [property: JsonPropertyName("CreatorUid")] string? CreatorUid,
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("Tool")] string Tool,
    [property: JsonPropertyName("Label")] string Label)
{
    public static SyncResourceJson From(DataPackage record) => new(
        "-1", record.Uid, Time(record.SubmittedAt), record.Keywords, record.MimeType, record.Size.ToString(CultureInfo.InvariantCulture),
        record.Submitter, record.Uid, record.Hash, record.CreatorUid, record.Name, record.Tool, record.Label.Banner);

    internal static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The answer of <c>GET /Marti/sync/search</c>.</summary>
public sealed record SyncSearchJson(
    [property: JsonPropertyName("resultCount")] int ResultCount,
    [property: JsonPropertyName("results")] IReadOnlyList<SyncResourceJson> Results);

/// <summary>One file in <c>GET /Marti/api/sync/search</c> (inside TAK Server's envelope), as node-tak's <c>Files.list</c> reads it.</summary>
public sealed record SyncFileJson(
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("keywords")] IReadOnlyList<string> Keywords,
    [property: JsonPropertyName("mimeType")] string MimeType,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("submissionTime")] string SubmissionTime,
    [property: JsonPropertyName("submitter")] string Submitter,
    [property: JsonPropertyName("uid")] string Uid,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("label")] string Label)
{
    public static SyncFileJson From(DataPackage record) => new(
        record.Name, record.Keywords, record.MimeType, record.Name, SyncResourceJson.Time(record.SubmittedAt), record.Submitter, record.Uid, record.Hash, record.Size, record.Label.Banner);
}

[JsonSerializable(typeof(SyncResourceJson))]
[JsonSerializable(typeof(SyncSearchJson))]
[JsonSerializable(typeof(MartiResponse<List<SyncFileJson>>))]
internal sealed partial class MartiSyncJsonContext : JsonSerializerContext;
