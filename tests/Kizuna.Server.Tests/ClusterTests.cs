using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests.Engines;

namespace Kizuna.Server.Tests;

/// <summary>The throwaway PostgreSQL and NATS the scale-out tests of this assembly share.</summary>
[CollectionDefinition(Name)]
public sealed class EnginesCollection : ICollectionFixture<EnginesFixture>
{
    public const string Name = "engines";
}

/// <summary>
/// Two instances of one node (JJOC) on one PostgreSQL database and one NATS JetStream, in this
/// process, with real TLS clients: what one instance accepts reaches the entitled clients of the
/// other, the picture is shared, and a directed message finds its addressee on either.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterTests(EnginesFixture engines)
{
    private const string ReleasableToAll = "USA, JPN, KOR";

    [Fact]
    public async Task An_event_accepted_by_one_instance_reaches_the_entitled_clients_of_the_other_and_no_others()
    {
        await using var cluster = await TwoInstances.StartAsync(engines);
        await using var sender = await cluster.A.ConnectTlsAsync("jjoc-a-sender");
        await using var japan = await cluster.B.ConnectTlsAsync("jjoc-b");
        await using var usa = await cluster.B.ConnectTlsAsync("usfj-b", org: "USFJ");
        await using var lowCleared = await cluster.B.ConnectTlsAsync("jjoc-b-confidential", clearance: "CONFIDENTIAL");

        await sender.SendAsync(CotText.Labelled("national-secret", "NATIONAL", "SECRET", "JPN"));
        await sender.SendAsync(CotText.Labelled("shared-after", "SHARED", "UNCLASSIFIED", ReleasableToAll));

        var received = await japan.ExpectUidAsync("national-secret");
        Assert.Equal("SECRET", received.Access);
        await japan.ExpectUidAsync("shared-after");
        // Events from one sender keep their order across the bus, so the later shared event
        // arriving means the national one was withheld, not late.
        await usa.ExpectUidAsync("shared-after");
        await lowCleared.ExpectUidAsync("shared-after");
        Assert.DoesNotContain(usa.Received, e => e.Uid == "national-secret");
        Assert.DoesNotContain(lowCleared.Received, e => e.Uid == "national-secret");

        // And the other way round: from B to a client of A.
        await japan.SendAsync(CotText.Labelled("from-b", "BRAVO", "UNCLASSIFIED", ReleasableToAll));
        await sender.ExpectUidAsync("from-b");
    }

    [Fact]
    public async Task A_client_that_connects_to_the_other_instance_later_gets_the_picture_sent_to_the_first()
    {
        await using var cluster = await TwoInstances.StartAsync(engines);
        await using var sender = await cluster.A.ConnectTlsAsync("jjoc-a-sender");
        await using var witness = await cluster.B.ConnectTlsAsync("jjoc-b-witness");
        await sender.SendAsync(CotText.Labelled("picture-national", "NATIONAL", "SECRET", "JPN"));
        await sender.SendAsync(CotText.Labelled("picture-shared", "SHARED", "UNCLASSIFIED", ReleasableToAll));
        await witness.ExpectUidsAsync("picture-national", "picture-shared");

        await using var late = await cluster.B.ConnectTlsAsync("jjoc-b-late");
        await late.ExpectUidsAsync("picture-national", "picture-shared");
        await using var lateUsa = await cluster.B.ConnectTlsAsync("usfj-b-late", org: "USFJ");
        await lateUsa.ExpectUidAsync("picture-shared");
        Assert.DoesNotContain(lateUsa.Received, e => e.Uid == "picture-national");
    }

    [Fact]
    public async Task An_instance_started_after_the_picture_was_sent_gives_it_to_its_clients_from_the_shared_history()
    {
        var database = await engines.Postgres.NewDatabaseAsync();
        await using var a = await TestNode.StartAsync(postgres: database, nats: engines.Nats.Url);
        await using var sender = await a.ConnectTlsAsync("jjoc-a-sender");
        await using var witness = await a.ConnectTlsAsync("jjoc-a-witness");
        await sender.SendAsync(CotText.Labelled("before-b", "EARLY", "UNCLASSIFIED", ReleasableToAll));
        await witness.ExpectUidAsync("before-b");
        await a.Node.Store.FlushAsync(CancellationToken.None).WaitAsync(TestNode.Timeout);

        await using var b = await TwoInstances.StartSecondAsync(a, database, engines.Nats.Url);
        await using var late = await b.ConnectTlsAsync("jjoc-b-late");
        await late.ExpectUidAsync("before-b");
    }

    [Fact]
    public async Task A_directed_message_crosses_to_the_instance_its_addressee_is_on_and_to_no_one_else()
    {
        await using var cluster = await TwoInstances.StartAsync(engines);
        await using var sender = await cluster.A.ConnectTlsAsync("jjoc-a-sender");
        await using var addressee = await cluster.B.ConnectTlsAsync("jjoc-b-hotel");
        await using var bystander = await cluster.B.ConnectTlsAsync("jjoc-b-india");
        await addressee.SendAsync(CotText.Position("addressee-uid", "HOTEL"));
        await bystander.SendAsync(CotText.Position("bystander-uid", "INDIA"));
        await sender.ExpectUidsAsync("addressee-uid", "bystander-uid");

        await sender.SendAsync(CotText.Directed("chat-across", "HOTEL", "for hotel only"));
        var received = await addressee.ExpectUidAsync("chat-across");
        Assert.Contains("for hotel only", received.Detail.InnerXml, StringComparison.Ordinal);

        await sender.SendAsync(CotText.Position("sender-after", "GOLF"));
        await bystander.ExpectUidAsync("sender-after");
        Assert.DoesNotContain(bystander.Received, e => e.Uid == "chat-across");
    }

    [Fact]
    public async Task A_warning_issued_by_one_instance_reaches_the_clients_of_the_other_at_once_each_its_view()
    {
        await using var cluster = await TwoInstances.StartAsync(engines);
        await using var sensor = await cluster.A.ConnectSensorAsync("jpn-sensor-desk", "JJOC", "FPS5-SADO", "DDG-MAYA");
        await using var rok = await cluster.B.ConnectTlsAsync("rok-watch-b", org: "ROK-JCS");
        await using var japan = await cluster.B.ConnectTlsAsync("jjoc-watch-b");

        await sensor.SendAsync(WarningExamples.Read("01-jpn-fps5-launch.xml"));

        // Sooner than the resend interval (30 s, beyond the test's wait): the bus, not the sweep.
        var atRok = await rok.ExpectAsync(e => e.Type == Kizuna.Core.Warnings.WarningCot.WarningType, "the warning on instance B");
        var atJapan = await japan.ExpectAsync(e => e.Type == Kizuna.Core.Warnings.WarningCot.WarningType, "the warning on instance B");
        Assert.Equal(atJapan.Uid, atRok.Uid);
        var stored = await cluster.B.Node.Warnings.VersionsAsync(atRok.Detail.Element(Kizuna.Core.Warnings.WarningCot.WarningElement)!.Attribute("id")!, CancellationToken.None);
        Assert.Equal(1, Assert.Single(stored, v => v.Audience.Length == 0).Version);
    }

    [Fact]
    public async Task Healthz_names_the_engines_of_a_clustered_instance()
    {
        await using var cluster = await TwoInstances.StartAsync(engines);
        using var http = cluster.B.CreateHttpClient();

        var health = await http.GetStringAsync("/healthz");

        Assert.Contains("\"storage\":\"postgresql\"", health, StringComparison.Ordinal);
        Assert.Contains("\"connected\":true", health, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"ok\"", health, StringComparison.Ordinal);
    }

    /// <summary>Two instances of the JJOC node: one database, one NATS, one certificate authority (B gets a copy of A's).</summary>
    internal sealed class TwoInstances(TestNode a, TestNode b) : IAsyncDisposable
    {
        public TestNode A { get; } = a;

        public TestNode B { get; } = b;

        public string Database { get; private init; } = "";

        public static async Task<TwoInstances> StartAsync(EnginesFixture engines, Func<NodeSettings, NodeSettings>? configure = null)
        {
            var database = await engines.Postgres.NewDatabaseAsync();
            var a = await TestNode.StartAsync(postgres: database, nats: engines.Nats.Url, configure: configure);
            try
            {
                return new TwoInstances(a, await StartSecondAsync(a, database, engines.Nats.Url, configure)) { Database = database };
            }
            catch
            {
                await a.DisposeAsync();
                throw;
            }
        }

        /// <summary>A second instance of <paramref name="first"/>'s node: its data directory holds a copy of the first's certificates, as an operator deploys them.</summary>
        public static async Task<TestNode> StartSecondAsync(TestNode first, string database, string nats, Func<NodeSettings, NodeSettings>? configure = null)
        {
            var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
            var certs = Path.Combine(dataDir, "certs");
            // Private, as the node requires of its data directory.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(certs);
            }
            else
            {
                Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Directory.CreateDirectory(certs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            foreach (var file in Directory.GetFiles(Path.Combine(first.DataDir, "certs")))
                File.Copy(file, Path.Combine(certs, Path.GetFileName(file)));
            return await TestNode.StartAsync(dataDir: dataDir, postgres: database, nats: nats, configure: configure);
        }

        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}
