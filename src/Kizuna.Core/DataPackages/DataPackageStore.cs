using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.DataPackages;

/// <summary>
/// The files TAK clients share (data packages and anything else they upload), kept under the data
/// directory in <c>packages/</c>: each content once, named by its SHA-256, and beside it
/// <c>HASH.json</c> with every upload record of it (who, when, under which label). Everything is
/// the node's owner's alone (0700 directory, 0600 files). Records are held in memory too; the
/// access decision is made on every answer (<see cref="Visible"/>, <see cref="Find"/>), so a
/// record the caller may not see is, to that caller, not there at all.
/// </summary>
public sealed class DataPackageStore
{
    public const string DirectoryName = "packages";
    private const string IncomingPrefix = "incoming-";

    private readonly LabelPolicy _labels;
    private readonly Principal _node;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<DataPackage>> _byHash = new(StringComparer.Ordinal);

    public DataPackageStore(string dataDir, LabelPolicy labels, Principal node, DataPackageLimits limits, TimeProvider time, ILogger<DataPackageStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        limits.Validate();
        Directory = Path.Combine(Path.GetFullPath(dataDir), DirectoryName);
        _labels = labels;
        _node = node;
        Limits = limits;
        _time = time;
        _logger = logger;
    }

    /// <summary>The <c>packages/</c> directory inside the data directory.</summary>
    public string Directory { get; }

    public DataPackageLimits Limits { get; }

