using System.CommandLine;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary>
/// The identity options of the commands that issue for a TAK client (<c>certs package</c>,
/// <c>certs enroll-token</c>): name, organization, nation, clearance, role, authorizations, and
/// the node settings to check them against, resolved into claims the alliance profile allows.
/// </summary>
internal sealed class CertsIdentityOptions
{
    public Option<string> Name { get; } = new("--name") { Description = "The holder's name; becomes the certificate subject (CN) and, for enrollment, the user name", Required = true };
    public Option<string?> Org { get; } = new("--org") { Description = "The holder's organization id in the alliance profile (default: the node's --node-org, JJOC)" };
    public Option<string?> Nation { get; } = new("--nation") { Description = "The holder's nation, ISO 3166 trigraph (default: the organization's nation; required for a combined command)" };
    public Option<string?> Clearance { get; } = new("--clearance") { Description = "The holder's clearance, a classification of the profile (default: the organization's default classification)" };
    public Option<string> Role { get; } = new("--role") { Description = "The holder's role, e.g. watch-officer, liaison", DefaultValueFactory = _ => "operator" };
    public Option<string[]> Authorization { get; } = new("--authorization") { Description = "A category value held beyond nationality, CATEGORY:VALUE (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<string?> DataDir { get; } = ServeCommand.DataDir.CreateOption();
    public Option<string?> Profile { get; } = ServeCommand.Profile.CreateOption();
    public Option<string?> NodeOrg { get; } = ServeCommand.NodeOrg.CreateOption();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Name, Org, Nation, Clearance, Role, Authorization, DataDir, Profile, NodeOrg })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The claims, checked against the profile; the data directory and the label policy they were checked with.</summary>
    /// <exception cref="ArgumentException">A claim the profile does not allow; the message says which.</exception>
    public (IdentityClaims Claims, Principal Principal, string DataDirectory, LabelPolicy Labels) Resolve(ParseResult parse, Option<string?> configOption)
    {
        var sources = SettingSources.Load(parse.GetValue(configOption));
        var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(DataDir));
        var profilePath = sources.Resolve(ServeCommand.Profile, parse.GetValue(Profile));
        var hostOrg = sources.Resolve(ServeCommand.NodeOrg, parse.GetValue(NodeOrg));
        var labels = KizunaNode.LoadLabelPolicy(profilePath.Length == 0 ? null : profilePath, hostOrg);

        var orgId = parse.GetValue(Org) ?? hostOrg;
        var organization = labels.Profile.FindOrganization(orgId)
            ?? throw new ArgumentException($"--org: '{orgId}' is not an organization of the alliance profile {labels.Profile.Id} (see `kizuna profile show`)");
        var nationCode = parse.GetValue(Nation)?.Trim().ToUpperInvariant()
            ?? (organization.IsCombined
                ? throw new ArgumentException($"--nation: {organization.Id} is a combined command of {string.Join(", ", organization.Nations)}; say which nation the holder belongs to")
                : organization.Nation);
        var claims = new IdentityClaims(
            parse.GetValue(Name)!,
            nationCode,
            organization.Id,
            parse.GetValue(Role)!,
            parse.GetValue(Clearance)?.Trim().ToUpperInvariant() ?? organization.DefaultClassification,
            parse.GetValue(Authorization) ?? []);
        if (!labels.TryCreatePrincipal(claims, out var principal, out var reason)
            || !SensorAuthority.TryCheckAuthorizations(claims.Authorizations, claims.Role, SensorCatalog.LoadDefault(), out reason))
        {
            throw new ArgumentException(reason);
        }

        return (claims, principal, directory, labels);
    }

    /// <summary>The errors these commands report as a usage problem (exit code 2) rather than a crash.</summary>
    public static bool IsUsageError(Exception ex)
        => ex is SettingsException or ProfileException or ArgumentException or IOException or UnauthorizedAccessException;
}
