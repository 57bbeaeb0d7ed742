using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Storage;

namespace Kizuna.Core.Audit;

/// <summary>
/// The trail's files under <c>DATA/audit/</c>: <c>audit.jsonl</c> (one record a line, appended
/// only) and <c>checkpoints.jsonl</c> (signed checkpoints). More than one process may append (the
/// node, and <c>kizuna certs</c> or <c>kizuna federation trust</c> while it runs): every append
/// holds <c>audit.lock</c> exclusively and first reads the tail the others may have added, so the
/// chain stays one chain.
/// </summary>
public sealed class AuditFile
{
    public const string RecordsName = "audit.jsonl";
    public const string CheckpointsName = "checkpoints.jsonl";
    public const string LockName = "audit.lock";

    /// <summary>How long an append waits for another process's lock before it gives up.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private long _knownLength = -1;

    public AuditFile(string directory)
    {
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
        using var held = Lock();
        using var records = new FileStream(Path.Combine(Directory, RecordsName), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (records.Length != _knownLength)
        {
            ReadTail(records);
        }

        if (entries.Count > 0)
        {
            records.Seek(0, SeekOrigin.End);
            using var buffer = new MemoryStream(entries.Count * 320);
            foreach (var (entry, time) in entries)
            {
                var (record, line) = AuditRecord.Create(Seq + 1, time, node, entry, Hash);
                buffer.Write(line);
                buffer.WriteByte((byte)'\n');
                Seq = record.Seq;
                Hash = record.Hash;
            }

            buffer.Position = 0;
            buffer.CopyTo(records);
            // To the OS, not to the platter: a sync per batch shares the disk's flush queue with the
            // warning store's commit, so records are synced with each checkpoint instead (below).
            records.Flush(flushToDisk: false);
        }

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

    /// <summary>Every readable record, oldest first (a line that does not read is skipped: <c>kizuna audit verify</c> names it).</summary>
    public static IEnumerable<AuditRecord> ReadAll(string directory)
    {
        var path = Path.Combine(directory, RecordsName);
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (var line in Lines(File.ReadAllBytes(path)))
        {
            if (AuditRecord.TryRead(line.Span, out var record, out _))
            {
                yield return record;
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
        if (records.Length == 0)
        {
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
    }

    private FileStream Lock()
    {
        var path = Path.Combine(Directory, LockName);
        var started = Environment.TickCount64;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock on Unix (flock), held until disposed.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 - started < LockTimeout.TotalMilliseconds)
            {
                Thread.Sleep(2);
            }
        }
    }
}
