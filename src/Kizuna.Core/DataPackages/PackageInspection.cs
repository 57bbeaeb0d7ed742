using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Net.Http.Headers;

namespace Kizuna.Core.DataPackages;

/// <summary>
/// The checks an uploaded file passes before it is kept: its name (no path), its hash, the
/// parameters stored with it, its content type against its bytes, and for a zip (whatever it
/// claims to be) every entry's name and what it really unpacks to. Each failure is a
/// <see cref="PackageRefusedException"/> whose message says what was wrong without echoing the
/// client's bytes.
/// </summary>
public static class PackageInspection
{
    /// <summary>What the first bytes say a file is.</summary>
    public enum Sniffed
    {
        Unknown,
        Zip,
        Png,
        Jpeg,
        Gif,
        Pdf,
    }

    private static readonly string[] ZipTypes =
        ["application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip", "application/vnd.google-earth.kmz"];

    private static readonly string[] ZipExtensions = [".zip", ".kmz", ".dpk"];

    private static readonly (string Type, string[] Extensions, Sniffed Kind)[] Known =
    [
        ("image/png", [".png"], Sniffed.Png),
        ("image/jpeg", [".jpg", ".jpeg"], Sniffed.Jpeg),
        ("image/gif", [".gif"], Sniffed.Gif),
        ("application/pdf", [".pdf"], Sniffed.Pdf),
    ];

    /// <summary>
    /// A file name without a path: not empty, no slash or backslash, no drive or stream colon, not
    /// <c>.</c> or <c>..</c>, no control characters, at most <paramref name="maxLength"/> characters.
    /// </summary>
    public static bool IsSafeFileName(string? name, int maxLength, [NotNullWhen(false)] out string? reason)
    {
        reason = name switch
        {
            null or "" => "a file name is required",
            _ when name.Length > maxLength => $"the file name is longer than {maxLength} characters",
            "." or ".." => "the file name is a directory reference",
            _ when name.AsSpan().IndexOfAny('/', '\\', ':') >= 0 => "the file name has a path in it (a slash, backslash or colon): give the name alone",
            _ when HasControl(name) => "the file name has control characters",
            _ when name.Trim().Length == 0 => "the file name is blank",
            _ => null,
        };
        return reason is null;
    }

    /// <summary>A SHA-256 as 64 hex digits; returns it in lowercase.</summary>
    public static bool TryNormalizeHash(string? text, [NotNullWhen(true)] out string? hash)
    {
        hash = null;
        if (text is null || text.Length != 64)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        hash = text.ToLowerInvariant();
        return true;
    }

    /// <summary>A short text stored with a file and shown to others (a keyword, a creator uid): no control characters, bounded.</summary>
    public static bool IsSafeText(string text, int maxLength) => text.Length <= maxLength && !HasControl(text);

