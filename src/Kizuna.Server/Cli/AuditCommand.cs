using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Audit;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna audit verify</c>: walks the audit trail of a data directory (the chain of records
/// and the signed checkpoints) and exits 1 naming the first record changed, removed or
/// reordered. Also the command line's own entries: what <c>kizuna certs</c> and
/// <c>kizuna federation trust</c> do is appended to the same chain, running node or not.
/// </summary>
public static class AuditCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var audit = new Command("audit", "The node's audit trail (DATA/audit/).");
        var verify = new Command("verify", "Check the audit trail: every record unchanged, none removed or reordered, every checkpoint signed by a node certificate of this CA. Exit 0 when it holds, 1 naming the first problem.");
        var dataDir = ServeCommand.DataDir.CreateOption();
        verify.Options.Add(dataDir);
        verify.SetAction(parse =>
        {
            string directory;
            try
            {
                directory = SettingSources.Load(parse.GetValue(configOption)).Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
            }
            catch (SettingsException ex)
            {
                Console.Error.WriteLine("kizuna audit verify: " + ex.Message);
                return 2;
            }

            var auditDir = AuditFile.DirectoryOf(directory);
            if (!Directory.Exists(auditDir))
            {
                Console.Error.WriteLine($"kizuna audit verify: {Path.GetFullPath(auditDir)} does not exist: no node has kept an audit trail in {Path.GetFullPath(directory)}");
                return 2;
            }

            var caPath = Path.Combine(directory, "certs", "ca.pem");
            using var ca = File.Exists(caPath) ? X509CertificateLoader.LoadCertificateFromFile(caPath) : null;
            var result = AuditVerifier.Verify(auditDir, ca);
            if (!result.Holds)
            {
                Console.Error.WriteLine($"kizuna audit verify: FAILED in {Path.GetFullPath(auditDir)}: {result.Problem}");
                return 1;
            }

            Console.WriteLine($"OK: {result.Records} records, chain unbroken, {result.Checkpoints} signed checkpoints hold{(ca is null ? " (no CA in certs/: signers not checked)" : string.Empty)}");
            return 0;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }

    /// <summary>
    /// Appends one act of the command line to the trail of <paramref name="dataDir"/> (under the
    /// trail's lock, so a running node's records and these stay one chain). The label is empty:
    /// the hosting organization's national default (<c>GET /api/audit</c> reads it so).
    /// </summary>
    public static void Record(string dataDir, string nodeId, string act, string obj)
    {
        var now = DateTime.UtcNow;
        var entry = new AuditEntry(act, "cli:" + Environment.UserName, string.Empty, obj, string.Empty);
        new AuditFile(AuditFile.DirectoryOf(dataDir)).Append([(entry, now)], nodeId, signer: null, now);
    }
}
