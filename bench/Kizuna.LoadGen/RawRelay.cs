using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;

namespace Kizuna.LoadGen;

/// <summary>
/// The baseline: a TCP relay that writes every byte a connection sends to every other
/// connection, with no XML parsing at all. It only frames on newlines, so that the drop policy
/// removes whole lines (events) and never splices two halves together. Each connection has a
/// bounded outgoing queue (<see cref="QueueEvents"/> lines, the same default as Kizuna's picture
/// lane); when it is full the oldest queued chunk is dropped and counted, so a slow reader
/// never stalls the others. One receive loop and one send loop per connection, both async.
/// With <paramref name="tls"/> it is a TLS relay (TLS 1.2/1.3, a client certificate required and
/// checked against the same CA, as a Kizuna CoT TLS listener does), so TLS is judged against TLS.
/// </summary>
internal sealed class RawRelay(IPEndPoint listen, int queueEvents, ClientTls? tls = null)
{
    private const int ReadBufferBytes = 64 * 1024;
    private const int MaxGather = 64;
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private long _nextId;
    private long _eventsIn;
    private long _eventsOut;
    private long _dropped;

    public int QueueEvents { get; } = queueEvents;

    public async Task RunAsync(TextWriter log, TimeSpan statsInterval, CancellationToken ct)
    {
        using var listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(listen);
        listener.Listen(1024);
        await log.WriteLineAsync($"Relay ready on {listener.LocalEndPoint} (queue {QueueEvents} events per connection{(tls is null ? "" : ", TLS")})").ConfigureAwait(false);
        await log.FlushAsync(ct).ConfigureAwait(false);
        var stats = StatsLoopAsync(log, statsInterval, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(ct).ConfigureAwait(false);
                socket.NoDelay = true;
                var connection = new Connection(this, Interlocked.Increment(ref _nextId), socket);
                if (tls is null)
                {
                    _connections[connection.Id] = connection;
                    _ = connection.RunAsync(ct);
                }
                else
                {
                    _ = connection.HandshakeThenRunAsync(tls, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var c in _connections.Values)
            {
                c.Close();
            }

            await stats.ConfigureAwait(false);
            await log.WriteLineAsync(Stats()).ConfigureAwait(false);
        }
    }

    private string Stats() =>
        $"relay: {_connections.Count} connections, events in {Interlocked.Read(ref _eventsIn)}, out {Interlocked.Read(ref _eventsOut)}, dropped {Interlocked.Read(ref _dropped)}";

    private async Task StatsLoopAsync(TextWriter log, TimeSpan interval, CancellationToken ct)
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        string last = string.Empty;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(interval, ct).ConfigureAwait(false);
                string now = Stats();
                if (!string.Equals(now, last, StringComparison.Ordinal))
                {
                    await log.WriteLineAsync(now).ConfigureAwait(false);
                    await log.FlushAsync(ct).ConfigureAwait(false);
                    last = now;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Forward(Connection from, byte[] chunk, int events)
    {
        Interlocked.Add(ref _eventsIn, events);
        foreach (var to in _connections.Values)
        {
            if (!ReferenceEquals(to, from))
            {
                to.Enqueue(chunk, events);
            }
        }
    }

    private sealed class Connection(RawRelay relay, long id, Socket socket)
    {
        private readonly Channel<(byte[] Chunk, int Events)> _queue =
            Channel.CreateUnbounded<(byte[] Chunk, int Events)>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
        private int _queued;
        private SslStream? _tls;

        public long Id { get; } = id;

        /// <summary>The TLS handshake (client certificate required), then the relay's loops over the TLS stream.</summary>
        public async Task HandshakeThenRunAsync(ClientTls server, CancellationToken ct)
        {
            var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, certificate, _, _) => server.Validate(certificate));
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = server.ClientCertificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }

            _tls = stream;
            relay._connections[Id] = this;
            await RunAsync(ct).ConfigureAwait(false);
        }

