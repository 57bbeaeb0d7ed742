using System.Globalization;
using System.Net;
using System.Text;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Federation;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Hosting;

/// <summary>One node of the demo: its name, hosting organization, data directory and the identities issued for it.</summary>
public sealed record DemoNode(string Name, string Organization, string DataDir, KizunaNode Node, IReadOnlyList<DemoIdentity> Identities);

/// <summary>An identity issued by a demo node's CA (files as <c>kizuna certs client</c> writes them).</summary>
public sealed record DemoIdentity(string Name, string Organization, string Role, string Directory);

/// <summary>
/// <c>kizuna demo trilateral</c>: three linked nodes on this machine, in one process, each in a
/// sub-directory of one data directory: JJOC's node and ROK-JCS's node each dial the USFJ node (the
/// hub; the default profile has no Japan–Korea link). Before starting, each exports its trust
/// bundle and imports its partners' (JJOC↔USFJ, ROK-JCS↔USFJ), and each issues a client identity;
/// the Korean node also a ROKAF-OC sensor feed for the Green Pine radar. Run it again on the same
/// directory and it reuses what is there.
/// </summary>
public sealed class TrilateralDemo : IAsyncDisposable
{
    /// <summary>Default first port: node i listens on base + 10 i + (0 http, 1 https, 2 CoT TLS, 3 federation).</summary>
    public const int DefaultBasePort = 18000;

    /// <summary>The example report the printed <c>kizuna send</c> line sends (relative to the repository).</summary>
    public const string ExampleReport = "docs/examples/warning/kor-green-pine-launch.xml";

    private static readonly (string Name, string Org, string Client)[] Layout =
    [
        ("jjoc", "JJOC", "jjoc-watch-1"),
        ("usfj", "USFJ", "usfj-watch-1"),
        ("rok-jcs", "ROK-JCS", "rok-jcs-watch-1"),
    ];

    private TrilateralDemo(string dataDir, IReadOnlyList<DemoNode> nodes)
    {
        DataDir = dataDir;
        Nodes = nodes;
    }

    public string DataDir { get; }

    /// <summary>JJOC, USFJ, ROK-JCS, in that order.</summary>
    public IReadOnlyList<DemoNode> Nodes { get; }

    public DemoNode Hub => Nodes[1];

    /// <summary>
    /// Prepares trust and identities, then starts the hub and the two nodes that dial it.
    /// <paramref name="basePort"/> 0 picks free ports. <paramref name="configureLogging"/> is given
    /// each node's organization and its logging builder.
    /// </summary>
    public static async Task<TrilateralDemo> StartAsync(
        string dataDir,
        int basePort,
        CancellationToken cancellationToken,
        Action<string, ILoggingBuilder>? configureLogging = null)
    {
        if (basePort is < 0 or > 65535 - 30)
        {
            throw new SettingsException($"base-port: {basePort.ToString(CultureInfo.InvariantCulture)} leaves no room for the demo's 30 ports (0 picks free ones)");
        }

        dataDir = Path.GetFullPath(dataDir);
        var dirs = Layout.Select(l => Path.Combine(dataDir, l.Name)).ToArray();
        Prepare(dataDir, dirs);
        var identities = Layout.Select((l, i) => IssueIdentities(dirs[i], l.Org, l.Client)).ToArray();

        // The hub first: the others dial its federation listener.
        var started = new KizunaNode?[3];
        try
        {
            started[1] = await StartNodeAsync(1, [], basePort, dirs[1], cancellationToken, configureLogging).ConfigureAwait(false);
            var hub = started[1]!.Endpoint("federation")!;
            DnsEndPoint[] toHub = [new("127.0.0.1", hub.Port)];
            started[0] = await StartNodeAsync(0, toHub, basePort, dirs[0], cancellationToken, configureLogging).ConfigureAwait(false);
            started[2] = await StartNodeAsync(2, toHub, basePort, dirs[2], cancellationToken, configureLogging).ConfigureAwait(false);
        }
        catch
        {
            foreach (var node in started.Where(n => n is not null))
            {
                await node!.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new TrilateralDemo(dataDir, [.. Layout.Select((l, i) => new DemoNode(l.Name, l.Org, dirs[i], started[i]!, identities[i]))]);
    }

    /// <summary>Completes when the demo's links are all up: two at the hub, one at each other node.</summary>
    public async Task WaitForLinksAsync(TimeSpan timeout)
    {
        await Task.WhenAll(Nodes.Select(n => WaitForPartnersAsync(n.Node.Federation!.Links, n == Hub ? 2 : 1))).WaitAsync(timeout).ConfigureAwait(false);
    }

    private static async Task WaitForPartnersAsync(FederationLinks links, int partners)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(IFederationLink _)
        {
            if (links.Current.Select(l => l.Peer.NodeId).Distinct(StringComparer.Ordinal).Count() >= partners)
            {
                done.TrySetResult();
            }
        }

        links.LinkUp += Check;
        try
        {
            Check(null!);
            await done.Task.ConfigureAwait(false);
        }
        finally
        {
            links.LinkUp -= Check;
        }
    }

    /// <summary>Completes when any of the nodes was asked to stop (Ctrl-C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => Task.WhenAny(Nodes.Select(n => n.Node.WaitForShutdownAsync()));

    /// <summary>How to connect: ports, certificates, and the commands to try.</summary>
    public string Instructions(string kizuna = "./kizuna")
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Three linked Kizuna nodes in {DataDir}: JJOC <-> USFJ (hub) <-> ROK-JCS (no Japan-Korea link, as the default profile says)\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{"node",-8}  {"http",-22}  {"https",-23}  {"CoT TLS",-16}  {"federation",-16}  node id\n");
        foreach (var n in Nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"{n.Organization,-8}  {"http://" + n.Node.Endpoint("http"),-22}  {"https://" + n.Node.Endpoint("https"),-23}  {n.Node.Endpoint("cot-tls")!.ToString(),-16}  {n.Node.Endpoint("federation")!.ToString(),-16}  {n.Node.Federation!.NodeId}\n");
        }

        text.Append("\nIdentities (client.pem, client.key, ca.pem, client.p12 with an empty password; each node has its own CA):\n");
        foreach (var n in Nodes)
        {
            foreach (var id in n.Identities)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {n.Organization,-8} {id.Name,-20} {id.Organization}/{id.Role,-12} {id.Directory}\n");
            }
        }

