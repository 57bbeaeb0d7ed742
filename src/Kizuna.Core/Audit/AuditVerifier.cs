using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Audit;

/// <summary>What <see cref="AuditVerifier.Verify"/> found: the records and checkpoints it checked, or the first problem.</summary>
public sealed record AuditVerification(long Records, int Checkpoints, string? Problem)
{
    public bool Holds => Problem is null;
}

/// <summary>
/// Walks an audit directory: every record reads and matches its own hash, sequence numbers run
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
        var recordsPath = Path.Combine(directory, AuditFile.RecordsName);
        if (!File.Exists(recordsPath))
        {
            return new AuditVerification(0, 0, $"{recordsPath} does not exist");
        }

        var bytes = File.ReadAllBytes(recordsPath);
        if (bytes.Length > 0 && bytes[^1] != '\n')
        {
            // Every append ends its line; a last line without one was cut short, or changed.
            var lines = AuditFile.Lines(bytes).Count();
            return new AuditVerification(0, 0, $"line {lines} of {AuditFile.RecordsName} is incomplete (no newline at its end): the record was cut or changed");
        }

        var records = new List<AuditRecord>();
        var lineNumber = 0;
        foreach (var line in AuditFile.Lines(bytes))
        {
            lineNumber++;
            if (!AuditRecord.TryRead(line.Span, out var record, out var why))
            {
                return new AuditVerification(records.Count, 0, $"record at line {lineNumber} of {AuditFile.RecordsName} (after record {records.Count}) was changed: {why}");
            }

            records.Add(record);
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
                return new AuditVerification(i, 0, $"record {expected} {what}: line {i + 1} of {AuditFile.RecordsName} holds record {record.Seq}");
            }

            if (!string.Equals(record.Prev, prev, StringComparison.Ordinal))
            {
                return new AuditVerification(i, 0, $"record {record.Seq} at line {i + 1} does not follow the record before it (its prev is not that record's hash): a record before it was changed or replaced");
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