        public void Enqueue(byte[] chunk, int events)
        {
            if (!_queue.Writer.TryWrite((chunk, events)))
            {
                return; // closed
            }

            // Drop the oldest chunks while over the bound (Kizuna's picture lane policy).
            if (Interlocked.Add(ref _queued, events) > relay.QueueEvents)
            {
                while (Volatile.Read(ref _queued) > relay.QueueEvents && _queue.Reader.TryRead(out var old))
                {
                    Interlocked.Add(ref _queued, -old.Events);
                    Interlocked.Add(ref relay._dropped, old.Events);
                }
            }
        }

        public async Task RunAsync(CancellationToken ct)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var send = SendLoopAsync(cts.Token);
            try
            {
                await ReceiveLoopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                relay._connections.TryRemove(Id, out _);
                _queue.Writer.TryComplete();
                await cts.CancelAsync().ConfigureAwait(false);
                try
                {
                    await send.ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }

                if (_tls is not null)
                {
                    await _tls.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
            }
        }

        public void Close()
        {
            _queue.Writer.TryComplete();
            _tls?.Dispose();
            socket.Dispose();
        }

        private async Task ReceiveLoopAsync(CancellationToken ct)
        {
            var buffer = new byte[ReadBufferBytes];
            int carry = 0;
            while (true)
            {
                int read = _tls is { } tls
                    ? await tls.ReadAsync(buffer.AsMemory(carry), ct).ConfigureAwait(false)
                    : await socket.ReceiveAsync(buffer.AsMemory(carry), SocketFlags.None, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                int length = carry + read;
                var data = buffer.AsSpan(0, length);
                int lastNewline = data.LastIndexOf((byte)'\n');
                int complete = lastNewline + 1;
                if (complete == 0 && length == buffer.Length)
                {
                    complete = length; // a line longer than the buffer: pass it on as it is
                }

                if (complete > 0)
                {
                    var whole = data[..complete];
                    relay.Forward(this, whole.ToArray(), whole.Count((byte)'\n'));
                }

                carry = length - complete;
                if (carry > 0 && complete > 0)
                {
                    buffer.AsSpan(complete, carry).CopyTo(buffer);
                }
            }
        }

        private async Task SendLoopAsync(CancellationToken ct)
        {
            var gather = new List<ArraySegment<byte>>(MaxGather);
            byte[]? packed = null;
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                gather.Clear();
                int events = 0;
                while (gather.Count < MaxGather && reader.TryRead(out var item))
                {
                    gather.Add(item.Chunk);
                    events += item.Events;
                }

                if (gather.Count == 0)
                {
                    continue;
                }

                Interlocked.Add(ref _queued, -events);
                int total = 0;
                foreach (var segment in gather)
                {
                    total += segment.Count;
                }

                if (_tls is { } tls)
                {
                    // TLS: the chunks packed into records of up to 16 KiB, as Kizuna's writer packs events.
                    packed ??= new byte[16 * 1024];
                    await WritePackedAsync(tls, gather, packed, ct).ConfigureAwait(false);
                    Interlocked.Add(ref relay._eventsOut, events);
                    continue;
                }

                // Socket.SendAsync with a buffer list sends everything before completing.
                int sent = await socket.SendAsync(gather, SocketFlags.None).WaitAsync(ct).ConfigureAwait(false);
                if (sent != total)
                {
                    return;
                }

                Interlocked.Add(ref relay._eventsOut, events);
            }
        }

        private static async Task WritePackedAsync(SslStream tls, List<ArraySegment<byte>> gather, byte[] packed, CancellationToken ct)
        {
            int used = 0;
            foreach (var segment in gather)
            {
                if (segment.Count > packed.Length)
                {
                    if (used > 0)
                    {
                        await tls.WriteAsync(packed.AsMemory(0, used), ct).ConfigureAwait(false);
                        used = 0;
                    }

                    await tls.WriteAsync(segment, ct).ConfigureAwait(false);
                    continue;
                }

                if (segment.Count > packed.Length - used)
                {
                    await tls.WriteAsync(packed.AsMemory(0, used), ct).ConfigureAwait(false);
                    used = 0;
                }

                segment.AsSpan().CopyTo(packed.AsSpan(used));
                used += segment.Count;
            }

            if (used > 0)
            {
                await tls.WriteAsync(packed.AsMemory(0, used), ct).ConfigureAwait(false);
            }
        }
    }
}
