using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A browser console as the tests drive it: signs in with a one-time link (made by the same code
/// as <c>kizuna console-token</c>), keeps the cookie, and opens the live feed. Every wait is bounded.
/// </summary>
public sealed class ConsoleClient : IDisposable
{
    private ConsoleClient(TestNode node, CookieContainer cookies, HttpClient http)
    {
        Node = node;
        Cookies = cookies;
        Http = http;
    }

    public TestNode Node { get; }
    public CookieContainer Cookies { get; }

    /// <summary>Plain HTTP to the node with the console cookie, redirects not followed.</summary>
    public HttpClient Http { get; }

    /// <summary>A sign-in link for <paramref name="name"/>, as <c>kizuna console-token --name</c> prints it.</summary>
    public static Uri SignInLink(TestNode node, string name)
        => ConsoleTokenCommand.Issue(node.DataDir, name, new IPEndPoint(IPAddress.Loopback, node.Http.Port), null);

    /// <summary>A client without a cookie yet.</summary>
    public static ConsoleClient Anonymous(TestNode node)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = node.Http, Timeout = TestNode.Timeout };
        return new ConsoleClient(node, cookies, http);
    }

    /// <summary>Signs in as an identity already issued with <see cref="TestNode.Issue"/>.</summary>
    public static async Task<ConsoleClient> SignInAsync(TestNode node, string name)
    {
        var client = Anonymous(node);
        using var response = await client.Http.GetAsync(SignInLink(node, name)).ConfigureAwait(false);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public async Task<LiveFeed> OpenLiveAsync()
    {
        var socket = new ClientWebSocket();
        socket.Options.Cookies = Cookies;
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await socket.ConnectAsync(new Uri($"ws://{Node.Http.Authority}/api/console/live"), cts.Token).ConfigureAwait(false);
        return new LiveFeed(socket);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>The console's live WebSocket: every text message kept raw, as the browser would get it.</summary>
public sealed class LiveFeed : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _all = new();
    private readonly Task _readLoop;

    public LiveFeed(ClientWebSocket socket)
    {
        _socket = socket;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Every message received so far, raw.</summary>
    public IReadOnlyList<string> Raw => [.. _all];

    /// <summary>Completes when the node closed the feed.</summary>
    public Task Closed => _readLoop;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public string? CloseReason => _socket.CloseStatusDescription;

    /// <summary>Waits for the next message of <paramref name="kind"/> matching <paramref name="match"/> (earlier ones are skipped).</summary>
    public async Task<JsonElement> ExpectAsync(string kind, Func<JsonElement, bool>? match = null, string? what = null)
    {
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        try
        {
            while (true)
            {
                var text = await _messages.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement.Clone();
                if (root.GetProperty("kind").GetString() == kind && (match?.Invoke(root) ?? true))
                {
                    return root;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no {what ?? kind} message on the live feed within {TestNode.Timeout.TotalSeconds:0} s (closed: {CloseStatus} {CloseReason}); got: {string.Join(" | ", Raw.Select(r => r.Length > 200 ? r[..200] : r))}");
        }
    }

    public Task<JsonElement> ExpectEventAsync(string uid)
        => ExpectAsync("event", m => m.GetProperty("event").GetProperty("uid").GetString() == uid, $"event {uid}");

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await _socket.SendAsync(bytes, type, endOfMessage: true, cts.Token).ConfigureAwait(false);
    }

    /// <summary>Waits until the node closes the feed; returns the status it closed with.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync()
    {
        await _readLoop.WaitAsync(TestNode.Timeout).ConfigureAwait(false);
        return _socket.CloseStatus;
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token).ConfigureAwait(false);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    var text = Encoding.UTF8.GetString(message.ToArray());
                    message.SetLength(0);
                    _all.Enqueue(text);
                    _messages.Writer.TryWrite(text);
                }
            }
        }
        catch (WebSocketException)
        {
            // The connection ended without a close handshake.
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Closing is best effort at the end of a test.
            }
        }

        _socket.Dispose();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }
}
