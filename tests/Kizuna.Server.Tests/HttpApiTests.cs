using System.Net;
using System.Net.Http.Json;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

public sealed class HttpApiTests
{
    [Fact]
    public async Task Accepted_events_are_stored_and_queryable_by_uid_type_and_time()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await node.ConnectTcpAsync();
        var t0 = DateTime.UtcNow.AddMinutes(-1);
        await client.SendAsync(CotText.Position("q-1", "Q1", time: t0));
        await client.SendAsync(CotText.Position("q-1", "Q1", time: t0.AddSeconds(10)));
        await client.SendAsync(CotText.Position("q-2", "Q2", time: t0.AddSeconds(20), type: "a-h-G"));
        await client.SendAsync(CotText.Ping("barrier"));
        await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        using var http = node.CreateHttpsClient(node.Issue("api-reader"));
        var byUid = await http.GetFromJsonAsync("/api/events?uid=q-1", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(2, byUid!.Count);
        Assert.True(byUid[0].Time > byUid[1].Time, "newest first");

        var byType = await http.GetFromJsonAsync("/api/events?type=a-h-G", ApiJsonContext.Default.ListEventJson);
        Assert.Equal("q-2", Assert.Single(byType!).Uid);

        var since = Uri.EscapeDataString(CotText.Time(t0.AddSeconds(5)));
        var window = await http.GetFromJsonAsync($"/api/events?since={since}&limit=1", ApiJsonContext.Default.ListEventJson);
        Assert.Equal("q-2", Assert.Single(window!).Uid);

        var latest = await http.GetFromJsonAsync("/api/events/latest", ApiJsonContext.Default.ListEventJson);
        Assert.Equal(["q-1", "q-2"], latest!.Select(e => e.Uid).Order().ToArray());
        Assert.Equal("Q1", latest!.Single(e => e.Uid == "q-1").Callsign);
    }

    [Fact]
    public async Task The_state_at_a_past_time_shows_each_entity_where_it_was_then()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await node.ConnectTcpAsync();
        var now = DateTime.UtcNow;
        await client.SendAsync(CotText.Position("s-1", "S1", time: now.AddMinutes(-2), lat: 35.0));
        await client.SendAsync(CotText.Position("s-1", "S1", time: now.AddMinutes(-1), lat: 36.0));
        await client.SendAsync(CotText.Ping("barrier"));
        await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong");
        await node.Node.Store.FlushAsync(CancellationToken.None);

        using var http = node.CreateHttpsClient(node.Issue("api-reader"));
        var then = await http.GetFromJsonAsync($"/api/events/state?at={Uri.EscapeDataString(CotText.Time(now.AddSeconds(-90)))}", ApiJsonContext.Default.ListEventJson);
        var later = await http.GetFromJsonAsync($"/api/events/state?at={Uri.EscapeDataString(CotText.Time(now))}", ApiJsonContext.Default.ListEventJson);
        var before = await http.GetFromJsonAsync($"/api/events/state?at={Uri.EscapeDataString(CotText.Time(now.AddMinutes(-3)))}", ApiJsonContext.Default.ListEventJson);

        Assert.Equal(35.0, Assert.Single(then!, e => e.Uid == "s-1").Point.Lat);
        Assert.Equal(36.0, Assert.Single(later!, e => e.Uid == "s-1").Point.Lat);
        Assert.DoesNotContain(before!, e => e.Uid == "s-1");
    }

    [Theory]
    [InlineData("/api/events?since=yesterday", "since")]
    [InlineData("/api/events?until=2026-13-45", "until")]
    [InlineData("/api/events?limit=0", "limit")]
    [InlineData("/api/events?limit=100000", "limit")]
    [InlineData("/api/events/state", "at")]
    [InlineData("/api/events/state?at=noon", "at")]
    [InlineData("/api/events/state?at=0001-01-01T00:00:00Z", "at")]
    [InlineData("/api/events/state?at=9999-12-31T23:59:59Z", "at")]
    [InlineData("/api/events/state?at=", "at")]
    [InlineData("/api/events/state?at=2026-11-22T09:00:00Z&at=2026-11-22T10:00:00Z", "at")]
    [InlineData("/api/events?since=0001-01-01T00:00:00Z", "since")]
    [InlineData("/api/events?until=9999-12-31T23:59:59Z", "until")]
    [InlineData("/api/events?since=2026-11-22T10:00:00Z&until=2026-11-22T09:00:00Z", "since")]
    [InlineData("/api/events?limit=1&limit=2", "limit")]
    [InlineData("/api/events?limit=-1", "limit")]
    public async Task A_bad_query_parameter_is_answered_400_naming_the_parameter(string path, string parameter)
    {
        await using var node = await TestNode.StartAsync();
        using var http = node.CreateHttpsClient(node.Issue("api-reader"));
        var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ErrorJson);
        Assert.StartsWith(parameter + ":", error!.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/events")]
    [InlineData("/api/events/latest")]
    [InlineData("/api/events/state?at=2026-11-22T09:00:00Z")]
    [InlineData("/api/whoami")]
    [InlineData("/api/profile")]
    public async Task Without_a_client_certificate_the_api_answers_401_and_says_how_to_identify(string path)
    {
        await using var node = await TestNode.StartAsync();
        using var plain = node.CreateHttpClient();
        using var anonymousTls = node.CreateHttpsClient(files: null);
        foreach (var http in new[] { plain, anonymousTls })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ErrorJson);
            Assert.Contains("client certificate", error!.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Healthz_and_metrics_report_connections_events_and_rejects()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await node.ConnectTcpAsync();
        await using var other = await node.ConnectTcpAsync();
        await client.SendAsync(CotText.Position("m-1", "M"));
        await other.ExpectUidAsync("m-1");
        await client.SendAsync("<event version=\"2.0\" uid=\"bad\" type=\"a-f-G\" time=\"x\" start=\"x\" stale=\"x\"><point lat=\"1\" lon=\"1\" hae=\"0\" ce=\"0\" le=\"0\"/></event>");
        await node.Logs.WaitForAsync(e => e.EventId.Id == 1003, TestNode.Timeout);

        using var http = node.CreateHttpClient();
        var health = await http.GetFromJsonAsync("/healthz", ApiJsonContext.Default.HealthJson);
        Assert.Equal("ok", health!.Status);
        Assert.Equal(2, health.Connections);

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("kizuna_connections 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kizuna_events_in_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kizuna_rejects_total{reason=\"BadTime\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kizuna_drops_total{reason=\"PictureQueueFull\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kizuna_queue_depth", metrics, StringComparison.Ordinal);
    }
}