        var rok = Nodes[2];
        var jjoc = Nodes[0];
        var sensor = rok.Identities.First(i => i.Role == SensorAuthority.SensorFeedRole);
        text.Append("\nTry:\n");
        text.Append(CultureInfo.InvariantCulture, $"  {kizuna} federation status --url http://{Hub.Node.Endpoint("http")}      # the hub's links (also /api/federation, /metrics)\n");
        text.Append(CultureInfo.InvariantCulture, $"  {kizuna} console-token --name {jjoc.Identities[0].Name} --data-dir {jjoc.DataDir} --http {jjoc.Node.Endpoint("http")}   # JJOC's console\n");
        text.Append(CultureInfo.InvariantCulture, $"  {kizuna} send {ExampleReport} --to {rok.Node.Endpoint("cot-tls")} --identity {sensor.Directory}\n");
        text.Append("      # a Green Pine launch report on the Korean node; the warning goes to JJOC's clients through USFJ once the outbox carries events\n");
        text.Append("\nCtrl-C stops all three.\n");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // The spokes first, so the hub sees them go.
        foreach (var node in new[] { Nodes[0], Nodes[2], Nodes[1] })
        {
            await node.Node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Prepare(string dataDir, string[] dirs)
    {
        var bundles = Path.Combine(dataDir, "bundles");
        Directory.CreateDirectory(bundles);
        var files = Layout.Select((l, i) =>
        {
            var file = Path.Combine(bundles, l.Name + ".json");
            FederationCommand.Export(dirs[i], null, l.Org, file);
            return file;
        }).ToArray();

        // JJOC <-> USFJ and ROK-JCS <-> USFJ.
        FederationCommand.Trust(dirs[0], null, Layout[0].Org, files[1]);
        FederationCommand.Trust(dirs[1], null, Layout[1].Org, files[0]);
        FederationCommand.Trust(dirs[1], null, Layout[1].Org, files[2]);
        FederationCommand.Trust(dirs[2], null, Layout[2].Org, files[1]);
    }

    private static List<DemoIdentity> IssueIdentities(string dataDir, string hostOrg, string client)
    {
        var labels = KizunaNode.LoadLabelPolicy(null, hostOrg);
        using var authority = NodeCertificateAuthority.LoadOrCreate(dataDir);
        var issued = new List<DemoIdentity>
        {
            Issue(authority, labels, dataDir, new IdentityClaims(client, labels.Profile.FindOrganization(hostOrg)!.Nation, hostOrg, "watch-officer", "SECRET", [])),
            Issue(authority, labels, dataDir, new IdentityClaims(hostOrg.ToLowerInvariant() + "-operator", labels.Profile.FindOrganization(hostOrg)!.Nation, hostOrg, Api.Operators.Role, "SECRET", [])),
        };
        if (hostOrg == "ROK-JCS")
        {
            // GREEN-PINE-1's operator in the sensor catalog is ROKAF-OC: its own feed may report for it.
            issued.Add(Issue(authority, labels, dataDir, new IdentityClaims("green-pine-1-feed", "KOR", "ROKAF-OC", SensorAuthority.SensorFeedRole, "SECRET", [])));
        }

        return issued;
    }

    private static DemoIdentity Issue(NodeCertificateAuthority authority, LabelPolicy labels, string dataDir, IdentityClaims claims)
    {
        var directory = Path.Combine(dataDir, "clients", claims.Name);
        if (!labels.TryCreatePrincipal(claims, out _, out var reason))
        {
            throw new SettingsException($"demo identity {claims.Name}: {reason}");
        }

        // Kept across runs: a client configured with these files keeps working.
        if (!File.Exists(Path.Combine(directory, "client.pem")))
        {
            authority.IssueClient(claims, labels.PolicyId, directory);
        }

        return new DemoIdentity(claims.Name, claims.Organization, claims.Role, directory);
    }

    private static Task<KizunaNode> StartNodeAsync(int index, DnsEndPoint[] federateWith, int basePort, string dataDir, CancellationToken cancellationToken, Action<string, ILoggingBuilder>? configureLogging)
    {
        IPEndPoint Port(int offset) => new(IPAddress.Loopback, basePort == 0 ? 0 : basePort + (10 * index) + offset);
        var settings = new NodeSettings
        {
            DataDir = dataDir,
            NodeOrg = Layout[index].Org,
            Http = Port(0),
            Https = Port(1),
            CotTls = Port(2),
            Federation = Port(3),
            FederateWith = federateWith,
        };
        var org = Layout[index].Org;
        return KizunaNode.StartAsync(settings, cancellationToken, configureLogging is null ? null : logging => configureLogging(org, logging));
    }
}
