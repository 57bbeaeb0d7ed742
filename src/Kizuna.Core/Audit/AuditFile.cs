using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Storage;

namespace Kizuna.Core.Audit;

/// <summary>
/// The trail's files under <c>DATA/audit/</c>: <c>audit.jsonl</c> (the current file: one record a
/// line, appended only), the files it rotated into (<c>audit-SEQ.jsonl</c>, named by the sequence
/// number of their first record, twelve digits), and <c>checkpoints.jsonl</c> (signed
/// checkpoints). The current file rotates when it reaches the rotation size or a record of a new
/// UTC day comes; the chain goes on across files (the first record of a new file has the last
/// hash of the file before as its <c>prev</c>). More than one process may append (the node, and
/// <c>kizuna certs</c> or <c>kizuna federation trust</c> while it runs): every append holds
/// <c>audit.lock</c> exclusively and first reads the tail the others may have added, so the chain
/// stays one chain.
/// </summary>
public sealed class AuditFile
{
    public const string RecordsName = "audit.jsonl";
    public const string RotatedPrefix = "audit-";
    public const string CheckpointsName = "checkpoints.jsonl";
    public const string LockName = "audit.lock";

    /// <summary>The size at which the current file rotates unless the node says otherwise (<c>--audit-rotate</c>).</summary>
    public const long DefaultRotateBytes = 64L * 1024 * 1024;

    /// <summary>How long an append waits for another process's lock before it gives up.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly long _rotateBytes;
    private long _knownLength = -1;
    private DateTime? _lastTime;

    public AuditFile(string directory, long rotateBytes = DefaultRotateBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rotateBytes, 1);
        _rotateBytes = rotateBytes;
        Directory = directory;
        if (!System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        foreach (var name in new[] { RecordsName, CheckpointsName, LockName })
        {
            PrivateDirectory.CreateFile(Path.Combine(directory, name));
        }
    }

    /// <summary>The audit directory of a data directory.</summary>
    public static string DirectoryOf(string dataDir) => Path.Combine(dataDir, "audit");

    public string Directory { get; }

    /// <summary>The sequence number of the last record appended (0 before the first).</summary>
    public long Seq { get; private set; }

    /// <summary>The hash of the last record appended (<see cref="AuditRecord.Genesis"/> before the first).</summary>
    public string Hash { get; private set; } = AuditRecord.Genesis;

    /// <summary>The <see cref="Seq"/> the last checkpoint written here vouched for.</summary>
    public long CheckpointedSeq { get; private set; }

    /// <summary>
    /// Appends entries (each with its time) under the lock, chained after whatever the file holds,
    /// and then, when <paramref name="signer"/> is given and there is something new to vouch for,
    /// a checkpoint. Written to the OS when it returns; synced to disk with the checkpoint, so a
    /// power failure loses at most the records since the last one (a crash of the process none).
    /// </summary>
    public void Append(IReadOnlyList<(AuditEntry Entry, DateTime Time)> entries, string node, X509Certificate2? signer, DateTime now)
    {
        using var held = ExclusiveFileLock.Acquire(Path.Combine(Directory, LockName), LockTimeout);
        var records = OpenCurrent();
        try
        {
            if (records.Length != _knownLength)
            {
                ReadTail(records);
            }

            records.Seek(0, SeekOrigin.End);
            using var buffer = new MemoryStream(entries.Count * 320);
            foreach (var (entry, time) in entries)
            {
                // The current file rotates before a record that would pass its size or begins a new UTC day.
                var length = records.Length + buffer.Length;
                if (length > 0 && (length >= _rotateBytes || (_lastTime is { } last && last.Date != time.ToUniversalTime().Date)))
                {
                    WriteOut(buffer, records);
                    records = Rotate(records);
                }

                var (record, line) = AuditRecord.Create(Seq + 1, time, node, entry, Hash);
                buffer.Write(line);
                buffer.WriteByte((byte)'\n');
                Seq = record.Seq;
                Hash = record.Hash;
                _lastTime = record.Time;
            }

            WriteOut(buffer, records);
            _knownLength = records.Length;
            if (signer is not null && Seq > CheckpointedSeq)
            {
                records.Flush(flushToDisk: true);
                var checkpoint = AuditCheckpoint.Sign(Seq, Hash, now, node, signer);
                using var checkpoints = new FileStream(Path.Combine(Directory, CheckpointsName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                checkpoints.Write(checkpoint.ToLine());
                checkpoints.WriteByte((byte)'\n');
                checkpoints.Flush(flushToDisk: true);
                CheckpointedSeq = Seq;
            }
        }
        finally
        {
            records.Dispose();
        }
    }

    /// <summary>
    /// Appends what is buffered in one write. To the OS, not to the platter: a sync per batch
    /// shares the disk's flush queue with the warning store's commit, so records are synced with
    /// each checkpoint (and each rotation) instead.
    /// </summary>
    private static void WriteOut(MemoryStream buffer, FileStream records)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        buffer.Position = 0;
        buffer.CopyTo(records);
        buffer.SetLength(0);
        records.Flush(flushToDisk: false);
    }

    private FileStream OpenCurrent() => new(Path.Combine(Directory, RecordsName), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>
    /// Under the lock: the current file, synced, becomes <c>audit-SEQ.jsonl</c> (SEQ its first
    /// record's), and a new empty current file takes its place. <see cref="Seq"/> and
    /// <see cref="Hash"/> stay: the new file's first record follows the old file's last.
    /// </summary>
    private FileStream Rotate(FileStream records)
    {
        records.Flush(flushToDisk: true);
        records.Seek(0, SeekOrigin.Begin);
        var head = new byte[(int)Math.Min(records.Length, 64 * 1024)];
        records.ReadExactly(head);
        var newline = head.AsSpan().IndexOf((byte)'\n');
        if (!AuditRecord.TryRead(head.AsSpan(0, newline < 0 ? head.Length : newline), out var first, out var problem))
        {
            throw new InvalidDataException($"the first record of {Path.Combine(Directory, RecordsName)} does not read ({problem}); `kizuna audit verify` says more");
        }

        records.Dispose();
        File.Move(Path.Combine(Directory, RecordsName), Path.Combine(Directory, RotatedName(first.Seq)));
        PrivateDirectory.CreateFile(Path.Combine(Directory, RecordsName));
        _lastTime = null;
        return OpenCurrent();
    }

    /// <summary>The name of a rotated file whose first record is <paramref name="firstSeq"/>.</summary>
    public static string RotatedName(long firstSeq) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{RotatedPrefix}{firstSeq:D12}.jsonl");

    /// <summary>
    /// The trail's record files, oldest first: the rotated ones by their first sequence number,
    /// then the current one (<c>FirstSeq</c> null: it follows the last rotated file).
    /// </summary>
    public static IReadOnlyList<(string Path, long? FirstSeq)> Files(string directory)
    {
        var files = new List<(string Path, long? FirstSeq)>();
        if (System.IO.Directory.Exists(directory))
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(directory, RotatedPrefix + "*.jsonl"))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (long.TryParse(name.AsSpan(RotatedPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var first))
                {
                    files.Add((path, first));
                }
            }
        }

        files.Sort((a, b) => a.FirstSeq!.Value.CompareTo(b.FirstSeq!.Value));
        var current = Path.Combine(directory, RecordsName);
        if (File.Exists(current))
        {
            files.Add((current, null));
        }

        return files;
    }

