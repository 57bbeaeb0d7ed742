using System.Net;
using System.Text.Json;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>What ATAK, WinTAK and iTAK poll on the HTTPS port when they connect: answered as TAK Server answers when it has nothing, never 404, and only with an identity.</summary>
public sealed class ClientPollTests
{
    [Fact]
    public async Task The_endpoints_a_tak_client_polls_on_connect_answer_as_tak_server_does_when_it_has_nothing()
    {
        await using var node = await TestNode.StartAsync();
        using var http = node.CreateHttpsClient(node.Issue("jjoc-atak", "JJOC"));
        using var anonymous = node.CreateHttpsClient(null);

        var profile = await http.GetAsync("/Marti/api/device/profile/connection?syncSecago=-1&clientUid=ANDROID-0123");
        Assert.Equal(HttpStatusCode.NoContent, profile.StatusCode);
        Assert.Empty(await profile.Content.ReadAsByteArrayAsync());

        foreach (var (path, type) in new[] { ("/Marti/api/groups/all?useCache=true", "com.bbn.marti.remote.groups.Group"), ("/Marti/api/missions?passwordProtected=true&defaultRole=true", "Mission") })
        {
            using var list = JsonDocument.Parse(await http.GetStringAsync(path));
            Assert.Equal(type, list.RootElement.GetProperty("type").GetString());
            Assert.Empty(list.RootElement.GetProperty("data").EnumerateArray());
        }

        using (var cache = JsonDocument.Parse(await http.GetStringAsync("/Marti/api/groups/groupCacheEnabled")))
        {
            Assert.False(cache.RootElement.GetProperty("data").GetBoolean());
        }

        Assert.Equal("[\"user\"]", await http.GetStringAsync("/Marti/api/util/user/roles"));
        Assert.Equal("<videoConnections/>", await http.GetStringAsync("/Marti/vcm"));
        using (var video = JsonDocument.Parse(await http.GetStringAsync("/Marti/api/video")))
        {
            Assert.Empty(video.RootElement.GetProperty("videoConnections").EnumerateArray());
        }

        foreach (var path in new[] { "/Marti/api/device/profile/connection", "/Marti/api/groups/all", "/Marti/api/missions", "/Marti/vcm", "/Marti/sync/search" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }
    }
}
