using Kizuna.Core.Labels;

namespace Kizuna.Core.DataPackages;

/// <summary>
/// One upload of a file as the node keeps it: the content is stored once per SHA-256, and each
/// upload of it is a record of its own with the uploader's label, so a file two nations uploaded
/// under their own labels is visible to whoever may see either record.
/// </summary>
/// <param name="Uid">The record's id (TAK Server's <c>UID</c> and <c>PrimaryKey</c>): random, so it counts nothing.</param>
/// <param name="Hash">SHA-256 of the content, lowercase hex.</param>
/// <param name="Name">The file name the uploader gave (no path).</param>
/// <param name="MimeType">The content type the uploader declared, checked against the bytes.</param>
/// <param name="CreatorUid">The uploading client's device uid (ATAK's <c>creatorUid</c>), if given.</param>
/// <param name="Submitter">The uploader's identity (certificate name).</param>
/// <param name="Organization">The uploader's organization: only it may change the record's tool.</param>
/// <param name="Tool"><c>public</c> (listed among the server's data packages) or <c>private</c> (shared only).</param>
/// <param name="Label">Who may see the record: the uploader's default, or the label given with the upload.</param>
public sealed record DataPackage(
    string Uid,
    string Hash,
    string Name,
    string MimeType,
    long Size,
    string? CreatorUid,
    string Submitter,
    string Organization,
    DateTime SubmittedAt,
    IReadOnlyList<string> Keywords,
    string Tool,
    ConfidentialityLabel Label);

/// <summary>What an uploader asks to keep, before the bytes are checked (<see cref="DataPackageStore.Accept"/>).</summary>
public sealed record DataPackageDraft(
    string Name,
    string? DeclaredType,
    string? ClaimedHash,
    string? CreatorUid,
    Principal Submitter,
    IReadOnlyList<string> Keywords,
    string Tool,
    ConfidentialityLabel Label);

/// <summary>Why an upload was refused. Stable names: they are metric labels.</summary>
public enum PackageRefusal
{
    /// <summary>Larger than <see cref="DataPackageLimits.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>Not the form expected: no multipart boundary, a broken multipart body, no file in it.</summary>
    MalformedUpload,

    /// <summary>A file name with a path (a slash, a backslash, a drive), a dot name, control characters, or too long.</summary>
    BadFileName,

    /// <summary>Another parameter is malformed (a hash that is not SHA-256 hex, a keyword, a creator uid, a tool).</summary>
    BadParameter,

    /// <summary>The hash the client named is not the SHA-256 of what it sent.</summary>
    HashMismatch,

    /// <summary>The declared content type (or the name's extension) disagrees with the bytes, or cannot be read.</summary>
    ContentTypeMismatch,

    /// <summary>A zip that cannot be read (broken, encrypted, an unknown compression method).</summary>
    MalformedZip,

    /// <summary>A zip entry whose name is absolute or climbs out of the folder it is unpacked into.</summary>
    UnsafeZipEntry,

    /// <summary>A zip that unpacks to more than <see cref="DataPackageLimits.MaxUnpackedBytes"/>, has too many entries, or compresses beyond <see cref="DataPackageLimits.MaxCompressionRatio"/>.</summary>
    ZipBomb,

    /// <summary>The label given with the upload is above the uploader's clearance, releases wider than its organization may, or cannot be read.</summary>
    LabelRefused,
}

/// <summary>An upload refused, with the reason told to the client and logged; nothing of it is kept.</summary>
public sealed class PackageRefusedException(PackageRefusal refusal, string reason) : Exception(reason)
{
    public PackageRefusal Refusal { get; } = refusal;
}

/// <summary>Every limit on uploaded files, with its default. Only <see cref="MaxBytes"/> and <see cref="MaxUnpackedBytes"/> are node settings.</summary>
public sealed record DataPackageLimits
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;
    public const long DefaultMaxUnpackedBytes = 512L * 1024 * 1024;

    /// <summary>The largest file taken (<c>--max-package-bytes</c>).</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>A zip may unpack to at most this many bytes in all (<c>--max-package-unpacked-bytes</c>), counted by unpacking it, not from what its directory claims.</summary>
    public long MaxUnpackedBytes { get; init; } = DefaultMaxUnpackedBytes;

    /// <summary>A zip that unpacks to more than <see cref="RatioFloorBytes"/> may be at most this many times its own size unpacked (text compresses about ten times; a bomb thousands).</summary>
    public int MaxCompressionRatio { get; init; } = 100;

    /// <summary>Below this many unpacked bytes the ratio is not checked: a small file of repeated text is no bomb.</summary>
    public long RatioFloorBytes { get; init; } = 1024 * 1024;

    /// <summary>Entries a zip may hold.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>Characters a file name may have.</summary>
    public int MaxNameLength { get; init; } = 255;

    /// <summary>Keywords an upload may carry, and characters each.</summary>
    public int MaxKeywords { get; init; } = 16;

    public int MaxKeywordLength { get; init; } = 64;

    public void Validate()
    {
        if (MaxBytes <= 0 || MaxUnpackedBytes <= 0 || MaxCompressionRatio <= 0 || MaxEntries <= 0 || MaxNameLength <= 0)
        {
            throw new ArgumentException("Data package limits must be positive.");
        }
    }
}
