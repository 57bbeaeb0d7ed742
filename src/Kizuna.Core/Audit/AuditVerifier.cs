using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Audit;

/// <summary>What <see cref="AuditVerifier.Verify"/> found: the records and checkpoints it checked, or the first problem.</summary>
public sealed record AuditVerification(long Records, int Checkpoints, string? Problem)
{
    public bool Holds => Problem is null;
}

/// <summary>
/// Walks an audit directory, every record file oldest first as one chain: every record reads and matches its own hash, sequence numbers run
/// 1, 2, 3 without gap or turn, each record's <c>prev</c> is the hash of the one before, and every
/// checkpoint's signature holds, its certificate was issued by the node's CA, and the record it
/// vouches for is there with the hash it signed. The first thing wrong is named by its line and
/// sequence number. Records appended after the last checkpoint cannot be told from none: a
/// tail removed after it goes unseen (the node checkpoints every minute and at shutdown).
/// </summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(string directory, X509Certificate2? ca)
    {
        var files = AuditFile.Files(directory);
        if (files.Count == 0 || files[^1].FirstSeq is not null)
        {
            return new AuditVerification(0, 0, $"{Path.Combine(directory, AuditFile.RecordsName)} does not exist");
        }

        // Every file, oldest first, as one chain: the first record of a rotated file is the one its
        // name says, and follows the last record of the file before.
        var records = new List<(long Seq, string Prev, string Hash, string File, int Line)>();
        foreach (var (path, firstSeq) in files)
        {
            var name = Path.GetFileName(path);
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > 0 && bytes[^1] != '\n')
            {
                // Every append ends its line; a last line without one was cut short, or changed.
                var lines = AuditFile.Lines(bytes).Count();
                return new AuditVerification(records.Count, 0, $"line {lines} of {name} is incomplete (no newline at its end): the record was cut or changed");
            }

            if (firstSeq is not null && bytes.Length == 0)
            {
                return new AuditVerification(records.Count, 0, $"{name} is empty: its records were removed");
            }

            var lineNumber = 0;
            foreach (var line in AuditFile.Lines(bytes))
            {
                lineNumber++;
                if (!AuditRecord.TryRead(line.Span, out var record, out var why))
                {
                    return new AuditVerification(records.Count, 0, $"record at line {lineNumber} of {name} (after record {records.Count}) was changed: {why}");
                }

                if (lineNumber == 1 && firstSeq is { } named && record.Seq != named)
                {
                    return new AuditVerification(records.Count, 0, $"{name} begins with record {record.Seq}, not the record {named} its name says: the file was renamed or its first records were removed");
                }

                records.Add((record.Seq, record.Prev, record.Hash, name, lineNumber));
            }
        }

        var seqs = records.Select(r => r.Seq).ToHashSet();
        var prev = AuditRecord.Genesis;
        for (var i = 0; i < records.Count; i++)
        {
            var expected = i + 1L;
            var record = records[i];
            if (record.Seq != expected)
            {
                var what = seqs.Contains(expected) ? "is out of order (records were reordered)" : "was removed";
                return new AuditVerification(i, 0, $"record {expected} {what}: line {record.Line} of {record.File} holds record {record.Seq}");
            }

            if (!string.Equals(record.Prev, prev, StringComparison.Ordinal))
            {
                return new AuditVerification(i, 0, $"record {record.Seq} at line {record.Line} of {record.File} does not follow the record before it (its prev is not that record's hash): a record before it was changed or replaced");
            }

            prev = record.Hash;
        }

        var checkpointsPath = Path.Combine(directory, AuditFile.CheckpointsName);
        var checkpointBytes = File.Exists(checkpointsPath) ? File.ReadAllBytes(checkpointsPath) : [];
        if (checkpointBytes.Length > 0 && checkpointBytes[^1] != '\n')
        {
            return new AuditVerification(records.Count, 0, $"the last line of {AuditFile.CheckpointsName} is incomplete: the checkpoint was cut or changed");
        }

        var count = 0;
        long lastSeq = 0;
        foreach (var line in AuditFile.Lines(checkpointBytes))
        {
            count++;
            if (!AuditCheckpoint.TryRead(line.Span, out var checkpoint) || !checkpoint.SignatureHolds(out var signer))
            {
                return new AuditVerification(records.Count, count - 1, $"checkpoint at line {count} of {AuditFile.CheckpointsName} was changed: its signature does not hold");
            }

            using (signer)
            {
                if (ca is not null && !IssuedBy(signer!, ca))
                {
                    return new AuditVerification(records.Count, count - 1, $"checkpoint at line {count} is signed by {signer!.Subject}, which the node's CA did not issue");
                }
            }

            if (checkpoint.Seq < lastSeq)
            {
                return new AuditVerification(records.Count, count - 1, $"checkpoint at line {count} vouches for record {checkpoint.Seq}, before the checkpoint above it ({lastSeq}): checkpoints were reordered");
            }

            lastSeq = checkpoint.Seq;
            if (checkpoint.Seq > records.Count)
            {
                return new AuditVerification(records.Count, count - 1,
                    $"record {records.Count + 1} was removed: the checkpoint at line {count} ({checkpoint.Time:yyyy-MM-ddTHH:mm:ssZ}) vouches for {checkpoint.Seq} records and {AuditFile.RecordsName} holds {records.Count}");
            }

            if (checkpoint.Seq > 0 && !string.Equals(records[(int)checkpoint.Seq - 1].Hash, checkpoint.Hash, StringComparison.Ordinal))
            {
                return new AuditVerification(records.Count, count - 1, $"record {checkpoint.Seq} is not the one the checkpoint at line {count} signed: the records up to it were rewritten");
            }
        }

        return new AuditVerification(records.Count, count, null);
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // A checkpoint stays good after the certificate that signed it expires or is renewed.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        return chain.Build(certificate);
    }
}