    /// <summary>Upload records kept (of every label: for the node's own account, never for an answer).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byHash.Values.Sum(r => r.Count);
            }
        }
    }

    /// <summary>
    /// Creates the directory (0700) or reads what it holds: every record whose content is there,
    /// its label read back as stamped (an unreadable one becomes the most restrictive label);
    /// uploads a stop cut short are deleted.
    /// </summary>
    public void Open()
    {
        PrivateDirectory.Prepare(Directory, "data-dir");
        foreach (var leftover in System.IO.Directory.EnumerateFiles(Directory, IncomingPrefix + "*"))
        {
            File.Delete(leftover);
        }

        var loaded = 0;
        lock (_gate)
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
            {
                var hash = Path.GetFileNameWithoutExtension(path);
                if (!PackageInspection.TryNormalizeHash(hash, out _) || !File.Exists(ContentPath(hash)))
                {
                    DataPackageLog.RecordSkipped(_logger, Path.GetFileName(path));
                    continue;
                }

                List<DataPackageJson>? records;
                try
                {
                    records = JsonSerializer.Deserialize(File.ReadAllText(path), DataPackageJsonContext.Default.ListDataPackageJson);
                }
                catch (JsonException)
                {
                    DataPackageLog.RecordSkipped(_logger, Path.GetFileName(path));
                    continue;
                }

                var list = (records ?? []).Where(r => string.Equals(r.Hash, hash, StringComparison.Ordinal)).Select(FromJson).ToList();
                if (list.Count > 0)
                {
                    _byHash[hash] = list;
                    loaded += list.Count;
                }
            }
        }

        DataPackageLog.Opened(_logger, loaded, Directory);
    }

    /// <summary>Where the content of <paramref name="hash"/> (normalized) is kept.</summary>
    public string ContentPath(string hash) => Path.Combine(Directory, hash);

    /// <summary>A new upload: bytes go to a 0600 file of their own in the directory, hashed as they come, until <see cref="Accept"/> keeps them or disposing deletes them.</summary>
    public PackageUpload BeginUpload() => new(Path.Combine(Directory, IncomingPrefix + Guid.NewGuid().ToString("N")), Limits.MaxBytes);

    /// <summary>
    /// Checks the uploaded bytes (<see cref="PackageInspection"/>: the claimed hash, the content type,
    /// a zip's entries and what it unpacks to) and keeps them with a new record. Throws
    /// <see cref="PackageRefusedException"/> with the reason; then nothing is kept.
    /// </summary>
    public DataPackage Accept(PackageUpload upload, DataPackageDraft draft)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(draft);
        var hash = upload.Complete();
        if (draft.ClaimedHash is { } claimed && !string.Equals(claimed, hash, StringComparison.Ordinal))
        {
            throw new PackageRefusedException(PackageRefusal.HashMismatch, "the hash given is not the SHA-256 of the content sent");
        }

        var mimeType = PackageInspection.Inspect(upload.Path, draft.Name, draft.DeclaredType, Limits);
        var record = new DataPackage(
            Guid.NewGuid().ToString(), hash, draft.Name, mimeType, upload.Length, draft.CreatorUid, draft.Submitter.Name,
            draft.Submitter.Organization, _time.GetUtcNow().UtcDateTime, draft.Keywords, draft.Tool, draft.Label);
        lock (_gate)
        {
            var content = ContentPath(hash);
            if (File.Exists(content))
            {
                upload.Discard();
            }
            else
            {
                upload.MoveTo(content);
            }

            if (!_byHash.TryGetValue(hash, out var records))
            {
                _byHash[hash] = records = [];
            }

            records.Add(record);
            Save(hash, records);
        }

        return record;
    }

    /// <summary>Every record <paramref name="caller"/> may see, newest first.</summary>
    public IReadOnlyList<DataPackage> Visible(Principal caller)
    {
        lock (_gate)
        {
            return _byHash.Values.SelectMany(r => r).Where(r => AccessControl.Permits(caller, r.Label)).OrderByDescending(r => r.SubmittedAt).ToList();
        }
    }

    /// <summary>
    /// The record of <paramref name="hash"/> the caller may see (its own organization's first, then the
    /// newest), or null when there is none: missing and hidden are the same answer. <paramref name="why"/>
    /// says which it was, for the node's log only.
    /// </summary>
    public DataPackage? Find(string hash, Principal caller, out string why)
    {
        lock (_gate)
        {
            if (!_byHash.TryGetValue(hash, out var records))
            {
                why = "no such file";
                return null;
            }

            var visible = records.Where(r => AccessControl.Permits(caller, r.Label)).OrderByDescending(r => r.SubmittedAt).ToList();
            var found = visible.FirstOrDefault(r => string.Equals(r.Organization, caller.Organization, StringComparison.Ordinal)) ?? visible.FirstOrDefault();
            why = found is null ? "hidden by its label: " + AccessControl.Decide(caller, records[^1].Label).Describe() : "visible";
            return found;
        }
    }

    /// <summary>Every record of <paramref name="hash"/>, whoever may see it: for the node's own decisions (a file-share event's label), never for an answer.</summary>
    internal IReadOnlyList<DataPackage> Records(string hash)
    {
        lock (_gate)
        {
            return _byHash.TryGetValue(hash, out var records) ? [.. records] : [];
        }
    }

    /// <summary>
    /// Sets the tool (<c>public</c>/<c>private</c>) of the records of <paramref name="hash"/> that the
    /// caller may see and its organization uploaded. Returns how many changed; <paramref name="visible"/>
    /// says whether the caller may see any record of it at all.
    /// </summary>
    public int SetTool(string hash, Principal caller, string tool, out bool visible)
    {
        lock (_gate)
        {
            visible = false;
            if (!_byHash.TryGetValue(hash, out var records))
            {
                return 0;
            }

            var changed = 0;
            for (var i = 0; i < records.Count; i++)
            {
                if (!AccessControl.Permits(caller, records[i].Label))
                {
                    continue;
                }

                visible = true;
                if (string.Equals(records[i].Organization, caller.Organization, StringComparison.Ordinal))
                {
                    records[i] = records[i] with { Tool = tool };
                    changed++;
                }
            }

            if (changed > 0)
            {
                Save(hash, records);
            }

            return changed;
        }
    }

    private void Save(string hash, List<DataPackage> records)
    {
        var path = Path.Combine(Directory, hash + ".json");
        var temporary = path + ".tmp";
        PrivateDirectory.WriteAllText(temporary, JsonSerializer.Serialize(records.Select(ToJson).ToList(), DataPackageJsonContext.Default.ListDataPackageJson) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The label as its CoT attributes and element, the form every stored event keeps it in.</summary>
    private DataPackageJson ToJson(DataPackage record)
    {
        var carrier = new CotEvent { Uid = record.Uid, Type = "b-f-t-r" };
        _labels.Stamp(carrier, record.Label);
        return new DataPackageJson(record.Uid, record.Hash, record.Name, record.MimeType, record.Size, record.CreatorUid, record.Submitter,
            record.Organization, record.SubmittedAt, [.. record.Keywords], record.Tool, carrier.Access ?? string.Empty, carrier.ReleasableTo ?? string.Empty,
            carrier.Caveat, carrier.Detail.IsEmpty ? null : carrier.Detail.InnerXml);
    }

    private DataPackage FromJson(DataPackageJson json)
    {
        var carrier = new CotEvent
        {
            Uid = json.Uid,
            Type = "b-f-t-r",
            Access = json.Access,
            ReleasableTo = json.ReleasableTo,
            Caveat = json.Caveat,
            Detail = json.LabelElement is { } element ? CotDetail.FromXml(element) : CotDetail.Empty,
        };
        return new DataPackage(json.Uid, json.Hash, json.Name, json.MimeType, json.Size, json.CreatorUid, json.Submitter, json.Organization,
            DateTime.SpecifyKind(json.SubmittedAt, DateTimeKind.Utc), json.Keywords, json.Tool, _labels.ReadStored(carrier, _node));
    }
}

/// <summary>
/// An upload on its way in: written to a 0600 file of its own as it arrives, hashed (SHA-256) and
/// counted; more than the limit stops it (<see cref="PackageRefusal.TooLarge"/>). Disposed without
/// being kept, the file is deleted.
/// </summary>
public sealed class PackageUpload : IDisposable
{
    private readonly long _maxBytes;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private FileStream? _file;
    private string? _hash;
    private bool _kept;

    internal PackageUpload(string path, long maxBytes)
    {
        Path = path;
        _maxBytes = maxBytes;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateDirectory.FileMode;
        }

        _file = new FileStream(path, options);
    }

    internal string Path { get; }

    /// <summary>Bytes received so far.</summary>
    public long Length { get; private set; }

    /// <summary>Copies <paramref name="source"/> to its end; throws <see cref="PackageRefusedException"/> (too large) past the limit.</summary>
    public async Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var file = _file ?? throw new InvalidOperationException("The upload is complete.");
        if (Length + bytes.Length > _maxBytes)
        {
            throw new PackageRefusedException(PackageRefusal.TooLarge, $"the file is larger than {_maxBytes} bytes, the most this node takes");
        }

        Length += bytes.Length;
        _sha256.AppendData(bytes.Span);
        await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the file; returns its SHA-256 (lowercase hex).</summary>
    internal string Complete()
    {
        if (_hash is null)
        {
            _file?.Dispose();
            _file = null;
            _hash = Convert.ToHexStringLower(_sha256.GetHashAndReset());
        }

        return _hash;
    }

    internal void MoveTo(string path)
    {
        File.Move(Path, path);
        _kept = true;
    }

    internal void Discard() => File.Delete(Path);

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _sha256.Dispose();
        if (!_kept)
        {
            File.Delete(Path);
        }
    }
}

/// <summary>One record in <c>HASH.json</c>; the label as the CoT attributes and label element stamped on a carrier event.</summary>
internal sealed record DataPackageJson(
    string Uid, string Hash, string Name, string MimeType, long Size, string? CreatorUid, string Submitter, string Organization,
    DateTime SubmittedAt, List<string> Keywords, string Tool, string Access, string ReleasableTo, string? Caveat, string? LabelElement);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<DataPackageJson>))]
internal sealed partial class DataPackageJsonContext : JsonSerializerContext;
