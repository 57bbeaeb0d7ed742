using System.Net;
using Kizuna.Core.Identity;
using Kizuna.Server.Cli;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Server.WebConsole;
using Kizuna.Storage.Tests.Engines;

namespace Kizuna.Server.Tests;

/// <summary>
/// Console sign-in on a clustered node: the link (<c>kizuna console-token --postgres</c>) and the
/// session live in the node's PostgreSQL, so a browser the load balancer sends to either instance
/// stays signed in, a link signs in once across the instances, and a sign-out or a revocation
/// through one ends the session on every one.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterConsoleTests(EnginesFixture engines)
{
    [Fact]
    public async Task A_console_signed_in_through_one_instance_is_signed_in_on_the_other_until_it_signs_out_there()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        cluster.A.Issue("jjoc-console");

        // The link is issued from A's data directory into the database, and opened on B.
        var link = ConsoleTokenCommand.Issue(cluster.A.DataDir, "jjoc-console", new IPEndPoint(IPAddress.Loopback, cluster.A.Http.Port), null, cluster.Database);
        using var atA = Client(cluster.A);
        using var atB = Client(cluster.B);
        using (var signedIn = await atB.GetAsync(link.PathAndQuery))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal)).Split(';')[0];
            atA.DefaultRequestHeaders.Add("Cookie", cookie);
            atB.DefaultRequestHeaders.Add("Cookie", cookie);
        }

        // Once across the instances.
        using (var again = await Client(cluster.A).GetAsync(link.PathAndQuery))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
            Assert.Contains("already used", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (var client in new[] { atA, atB })
            Assert.Contains("\"name\":\"jjoc-console\"", await client.GetStringAsync("/api/whoami"), StringComparison.Ordinal);

        using (var signOut = await atA.PostAsync(ConsoleSignIn.SignOutPath, null))
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        foreach (var client in new[] { atA, atB })
        {
            using var refused = await client.GetAsync("/api/whoami");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
    }

    [Fact]
    public async Task A_console_session_ends_on_every_instance_when_its_certificate_is_revoked_through_one()
    {
        await using var cluster = await ClusterTests.TwoInstances.StartAsync(engines);
        cluster.A.ErrorsExpected = true;
        cluster.B.ErrorsExpected = true;
        var files = cluster.B.Issue("jjoc-lost-laptop");
        var link = ConsoleTokenCommand.Issue(cluster.B.DataDir, "jjoc-lost-laptop", new IPEndPoint(IPAddress.Loopback, cluster.B.Http.Port), null, cluster.Database);
        using var atA = Client(cluster.A);
        using (var signedIn = await atA.GetAsync(link.PathAndQuery))
            atA.DefaultRequestHeaders.Add("Cookie", signedIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0]);
        Assert.Contains("\"name\":\"jjoc-lost-laptop\"", await atA.GetStringAsync("/api/whoami"), StringComparison.Ordinal);

        cluster.B.Node.CertificateAuthority.Registry.Revoke([new RevokedCertificate(files.Serial, "jjoc-lost-laptop", DateTime.UtcNow, "lost laptop")]);

        // Whichever instance's revocation watcher reads it first ends the session in the database.
        var ended = await Task.WhenAny(
            cluster.A.Logs.WaitForAsync(e => e.EventId.Id == 4015, TestNode.Timeout),
            cluster.B.Logs.WaitForAsync(e => e.EventId.Id == 4015, TestNode.Timeout));
        Assert.Contains("jjoc-lost-laptop", (await ended).Message, StringComparison.Ordinal);
        using var refused = await atA.GetAsync("/api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    // Cookies by hand: both instances are 127.0.0.1, and a cookie jar does not tell ports apart.
    private static HttpClient Client(TestNode node)
        => new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = node.Http, Timeout = TestNode.Timeout };
}
