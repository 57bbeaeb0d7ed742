using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Sessions;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.WebConsole;

/// <summary>
/// The console's live feed, WebSocket <c>/api/console/live</c>: <c>hello</c> (who is signed in),
/// <c>snapshot</c> (the latest picture it may see), then every live event and warning version it
/// may see, as JSON text messages (docs/console.md). A feed is a <see cref="ClientSession"/> of the
/// router like a CoT client, so every delivery passes the same access decision and lanes: warnings
/// first and never dropped, the picture bounded with the oldest dropped when the browser falls
/// behind. The browser may send only <c>{"kind":"ping"}</c>; anything else, a message over
/// <see cref="MaxMessageBytes"/>, or more than <see cref="MaxMessagesPerSecond"/> messages in a
/// second closes that feed alone with 1008.
/// </summary>
public sealed class ConsoleLive(
    EventRouter router,
    LabelPolicy labels,
    NodeIdentity node,
    ConnectionOptions options,
    KizunaMetrics metrics,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ConsoleLive> logger)
{
    public const string Path = "/api/console/live";
    public const string Listener = "console";
    public const int MaxMessageBytes = 4096;
    public const int MaxMessagesPerSecond = 20;

    /// <summary>How long a closing feed waits for its writer and for the browser's close answer.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    public static void Map(WebApplication app)
    {
        app.Map(Path, async (HttpContext context, ConsoleLive live) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest(new ErrorJson($"{Path} is a WebSocket (ws: over HTTP, wss: over HTTPS)"));
            }

            // A page of another site must not open the feed with this browser's cookie or certificate.
            if (!ConsoleSessions.IsSameOrigin(context))
            {
                return Results.Json(new ErrorJson("the live feed answers pages of this node only"), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden);
            }

            var caller = Caller.Of(context);
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            await live.RunAsync(socket, caller, $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}").ConfigureAwait(false);
            return Results.Empty;
        });
    }

    /// <summary>Serves one feed until the browser leaves, misbehaves, loses its identity, or the node stops.</summary>
    public async Task RunAsync(WebSocket socket, Principal principal, string remoteEndpoint)
    {
        using var hardStop = new CancellationTokenSource();
        Ending? ending = null;
        var life = new SessionLifecycle(
            router, options, metrics, principal, remoteEndpoint, Listener, reason => ending!.Stop(WebSocketCloseStatus.PolicyViolation, reason),
            (s, drops) => ServerLog.ConsoleLivePictureDropped(logger, s.Id, drops), (AccessExit.Console, AccessExit.Console));
        ending = new Ending(life);
        var session = life.Session;
        // The answer to a ping rides the control lane like a CoT pong; the writer knows it by reference.
        var pong = new SharedEvent(TakControlEvents.CreatePong(TakControlEvents.CreateProtocolOffer(Now), Now), labels.DefaultFor(principal), "node", Now);
        ServerLog.ConsoleLiveOpened(logger, session.Id, remoteEndpoint, principal.Name, principal.Nation, principal.Organization, principal.Clearance);
        metrics.ConsoleFeedOpened();

        using var stopping = lifetime.ApplicationStopping.Register(() => ending.Stop(WebSocketCloseStatus.EndpointUnavailable, "node shutting down"));
        Task<(WebSocketCloseStatus Status, string Reason)>? reader = null;
        Task? writer = null;
        try
        {
            // Attached first: nothing published from here on is missed; then hello and the snapshot,
            // then the current warnings it has not acknowledged (warning lane, so they go first).
            var snapshot = life.Attach(AttachMode.Snapshot);
            await SendAsync(socket, new LiveHelloJson(WhoAmIJson.For(principal, labels, node.Principal)), ApiJsonContext.Default.LiveHelloJson, options.WriteStallTimeout, hardStop.Token).ConfigureAwait(false);
            await SendAsync(socket, new LiveSnapshotJson([.. snapshot.Select(Json)]), ApiJsonContext.Default.LiveSnapshotJson, options.WriteStallTimeout, hardStop.Token).ConfigureAwait(false);
            await life.GreetAsync(hardStop.Token).ConfigureAwait(false);

            writer = WriteLoopAsync(socket, session, pong, ending, hardStop.Token);
            reader = ReadLoopAsync(socket, session, pong, hardStop.Token);
            var first = await Task.WhenAny(reader, writer, ending.Stopped).ConfigureAwait(false);
            if (first == reader)
            {
                var (status, reason) = await reader.ConfigureAwait(false);
                if (status == WebSocketCloseStatus.PolicyViolation)
                {
                    metrics.DisconnectedForMisbehaviour();
                    ServerLog.ConsoleLivePolicyViolation(logger, session.Id, remoteEndpoint, reason);
                }

                ending.Stop(status, reason);
            }
            else if (first == writer)
            {
                ending.Stop(WebSocketCloseStatus.PolicyViolation, "not reading");
            }

            // The writer stops at its next item; a send stuck on a browser that does not read is cut.
            if (await Task.WhenAny(writer, Task.Delay(CloseTimeout)).ConfigureAwait(false) != writer)
            {
                await hardStop.CancelAsync().ConfigureAwait(false);
            }

            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var closing = new CancellationTokenSource(CloseTimeout);
                await socket.CloseOutputAsync(ending.Status, ending.Reason, closing.Token).ConfigureAwait(false);
            }

            // The browser answers the close; the reader sees it (or is cut after the timeout).
            if (await Task.WhenAny(reader, Task.Delay(CloseTimeout)).ConfigureAwait(false) != reader)
            {
                await hardStop.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or TimeoutException)
        {
            ending.Stop(WebSocketCloseStatus.EndpointUnavailable, "connection lost: " + ex.GetType().Name);
        }
        catch (Exception ex)
        {
            ServerLog.ConsoleLiveFailed(logger, ex, session.Id, remoteEndpoint);
            ending.Stop(WebSocketCloseStatus.InternalServerError, "failed");
        }
        finally
        {
            life.End();
            await hardStop.CancelAsync().ConfigureAwait(false);
            await Quietly(writer).ConfigureAwait(false);
            await Quietly(reader).ConfigureAwait(false);
            metrics.ConsoleFeedClosed();
            ServerLog.ConsoleLiveClosed(logger, session.Id, remoteEndpoint, ending.Reason);
        }
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Drains the session's lanes (warning, control, picture) into JSON text messages.</summary>
    private async Task WriteLoopAsync(WebSocket socket, ClientSession session, SharedEvent pong, Ending ending, CancellationToken token)
    {
        var batch = new List<OutboundItem>(options.WriteBatchSize);
        while (true)
        {
            batch.Clear();
            if (session.Queue.DequeueBatch(batch, options.WriteBatchSize) == 0)
            {
                if (session.Queue.IsCompleted)
                {
                    return;
                }

                await session.Queue.WaitAsync().ConfigureAwait(false);
                continue;
            }

            long bytes = 0;
            var written = 0;
            foreach (var item in batch)
            {
                if (ending.IsStopping)
                {
                    return;
                }

                var shared = item.Event!;
                var message = ReferenceEquals(shared, pong) ? JsonSerializer.SerializeToUtf8Bytes(new LivePongJson(), ApiJsonContext.Default.LivePongJson)
                    : shared.Payload is WarningDelivery delivery ? JsonSerializer.SerializeToUtf8Bytes(new LiveWarningJson(WarningJson.From(delivery.Version, []), delivery.EscalatedFrom), ApiJsonContext.Default.LiveWarningJson)
                    : JsonSerializer.SerializeToUtf8Bytes(new LiveEventJson(Json(shared)), ApiJsonContext.Default.LiveEventJson);
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, token).WaitAsync(options.WriteStallTimeout, token).ConfigureAwait(false);
                bytes += message.Length;
                written++;
                shared.Payload?.Written(session.Principal);
            }

            metrics.EventsWritten(written, bytes);
        }
    }

    /// <summary>
    /// Reads the browser's messages: only pings, each answered on the control lane. Returns how the
    /// feed ends: the browser closed it, or a policy violation with its reason.
    /// </summary>
    private async Task<(WebSocketCloseStatus Status, string Reason)> ReadLoopAsync(WebSocket socket, ClientSession session, SharedEvent pong, CancellationToken token)
    {
        var buffer = new byte[MaxMessageBytes + 1];
        var recent = new Queue<long>(MaxMessagesPerSecond + 1);
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    return (WebSocketCloseStatus.PolicyViolation, $"message over {MaxMessageBytes} bytes");
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (WebSocketCloseStatus.NormalClosure, "closed by the browser");
                }

                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (length > MaxMessageBytes)
            {
                return (WebSocketCloseStatus.PolicyViolation, $"message over {MaxMessageBytes} bytes");
            }

            var now = time.GetTimestamp();
            recent.Enqueue(now);
            while (time.GetElapsedTime(recent.Peek(), now) >= TimeSpan.FromSeconds(1))
            {
                recent.Dequeue();
            }

            if (recent.Count > MaxMessagesPerSecond)
            {
                return (WebSocketCloseStatus.PolicyViolation, $"more than {MaxMessagesPerSecond} messages in a second");
            }

            if (result.MessageType != WebSocketMessageType.Text)
            {
                return (WebSocketCloseStatus.PolicyViolation, "binary messages are not accepted");
            }

            if (!IsPing(buffer.AsSpan(0, length), out var refusal))
            {
                return (WebSocketCloseStatus.PolicyViolation, refusal);
            }

            session.Deliver(pong, Lane.Control);
        }
    }

    /// <summary>True for <c>{"kind":"ping"}</c> (other members are ignored); otherwise why not, in a few words.</summary>
    private static bool IsPing(ReadOnlySpan<byte> utf8, out string refusal)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                refusal = "not a JSON object";
                return false;
            }

            if (!document.RootElement.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
            {
                refusal = "no kind";
                return false;
            }

            if (!kind.ValueEquals("ping"))
            {
                refusal = "unknown kind";
                return false;
            }

            refusal = string.Empty;
            return true;
        }
        catch (JsonException)
        {
            refusal = "not JSON";
            return false;
        }
    }

    private static EventJson Json(SharedEvent shared) => EventJson.From(new StoredEvent(shared.Event, shared.ReceivedAt, shared.Sender), shared.Label);

    /// <summary>One message outside the writer loop (hello, snapshot: before the loop starts); a browser that does not read is cut after <paramref name="stall"/>.</summary>
    private static async Task SendAsync<T>(WebSocket socket, T message, JsonTypeInfo<T> type, TimeSpan stall, CancellationToken token)
        => await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, type), WebSocketMessageType.Text, endOfMessage: true, token).WaitAsync(stall, token).ConfigureAwait(false);

    private static async Task Quietly(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or TimeoutException or ObjectDisposedException)
        {
            // The feed is over; how its loops ended is in the close reason already.
        }
    }

    /// <summary>How a feed ends: the first reason wins; stopping completes the queue, which wakes the writer.</summary>
    private sealed class Ending(SessionLifecycle life)
    {
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _stopping;

        public WebSocketCloseStatus Status { get; private set; } = WebSocketCloseStatus.NormalClosure;
        public string Reason { get; private set; } = "closed";
        public bool IsStopping => Volatile.Read(ref _stopping) != 0;
        public Task Stopped => _stopped.Task;

        public void Stop(WebSocketCloseStatus status, string reason)
        {
            if (Interlocked.Exchange(ref _stopping, 1) != 0)
            {
                return;
            }

            Status = status;
            // A close reason is at most 123 bytes of UTF-8.
            while (System.Text.Encoding.UTF8.GetByteCount(reason) > 123)
            {
                reason = reason[..^1];
            }

            Reason = reason;
            life.Complete();
            _stopped.TrySetResult();
        }
    }
}