    /// <summary>What the first bytes of a file are.</summary>
    public static Sniffed Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0x50, 0x4B, 0x03 or 0x05 or 0x07, 0x04 or 0x06 or 0x08, ..] => Sniffed.Zip,
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => Sniffed.Png,
        [0xFF, 0xD8, 0xFF, ..] => Sniffed.Jpeg,
        [0x47, 0x49, 0x46, 0x38, 0x37 or 0x39, 0x61, ..] => Sniffed.Gif,
        [0x25, 0x50, 0x44, 0x46, 0x2D, ..] => Sniffed.Pdf,
        _ => Sniffed.Unknown,
    };

    /// <summary>
    /// Checks the file at <paramref name="path"/> (already within <see cref="DataPackageLimits.MaxBytes"/>)
    /// and returns the content type to keep with it: the declared one, else what the bytes are.
    /// A declared zip type or zip name must be a zip; a declared image or PDF type or extension must
    /// be that; bytes that are a zip are checked as a zip whatever they claim.
    /// </summary>
    public static string Inspect(string path, string name, string? declaredType, DataPackageLimits limits)
    {
        string? declared = null;
        if (!string.IsNullOrWhiteSpace(declaredType))
        {
            if (!MediaTypeHeaderValue.TryParse(declaredType, out var media) || media.MediaType is null || !media.MediaType.Contains('/', StringComparison.Ordinal))
            {
                throw new PackageRefusedException(PackageRefusal.ContentTypeMismatch, "the declared content type cannot be read (expected type/subtype, such as application/zip)");
            }

            // The generic default says nothing: what the bytes are is kept instead.
            declared = media.MediaType.ToLowerInvariant() is var type && type != "application/octet-stream" ? type : null;
        }

        var head = new byte[8];
        int read;
        using (var file = File.OpenRead(path))
        {
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        var kind = Sniff(head.AsSpan(0, read));
        var extension = Path.GetExtension(name).ToLowerInvariant();
        var wantsZip = (declared is not null && ZipTypes.Contains(declared)) || ZipExtensions.Contains(extension);
        if (wantsZip && kind != Sniffed.Zip)
        {
            throw new PackageRefusedException(PackageRefusal.ContentTypeMismatch,
                $"declared a zip ({declared ?? extension}) but the content is {Describe(kind)}");
        }

        foreach (var (type, extensions, known) in Known)
        {
            if ((declared == type || extensions.Contains(extension)) && kind != known)
            {
                throw new PackageRefusedException(PackageRefusal.ContentTypeMismatch,
                    $"declared {(declared == type ? type : extension)} but the content is {Describe(kind)}");
            }
        }

        if (kind == Sniffed.Zip)
        {
            InspectZip(path, limits);
        }

        return declared ?? kind switch
        {
            Sniffed.Zip => "application/zip",
            Sniffed.Png => "image/png",
            Sniffed.Jpeg => "image/jpeg",
            Sniffed.Gif => "image/gif",
            Sniffed.Pdf => "application/pdf",
            _ => "application/octet-stream",
        };
    }

    /// <summary>
    /// A zip is read to the end: at most <see cref="DataPackageLimits.MaxEntries"/> entries, each name
    /// relative and staying inside (a client unpacks it; WinTAK on Windows too, so backslashes and
    /// drives count), and what it really unpacks to (not what its directory claims) within
    /// <see cref="DataPackageLimits.MaxUnpackedBytes"/> and the compression ratio.
    /// </summary>
    public static void InspectZip(string path, DataPackageLimits limits)
    {
        var packed = new FileInfo(path).Length;
        try
        {
            using var file = File.OpenRead(path);
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            if (zip.Entries.Count > limits.MaxEntries)
            {
                throw new PackageRefusedException(PackageRefusal.ZipBomb, $"the zip has {zip.Entries.Count} entries, more than {limits.MaxEntries}");
            }

            long claimed = 0;
            foreach (var entry in zip.Entries)
            {
                if (!IsSafeEntryName(entry.FullName, out var why))
                {
                    throw new PackageRefusedException(PackageRefusal.UnsafeZipEntry, $"a zip entry's name {why}");
                }

                claimed += entry.Length;
            }

            if (claimed > limits.MaxUnpackedBytes)
            {
                throw new PackageRefusedException(PackageRefusal.ZipBomb, $"the zip says it unpacks to {claimed} bytes, more than {limits.MaxUnpackedBytes}");
            }

            var buffer = new byte[81920];
            long unpacked = 0;
            foreach (var entry in zip.Entries)
            {
                using var content = entry.Open();
                int n;
                while ((n = content.Read(buffer)) > 0)
                {
                    unpacked += n;
                    if (unpacked > limits.MaxUnpackedBytes)
                    {
                        throw new PackageRefusedException(PackageRefusal.ZipBomb, $"the zip unpacks to more than {limits.MaxUnpackedBytes} bytes");
                    }
                }
            }

            if (unpacked > limits.RatioFloorBytes && unpacked > packed * limits.MaxCompressionRatio)
            {
                throw new PackageRefusedException(PackageRefusal.ZipBomb,
                    $"the zip unpacks to {unpacked / Math.Max(packed, 1)} times its size ({unpacked} bytes from {packed}), more than {limits.MaxCompressionRatio} times");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or IOException)
        {
            throw new PackageRefusedException(PackageRefusal.MalformedZip, "the zip cannot be read (broken, encrypted or an unsupported compression method)");
        }
    }

    /// <summary>Relative, no <c>..</c> segment, no drive, no control characters (either slash counts as a separator).</summary>
    private static bool IsSafeEntryName(string name, [NotNullWhen(false)] out string? reason)
    {
        reason = null;
        if (name.Length == 0 || HasControl(name))
        {
            reason = "is empty or has control characters";
        }
        else if (name[0] is '/' or '\\' || (name.Length >= 2 && name[1] == ':'))
        {
            reason = "is an absolute path";
        }
        else if (name.Split('/', '\\').Any(segment => segment == ".."))
        {
            reason = "climbs out of its folder (..)";
        }

        return reason is null;
    }

    private static string Describe(Sniffed kind) => kind switch
    {
        Sniffed.Unknown => "something else",
        Sniffed.Zip => "a zip",
        _ => "a " + kind.ToString().ToUpperInvariant(),
    };

    private static bool HasControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