    /// <summary>Every readable record, oldest first (a line that does not read is skipped: <c>kizuna audit verify</c> names it).</summary>
    public static IEnumerable<AuditRecord> ReadAll(string directory) => ReadAfter(directory, 0);

    /// <summary>
    /// The readable records after sequence number <paramref name="since"/>, oldest first, read a
    /// line at a time from the file that holds the next one on (rotated files wholly before it are
    /// not opened), so a caller that stops early reads no more. A rotation while it reads is
    /// followed: the files are listed again until none was added.
    /// </summary>
    public static IEnumerable<AuditRecord> ReadAfter(string directory, long since)
    {
        var next = since + 1;
        while (true)
        {
            var files = Files(directory);
            var start = 0;
            for (var i = 0; i < files.Count; i++)
            {
                if (files[i].FirstSeq is { } first && first <= next)
                {
                    start = i;
                }
            }

            for (var i = start; i < files.Count; i++)
            {
                foreach (var line in ReadLines(files[i].Path))
                {
                    if (AuditRecord.TryRead(line.Span, out var record, out _) && record.Seq >= next)
                    {
                        next = record.Seq + 1;
                        yield return record;
                    }
                }
            }

            if (Files(directory).Count == files.Count)
            {
                yield break;
            }
        }
    }

    /// <summary>The lines of a file, without their newlines, read in pieces (a file that is gone reads as empty).</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> ReadLines(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        }
        catch (FileNotFoundException)
        {
            yield break;
        }

        using (stream)
        {
            var buffer = new byte[64 * 1024];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = stream.Read(buffer, filled, buffer.Length - filled);
                if (read == 0)
                {
                    if (filled > 0)
                    {
                        yield return buffer.AsMemory(0, filled).ToArray();
                    }

                    yield break;
                }

                filled += read;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
                {
                    yield return buffer.AsMemory(start, newline).ToArray();
                    start += newline + 1;
                }

                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                filled -= start;
            }
        }
    }

    /// <summary>The lines of a file's bytes, without their newlines; a last line without one is returned too.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> bytes)
    {
        var start = 0;
        while (start < bytes.Length)
        {
            var newline = bytes.Span[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                yield return bytes[start..];
                yield break;
            }

            yield return bytes.Slice(start, newline);
            start += newline + 1;
        }
    }

    private void ReadTail(FileStream records)
    {
        Seq = 0;
        Hash = AuditRecord.Genesis;
        _lastTime = null;
        if (records.Length == 0)
        {
            // A new current file: the chain goes on from the last rotated file's last record.
            var files = Files(Directory);
            if (files.LastOrDefault(f => f.FirstSeq is not null) is { Path.Length: > 0 } previous && new FileInfo(previous.Path).Length > 0)
            {
                using var rotated = new FileStream(previous.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                ReadTail(rotated);
                _lastTime = null;
            }

            return;
        }

        // Records are short: the last one lies within the last few KiB, unless a field was huge.
        var take = (int)Math.Min(records.Length, 16 * 1024);
        var tail = new byte[take];
        records.Seek(-take, SeekOrigin.End);
        records.ReadExactly(tail);
        if (tail.Length == records.Length || tail.AsSpan(0, tail.Length - 1).LastIndexOf((byte)'\n') < 0)
        {
            tail = new byte[records.Length];
            records.Seek(0, SeekOrigin.Begin);
            records.ReadExactly(tail);
        }

        var end = tail[^1] == '\n' ? tail.Length - 1 : tail.Length;
        var start = tail.AsSpan(0, end).LastIndexOf((byte)'\n') + 1;
        if (!AuditRecord.TryRead(tail.AsSpan(start, end - start), out var last, out var problem))
        {
            throw new InvalidDataException($"the last record of {Path.Combine(Directory, RecordsName)} does not read ({problem}); `kizuna audit verify` says more");
        }

        Seq = last.Seq;
        Hash = last.Hash;
        _lastTime = last.Time;
    }
}
