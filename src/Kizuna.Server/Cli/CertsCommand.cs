using Kizuna.Storage.Postgres;
using System.CommandLine;
using Kizuna.Core.Alliance;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna certs</c>: the node CA's client certificates. <c>client</c> issues one carrying the
/// holder's nation, organization, role and clearance (checked against the alliance profile);
/// <c>revoke</c> revokes by serial or name; <c>list</c> shows what was issued and revoked.
/// </summary>
public static class CertsCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var certs = new Command("certs", "Manage the node's certificate authority and client certificates.");
        certs.Subcommands.Add(CreateClient(configOption));
        certs.Subcommands.Add(CreateRevoke(configOption));
        certs.Subcommands.Add(CreateList(configOption));
        certs.Subcommands.Add(CertsPackageCommand.CreatePackage(configOption));
        certs.Subcommands.Add(CertsPackageCommand.CreateEnrollToken(configOption));
        return certs;
    }

    private static Command CreateClient(Option<string?> configOption)
    {
        var client = new Command("client", "Issue a client certificate: writes client.pem, client.key, ca.pem and client.p12 (empty password) to --out.");
        var name = new Option<string>("--name") { Description = "The holder's name; becomes the certificate subject (CN)", Required = true };
        var output = new Option<string>("--out") { Description = "Directory to write the files to (created if missing)", Required = true };
        var org = new Option<string?>("--org") { Description = "The holder's organization id in the alliance profile (default: the node's --node-org, JJOC)" };
        var nation = new Option<string?>("--nation") { Description = "The holder's nation, ISO 3166 trigraph (default: the organization's nation; required for a combined command)" };
        var clearance = new Option<string?>("--clearance") { Description = "The holder's clearance, a classification of the profile (default: the organization's default classification)" };
        var role = new Option<string>("--role") { Description = "The holder's role, e.g. watch-officer, liaison; sensor-feed for a sensor feed that may send missile reports", DefaultValueFactory = _ => "operator" };
        var authorization = new Option<string[]>("--authorization") { Description = "A category value held beyond nationality, CATEGORY:VALUE (repeatable); sensor:SENSOR-ID lets a sensor feed report for that sensor", AllowMultipleArgumentsPerToken = false };
        var dataDir = ServeCommand.DataDir.CreateOption();
        var profile = ServeCommand.Profile.CreateOption();
        var nodeOrg = ServeCommand.NodeOrg.CreateOption();
        foreach (var option in new Option[] { name, output, org, nation, clearance, role, authorization, dataDir, profile, nodeOrg })
        {
            client.Options.Add(option);
        }

        client.SetAction(parse =>
        {
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
                var profilePath = sources.Resolve(ServeCommand.Profile, parse.GetValue(profile));
                var hostOrg = sources.Resolve(ServeCommand.NodeOrg, parse.GetValue(nodeOrg));
                var labels = KizunaNode.LoadLabelPolicy(profilePath.Length == 0 ? null : profilePath, hostOrg);

                var orgId = parse.GetValue(org) ?? hostOrg;
                var organization = labels.Profile.FindOrganization(orgId)
                    ?? throw new ArgumentException($"--org: '{orgId}' is not an organization of the alliance profile {labels.Profile.Id} (see `kizuna profile show`)");
                var nationCode = parse.GetValue(nation)?.Trim().ToUpperInvariant()
                    ?? (organization.IsCombined
                        ? throw new ArgumentException($"--nation: {organization.Id} is a combined command of {string.Join(", ", organization.Nations)}; say which nation the holder belongs to")
                        : organization.Nation);
                var claims = new IdentityClaims(
                    parse.GetValue(name)!,
                    nationCode,
                    organization.Id,
                    parse.GetValue(role)!,
                    parse.GetValue(clearance)?.Trim().ToUpperInvariant() ?? organization.DefaultClassification,
                    parse.GetValue(authorization) ?? []);
                if (!labels.TryCreatePrincipal(claims, out var principal, out var reason)
                    || !SensorAuthority.TryCheckAuthorizations(claims.Authorizations, claims.Role, SensorCatalog.LoadDefault(), out reason))
                {
                    throw new ArgumentException(reason);
                }

                var authority = NodeCertificateAuthority.LoadOrCreate(directory);
                if (authority.Created)
                {
                    Console.WriteLine($"Created the node's development CA in {Path.GetFullPath(Path.Combine(directory, "certs"))}");
                }

                var files = authority.IssueClient(claims, labels.PolicyId, parse.GetValue(output)!);
                AuditCommand.Record(directory, authority.NodeId, Kizuna.Core.Audit.AuditActs.CertificateIssued, $"{files.Serial} to {claims.Name} ({principal.Organization}, {principal.Role})");
                Console.WriteLine($"Issued a client certificate for '{claims.Name}': {principal.Nation} / {principal.Organization} ({organization.Name}) / {principal.Role}, cleared {principal.Clearance}");
                Console.WriteLine($"  serial       {files.Serial}");
                Console.WriteLine($"  certificate  {files.CertificatePem}");
                Console.WriteLine($"  private key  {files.PrivateKeyPem}");
                Console.WriteLine($"  CA           {files.CaCertificatePem}");
                Console.WriteLine($"  PKCS#12      {files.Pkcs12} (empty password)");
                return 0;
            }
            catch (Exception ex) when (ex is SettingsException or ProfileException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("kizuna certs client: " + ex.Message);
                return 2;
            }
        });
        return client;
    }

    private static Command CreateRevoke(Option<string?> configOption)
    {
        var revoke = new Command("revoke", "Revoke client certificates by serial or by holder name; a running node refuses them at the next handshake.");
        var serial = new Option<string[]>("--serial") { Description = "Serial number in hex, as `certs client` and `certs list` print it (repeatable)" };
        var name = new Option<string?>("--name") { Description = "Revoke every certificate issued to this holder name" };
        var reason = new Option<string>("--reason") { Description = "Why, for the record", DefaultValueFactory = _ => "revoked by the operator" };
        var dataDir = ServeCommand.DataDir.CreateOption();
        var postgres = ServeCommand.Postgres.CreateOption();
        foreach (var option in new Option[] { serial, name, reason, dataDir, postgres })
        {
            revoke.Options.Add(option);
        }

        revoke.SetAction(parse =>
        {
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
                using var authority = NodeCertificateAuthority.LoadOrCreate(directory);
                using var shared = ShareWithDatabase(sources, parse.GetValue(postgres), authority);
                var issued = authority.Registry.Issued();
                var serials = parse.GetValue(serial) ?? [];
                var holder = parse.GetValue(name);
                if (serials.Length == 0 && holder is null)
                {
                    throw new ArgumentException("say what to revoke: --serial HEX or --name NAME");
                }

                var now = DateTime.UtcNow;
                var targets = new List<RevokedCertificate>();
                foreach (var s in serials)
                {
                    var known = issued.FirstOrDefault(i => string.Equals(i.Serial, s, StringComparison.OrdinalIgnoreCase))
                        ?? throw new ArgumentException($"--serial: no certificate with serial {s} was issued by this CA (see `kizuna certs list`)");
                    targets.Add(new RevokedCertificate(known.Serial, known.Name, now, parse.GetValue(reason)!));
                }

                if (holder is not null)
                {
                    var byName = issued.Where(i => string.Equals(i.Name, holder, StringComparison.Ordinal)).ToList();
                    if (byName.Count == 0)
                    {
                        throw new ArgumentException($"--name: no certificate was issued to '{holder}' by this CA (see `kizuna certs list`)");
                    }

                    targets.AddRange(byName.Select(i => new RevokedCertificate(i.Serial, i.Name, now, parse.GetValue(reason)!)));
                }

                var added = authority.Registry.Revoke(targets);
                foreach (var r in added)
                {
                    Console.WriteLine($"Revoked {r.Serial} ({r.Name}): {r.Reason}");
                    AuditCommand.Record(directory, authority.NodeId, Kizuna.Core.Audit.AuditActs.CertificateRevoked, $"{r.Serial} of {r.Name}: {r.Reason}");
                }

                if (added.Count < targets.Count)
                {
                    Console.WriteLine($"{targets.Count - added.Count} already revoked.");
                }

                return 0;
            }
            catch (Exception ex) when (ex is SettingsException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("kizuna certs revoke: " + ex.Message);
                return 2;
            }
        });
        return revoke;
    }

    private static Command CreateList(Option<string?> configOption)
    {
        var list = new Command("list", "List the client certificates this node's CA issued, and which are revoked.");
        var dataDir = ServeCommand.DataDir.CreateOption();
        var postgres = ServeCommand.Postgres.CreateOption();
        list.Options.Add(dataDir);
        list.Options.Add(postgres);
        list.SetAction(parse =>
        {
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
                using var authority = NodeCertificateAuthority.LoadOrCreate(directory);
                using var shared = ShareWithDatabase(sources, parse.GetValue(postgres), authority);
                var revoked = authority.Registry.Revoked().ToDictionary(r => r.Serial, StringComparer.OrdinalIgnoreCase);
                foreach (var c in authority.Registry.Issued())
                {
                    var state = revoked.TryGetValue(c.Serial, out var r) ? $"REVOKED {r.RevokedAt:yyyy-MM-dd}" : $"valid to {c.NotAfter:yyyy-MM-dd}";
                    Console.WriteLine($"{c.Serial}  {c.Name}  {c.Nation}/{c.Organization}/{c.Role}  {c.Clearance}  {state}");
                }

                return 0;
            }
            catch (Exception ex) when (ex is SettingsException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("kizuna certs list: " + ex.Message);
                return 2;
            }
        });
        return list;
    }

    /// <summary>
    /// With <c>--postgres</c> (or the config file's or environment's): the node's instances share
    /// their certificate records in that database, so what this command records holds on every instance.
    /// </summary>
    private static PostgresCertificateRecords? ShareWithDatabase(SettingSources sources, string? flag, NodeCertificateAuthority authority)
    {
        if (sources.Resolve(ServeCommand.Postgres, flag) is not { Length: > 0 } connectionString)
        {
            return null;
        }

        var records = PostgresCertificateRecords.OpenAsync(connectionString, null, CancellationToken.None).GetAwaiter().GetResult();
        authority.Registry.ShareWith(records);
        return records;
    }
}
