using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Federation;
using Kizuna.Federation.Wire;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>Two nodes in-process, each with its own CA, linked (or not) over the federation listener.</summary>
public sealed class FederationLinkTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kizuna-link-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    private string DataDir(string name) => Path.Combine(_root, name);

    private string Export(string name, string org) => ExportTo(DataDir(name), org, Path.Combine(_root, name + ".bundle.json"));

    private static string ExportTo(string dataDir, string org, string file)
    {
        FederationCommand.Export(dataDir, null, org, file);
        return file;
    }

    private static DnsEndPoint Target(TestNode node) => new("127.0.0.1", node.Node.Endpoint("federation")!.Port);

    /// <summary>The first link matching, now or when it comes up.</summary>
    private static async Task<IFederationLink> LinkAsync(TestNode node, LinkDirection direction)
    {
        var links = node.Node.Federation!.Links;
        var up = new TaskCompletionSource<IFederationLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnUp(IFederationLink link)
        {
            if (link.Direction == direction)
            {
                up.TrySetResult(link);
            }
        }

        links.LinkUp += OnUp;
        try
        {
            if (links.Current.FirstOrDefault(l => l.Direction == direction) is { } current)
            {
                return current;
            }

            return await up.Task.WaitAsync(TestNode.Timeout);
        }
        finally
        {
            links.LinkUp -= OnUp;
        }
    }

    private static Task<FederatedEvent> NextReceivedAsync(TestNode node)
    {
        var received = new TaskCompletionSource<FederatedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Node.Federation!.Links.Received += (_, message) => received.TrySetResult(message);
        return received.Task.WaitAsync(TestNode.Timeout);
    }

    private static CotEvent Sample(string uid)
    {
        var now = DateTime.UtcNow;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        return new CotEvent
        {
            Uid = uid,
            Type = "a-f-G-U-C",
            How = "m-g",
            Time = now,
            Start = now,
            Stale = now.AddMinutes(5),
            Point = new CotPoint(35.68, 139.76, 40, 10, 10),
            Detail = CotDetail.FromXml("<contact callsign=\"WATCH 1\"/>"),
        };
    }

    [Fact]
    public async Task Two_nodes_that_imported_each_others_bundles_link_up_and_exchange_events_both_ways()
    {
        FederationCommand.Trust(DataDir("jjoc"), null, "JJOC", Export("usfj", "USFJ"));
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("jjoc", "JJOC"));
        await using var jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federation: true);
        jjoc.KeepDataDir = true;
        await using var usfj = await TestNode.StartAsync(dataDir: DataDir("usfj"), nodeOrg: "USFJ", federateWith: [Target(jjoc)]);
        usfj.KeepDataDir = true;

        var dialled = await LinkAsync(usfj, LinkDirection.Outbound);
        var accepted = await LinkAsync(jjoc, LinkDirection.Inbound);
        Assert.Equal("JJOC", dialled.Peer.Organization);
        Assert.Equal(jjoc.Node.Federation!.NodeId, dialled.Peer.NodeId);
        Assert.Equal("USFJ", accepted.Peer.Organization);
        Assert.Equal(TrustBundle.Fingerprint(usfj.Node.Federation!.Certificate), accepted.Peer.Fingerprint);
        Assert.True(dialled.PeerIsKizuna);
        Assert.True(accepted.PeerIsKizuna);
        await jjoc.Logs.WaitForAsync(e => e.EventId.Id == 4501, TestNode.Timeout);
        await usfj.Logs.WaitForAsync(e => e.EventId.Id == 4501, TestNode.Timeout);

        var label = usfj.Node.Labels.Create("SECRET", ["USA", "JPN"]);
        var atJjoc = NextReceivedAsync(jjoc);
        await dialled.SendAsync(FederationMapper.ToFederated(Sample("usfj-1"), label, new EventOrigin(usfj.Node.Federation.NodeId, 1)));
        var inbound = jjoc.Node.Federation.Mapper.FromFederated(await atJjoc);
        Assert.Equal("usfj-1", inbound.Event!.Uid);
        Assert.Equal(label, inbound.Label);
        Assert.Equal(new EventOrigin(usfj.Node.Federation.NodeId, 1), inbound.Origin);

        // The accepting node's half of the link sends too (the partner subscribed to it).
        var atUsfj = NextReceivedAsync(usfj);
        var holdings = new KizunaHoldings();
        holdings.Positions.Add(new KizunaOriginPosition { OriginNodeId = usfj.Node.Federation.NodeId, Sequence = 1 });
        await accepted.SendAsync(FederationMapper.Acknowledgement(holdings));
        var ack = usfj.Node.Federation.Mapper.FromFederated(await atUsfj);
        Assert.Null(ack.Event);
        Assert.Equal(1UL, Assert.Single(ack.Ack!.Positions).Sequence);
    }

    [Fact]
    public async Task A_node_whose_bundle_was_not_imported_is_refused_at_the_handshake()
    {
        // USFJ trusts JJOC, but JJOC's operator never imported USFJ's bundle.
        FederationCommand.Trust(DataDir("usfj"), null, "USFJ", Export("jjoc", "JJOC"));
        await using var jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federation: true);
        jjoc.KeepDataDir = true;
        await using var usfj = await TestNode.StartAsync(dataDir: DataDir("usfj"), nodeOrg: "USFJ", federateWith: [Target(jjoc)]);
        usfj.KeepDataDir = true;

        var refused = await jjoc.Logs.WaitForAsync(e => e.EventId.Id == 4503, TestNode.Timeout);
        Assert.Contains("no trust bundle is imported", refused.Message, StringComparison.Ordinal);
        await usfj.Logs.WaitForAsync(e => e.EventId.Id == 4504, TestNode.Timeout);
        Assert.Empty(jjoc.Node.Federation!.Links.Current);
        Assert.Empty(usfj.Node.Federation!.Links.Current);
    }

    [Fact]
    public async Task A_link_the_profile_forbids_is_refused_at_the_handshake_even_with_the_bundles_in_place()
    {
        // No Japan–Korea link in the default profile: `federation trust` refuses the bundle ...
        var korBundle = Export("kor", "ROK-JCS");
        var jjocBundle = Export("jjoc", "JJOC");
        var ex = Assert.Throws<TrustBundleException>(() => FederationCommand.Trust(DataDir("jjoc"), null, "JJOC", korBundle));
        Assert.Contains("no federation link between JJOC (this node) and ROK-JCS", ex.Message, StringComparison.Ordinal);

        // ... and copied in by hand, the handshake still refuses the link.
        foreach (var (dir, bundle) in new[] { (DataDir("jjoc"), korBundle), (DataDir("kor"), jjocBundle) })
        {
            var partners = new FederationPartners(dir).Directory;
            Directory.CreateDirectory(partners);
            File.Copy(bundle, Path.Combine(partners, "copied.json"));
        }

        await using var jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federation: true);
        jjoc.KeepDataDir = true;
        await using var kor = await TestNode.StartAsync(dataDir: DataDir("kor"), nodeOrg: "ROK-JCS", federateWith: [Target(jjoc)]);
        kor.KeepDataDir = true;

        var refused = await kor.Logs.WaitForAsync(e => e.EventId.Id == 4503, TestNode.Timeout);
        Assert.Contains("allows no federation link between ROK-JCS (this node) and JJOC", refused.Message, StringComparison.Ordinal);
        Assert.Empty(jjoc.Node.Federation!.Links.Current);
        Assert.Empty(kor.Node.Federation!.Links.Current);
    }

    [Fact]
    public async Task A_TAK_style_client_built_from_the_proto_connects_and_its_event_is_read()
    {
        // A federate with its own CA, trusted by JJOC as USFJ's node; it speaks only the plain
        // generated client: no Kizuna metadata, no envelope.
        var takDir = DataDir("tak");
        var takBundle = ExportTo(takDir, "USFJ", Path.Combine(_root, "tak.bundle.json"));
        FederationCommand.Trust(DataDir("jjoc"), null, "JJOC", takBundle);
        await using var jjoc = await TestNode.StartAsync(dataDir: DataDir("jjoc"), nodeOrg: "JJOC", federation: true);
        jjoc.KeepDataDir = true;

        using var takCa = NodeCertificateAuthority.LoadOrCreate(takDir);
        using var takCertificate = takCa.LoadOrIssueNodeCertificate(jjoc.Node.Labels.PolicyId, "USFJ", "USA");
        using var jjocCa = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir("jjoc"), "certs", "ca.pem"));
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [takCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(jjocCa);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is X509Certificate2 presented && chain.Build(presented);
                },
            },
        };
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{jjoc.Node.Endpoint("federation")!.Port}", new GrpcChannelOptions { HttpHandler = handler });
        var client = new FederatedChannel.FederatedChannelClient(channel);

        var health = await client.HealthCheckAsync(new ClientHealth { Status = ClientHealth.Types.ServingStatus.Serving }, deadline: DateTime.UtcNow + TestNode.Timeout);
        Assert.Equal(ServerHealth.Types.ServingStatus.Serving, health.Status);

        var received = NextReceivedAsync(jjoc);
        using var call = client.ServerEventStream(deadline: DateTime.UtcNow + TestNode.Timeout);
        await call.RequestStream.WriteAsync(new FederatedEvent
        {
            Event = new GeoEvent
            {
                Uid = "tak-42",
                Type = "a-f-A-M-F",
                CoordSource = "m-g",
                SendTime = 1_760_000_000_000,
                StartTime = 1_760_000_000_000,
                StaleTime = 1_760_000_300_000,
                Lat = 34.5,
                Lon = 135.5,
                Other = "<detail><contact callsign=\"EAGLE 2\"/></detail>",
                ScreenName = "EAGLE 2",
                Access = "CONFIDENTIAL",
                ReleaseableTo = "USA,JPN",
            },
        });
        var inbound = jjoc.Node.Federation!.Mapper.FromFederated(await received);
        Assert.Equal("tak-42", inbound.Event!.Uid);
        Assert.Equal("EAGLE 2", inbound.Event.Detail.ContactCallsign);
        Assert.Equal("CONFIDENTIAL", jjoc.Node.Labels.Read(inbound.Event)!.Classification);
        Assert.Null(inbound.Origin);
        var link = Assert.Single(jjoc.Node.Federation.Links.Current);
        Assert.False(link.PeerIsKizuna);
        Assert.Equal("USFJ", link.Peer.Organization);

        await call.RequestStream.CompleteAsync();
        var subscription = await call.ResponseAsync;
        Assert.Equal(jjoc.Node.Federation.NodeId, subscription.Identity.ServerId);
    }

    [Fact]
    public async Task The_federation_port_serves_only_the_federation_service_and_the_https_port_not_it()
    {
        await using var jjoc = await TestNode.StartAsync(federation: true);
        using var https = jjoc.CreateHttpsClient(jjoc.Issue("watch"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/com.atakmap.FederatedChannel/HealthCheck") { Version = HttpVersion.Version20 };
        request.Content = new ByteArrayContent([0, 0, 0, 0, 0]);
        request.Content.Headers.ContentType = new("application/grpc");
        using var response = await https.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
