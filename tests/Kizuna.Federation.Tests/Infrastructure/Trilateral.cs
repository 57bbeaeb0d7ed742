using System.Net;
using Kizuna.Federation;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Federation.Tests.Infrastructure;

/// <summary>
/// Three linked nodes on this machine, JJOC – USFJ (the hub) – ROK-JCS, each spoke dialling the
/// hub through a <see cref="FaultProxy"/>; trust bundles exchanged as operators do. The hub runs
/// in-process, or (<see cref="NodeProcess"/>) as a real process a test can kill.
/// </summary>
public sealed class Trilateral : IAsyncDisposable
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    private Trilateral(string root) => Root = root;

    public string Root { get; }
    public TestNode Jjoc { get; private set; } = null!;
    public TestNode? Usfj { get; private set; }
    public NodeProcess? UsfjProcess { get; private set; }
    public TestNode Rok { get; private set; } = null!;
    public FaultProxy JpnUsa { get; private set; } = null!;
    public FaultProxy KorUsa { get; private set; } = null!;

    public string DataDir(string name) => Path.Combine(Root, name);

    /// <param name="time">The spokes' clock (their redial backoff, staleness): a manual one lets a test pass time without waiting for it.</param>
    /// <param name="hubAsProcess">Run the hub as <c>kizuna serve</c> in a process of its own.</param>
    public static async Task<Trilateral> StartAsync(TimeProvider? time = null, bool hubAsProcess = false)
    {
        var trilateral = new Trilateral(Path.Combine(Path.GetTempPath(), "kizuna-trilateral-" + Guid.NewGuid().ToString("N")));
        await trilateral.StartNodesAsync(time, hubAsProcess);
        return trilateral;
    }

    private async Task StartNodesAsync(TimeProvider? time, bool hubAsProcess)
    {
        string Export(string name, string org)
        {
            var file = Path.Combine(Root, name + ".bundle.json");
            FederationCommand.Export(DataDir(name), null, org, file);
            return file;
        }

        Directory.CreateDirectory(Root);
        FederationCommand.Trust(DataDir("jjoc"), null, "JJOC", Export("usfj", "USFJ"));
        FederationCommand.Trust(DataDir("rok"), null, "ROK-JCS", Export("usfj", "USFJ"));
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("jjoc", "JJOC"));
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("rok", "ROK-JCS"));
        IPEndPoint hub;
        if (hubAsProcess)
        {
            UsfjProcess = await NodeProcess.StartAsync(DataDir("usfj"), "USFJ", "--federation");
            hub = UsfjProcess.Endpoint;
        }
        else
        {
            Usfj = await StartHubAsync();
            hub = Usfj.Node.Endpoint("federation")!;
        }

        JpnUsa = new FaultProxy(hub);
        KorUsa = new FaultProxy(hub);
        Jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federateWith: [JpnUsa.Endpoint], time: time);
        Jjoc.KeepDataDir = true;
        Rok = await TestNode.StartAsync(dataDir: DataDir("rok"), nodeOrg: "ROK-JCS", federateWith: [KorUsa.Endpoint], time: time);
        Rok.KeepDataDir = true;
        // A manual clock runs on while the links come up: a first dial that fails redials on it.
        var manual = time as ManualTimeProvider;
        await UntilAsync(() => Tick(manual) && Jjoc.Node.Federation!.Links.Current.Count > 0, "Japan's link is up");
        await UntilAsync(() => Tick(manual) && Rok.Node.Federation!.Links.Current.Count > 0, "Korea's link is up");
    }

    private static bool Tick(ManualTimeProvider? clock)
    {
        clock?.Advance(TimeSpan.FromMilliseconds(100));
        return true;
    }

    private async Task<TestNode> StartHubAsync()
    {
        var hub = await TestNode.StartAsync(dataDir: DataDir("usfj"), nodeOrg: "USFJ", federation: true);
        hub.KeepDataDir = true;
        return hub;
    }

    /// <summary>The status of a node's link with <paramref name="partner"/>.</summary>
    public static FederationLinkStatus StatusOf(TestNode node, string partner)
        => ((IFederationStatus)node.Node.Services.GetService(typeof(IFederationStatus))!).Links().Single(l => l.PartnerOrganization == partner);

    /// <summary>Waits for a condition the nodes reach by themselves, checking at each step, bounded.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Long);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Jjoc.DisposeAsync();
        await Rok.DisposeAsync();
        if (Usfj is not null)
        {
            await Usfj.DisposeAsync();
        }

        if (UsfjProcess is not null)
        {
            await UsfjProcess.DisposeAsync();
        }

        await JpnUsa.DisposeAsync();
        await KorUsa.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }
}
