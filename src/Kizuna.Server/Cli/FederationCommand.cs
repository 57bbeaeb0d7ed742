using System.CommandLine;
using Kizuna.Core.Alliance;
using Kizuna.Core.Identity;
using Kizuna.Federation;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna federation</c>: trust between sovereign nodes. <c>export</c> writes this node's trust
/// bundle for a partner's operator; <c>trust</c> imports a partner's bundle (refused when the
/// alliance profile has no link between the two organizations).
/// </summary>
public static class FederationCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var federation = new Command("federation", "Federation with partner nodes: export this node's trust bundle, import a partner's, show the links.");
        federation.Subcommands.Add(CreateExport(configOption));
        federation.Subcommands.Add(CreateTrust(configOption));
        federation.Subcommands.Add(FederationStatusCommand.Create(configOption));
        return federation;
    }

    /// <summary>Writes this node's bundle to <paramref name="outFile"/>, creating the CA and node certificate if needed.</summary>
    public static TrustBundle Export(string dataDir, string? profilePath, string hostOrg, string outFile)
    {
        var labels = KizunaNode.LoadLabelPolicy(profilePath, hostOrg);
        var organization = labels.Profile.FindOrganization(hostOrg)!;
        using var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
        using var node = authority.LoadOrIssueNodeCertificate(labels.PolicyId, organization.Id, organization.Nation);
        var bundle = TrustBundle.Of(authority, node, organization.Id);
        var directory = Path.GetDirectoryName(Path.GetFullPath(outFile));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(outFile, bundle.ToJson());
        return bundle;
    }

    /// <summary>Imports a partner's bundle into <paramref name="dataDir"/>; returns it and the stored file.</summary>
    public static (TrustBundle Bundle, string Stored) Trust(string dataDir, string? profilePath, string hostOrg, string bundleFile)
    {
        var labels = KizunaNode.LoadLabelPolicy(profilePath, hostOrg);
        if (!File.Exists(bundleFile))
        {
            throw new TrustBundleException($"{bundleFile} does not exist");
        }

        var bundle = TrustBundle.Parse(File.ReadAllText(bundleFile), bundleFile);
        using var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
        using (var ca = bundle.LoadCa())
        {
            if (ca.RawDataMemory.Span.SequenceEqual(authority.CaCertificate.RawDataMemory.Span))
            {
                throw new TrustBundleException($"{bundleFile} holds this node's own CA; import the bundle your partner's operator exported");
            }
        }

        var stored = new FederationPartners(dataDir).Import(bundle, labels.Profile, hostOrg, authority.NodeId);
        AuditCommand.Record(dataDir, authority.NodeId, Kizuna.Core.Audit.AuditActs.FederationPartnerTrusted, $"{bundle.NodeId} ({bundle.Organization})");
        return (bundle, stored);
    }

    private static Command CreateExport(Option<string?> configOption)
    {
        var export = new Command("export", "Write this node's trust bundle (node id, hosting organization, CA certificate, node certificate fingerprint) for a partner's operator.");
        var output = new Option<string>("--out") { Description = "The bundle file to write", Required = true };
        var dataDir = ServeCommand.DataDir.CreateOption();
        var profile = ServeCommand.Profile.CreateOption();
        var nodeOrg = ServeCommand.NodeOrg.CreateOption();
        foreach (var option in new Option[] { output, dataDir, profile, nodeOrg })
        {
            export.Options.Add(option);
        }

        export.SetAction(parse => Run("export", () =>
        {
            var sources = SettingSources.Load(parse.GetValue(configOption));
            var profilePath = sources.Resolve(ServeCommand.Profile, parse.GetValue(profile));
            var bundle = Export(
                sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir)),
                profilePath.Length == 0 ? null : profilePath,
                sources.Resolve(ServeCommand.NodeOrg, parse.GetValue(nodeOrg)),
                parse.GetValue(output)!);
            Console.WriteLine($"Wrote the trust bundle of node {bundle.NodeId} ({bundle.Organization}) to {parse.GetValue(output)}");
            Console.WriteLine($"  node certificate SHA-256 {bundle.NodeCertificateSha256}");
            Console.WriteLine("Give it to the partner's operator over a channel you trust; they import it with `kizuna federation trust FILE`.");
        }));
        return export;
    }

    private static Command CreateTrust(Option<string?> configOption)
    {
        var trust = new Command("trust", "Import a partner node's trust bundle: links with that node are then accepted, if the alliance profile allows them.");
        var file = new Argument<string>("FILE") { Description = "The partner's bundle, written by its `kizuna federation export`" };
        var dataDir = ServeCommand.DataDir.CreateOption();
        var profile = ServeCommand.Profile.CreateOption();
        var nodeOrg = ServeCommand.NodeOrg.CreateOption();
        trust.Arguments.Add(file);
        foreach (var option in new Option[] { dataDir, profile, nodeOrg })
        {
            trust.Options.Add(option);
        }

        trust.SetAction(parse => Run("trust", () =>
        {
            var sources = SettingSources.Load(parse.GetValue(configOption));
            var profilePath = sources.Resolve(ServeCommand.Profile, parse.GetValue(profile));
            var (bundle, stored) = Trust(
                sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir)),
                profilePath.Length == 0 ? null : profilePath,
                sources.Resolve(ServeCommand.NodeOrg, parse.GetValue(nodeOrg)),
                parse.GetValue(file)!);
            Console.WriteLine($"Trusting node {bundle.NodeId} ({bundle.Organization}); stored in {stored}");
            Console.WriteLine($"  its node certificate SHA-256 {bundle.NodeCertificateSha256}: compare it with what its operator tells you");
        }));
        return trust;
    }

    private static int Run(string what, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception ex) when (ex is TrustBundleException or SettingsException or ProfileException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"kizuna federation {what}: {ex.Message}");
            return 2;
        }
    }
}
