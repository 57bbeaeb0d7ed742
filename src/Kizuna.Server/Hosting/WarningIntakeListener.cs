using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Sessions;
using Kizuna.Core.Warnings;

namespace Kizuna.Server.Hosting;

/// <summary>The intake's guards against connections that never become sensors (settings of the same names).</summary>
/// <param name="HandshakeTimeout">The whole TLS handshake must finish within this (<c>--handshake-timeout</c>).</param>
/// <param name="MaxPerAddress">Connections one remote address may have open at once (<c>--max-connections-per-address</c>).</param>
/// <param name="HandshakeSlots">Of the <see cref="WarningIntakeListener.MaxConnections"/> slots, at most this many may be still handshaking (<c>--intake-handshake-slots</c>).</param>
public sealed record IntakeLimits(TimeSpan HandshakeTimeout, int MaxPerAddress, int HandshakeSlots);

/// <summary>
/// The warning intake (<c>--warning-intake</c>): a TLS listener for sensor feeds that takes sensor
/// reports and warning acknowledgements only. Kestrel's listeners complete every socket read
/// through the thread pool, which a saturating picture load keeps a queue deep; here each
/// connection is read with blocking reads on a thread of its own (real-time priority where
/// permitted, as the warning issuer), and the connection's read loop runs on that thread, so a
/// report reaches the issuer as soon as its bytes arrive. Everything after the read is the same
/// <see cref="CotConnection"/> as on any listener: identity from the client certificate (the
/// same <see cref="ClientAuthenticator"/>), the label door, refusals with reasons, resend,
/// revocation. Sensor feeds are few: at most <see cref="MaxConnections"/> at once.
/// <para>
/// Connections that never finish a handshake cannot keep sensors out: the whole handshake must
/// finish within <see cref="IntakeLimits.HandshakeTimeout"/>; one address may hold at most
/// <see cref="IntakeLimits.MaxPerAddress"/> connections; and at most
/// <see cref="IntakeLimits.HandshakeSlots"/> of the slots may be still handshaking: when they are
/// all taken, the oldest unfinished handshake is closed to make room for the new connection. A
/// sensor's handshake takes milliseconds, a trickling one seconds, so it is the trickler that
/// gives way, and the remaining slots are kept for authenticated sensors.
/// </para>
/// </summary>
public sealed class WarningIntakeListener(
    IPEndPoint endpoint,
    NodeCertificateAuthority authority,
    ClientAuthenticator authenticator,
    CotConnection connection,
    IHostApplicationLifetime lifetime,
    ILogger<WarningIntakeListener> logger,
    IntakeLimits limits,
    KizunaMetrics metrics,
    TimeProvider time) : IHostedService, IDisposable
{
    public const int MaxConnections = 64;

    private readonly TcpListener _listener = new(endpoint);
    private readonly AddressLimit _perAddress = new(limits.MaxPerAddress);
    private readonly LinkedList<Handshake> _handshaking = new(); // oldest first
    private readonly Lock _gate = new();
    private Thread? _acceptor;
    private int _open;
    private volatile bool _stopping;

    /// <summary>The bound address (the port is chosen when 0 was asked for), once started.</summary>
    public IPEndPoint? BoundEndpoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        BoundEndpoint = (IPEndPoint)_listener.LocalEndpoint;
        ServerLog.Listening(logger, "warning-intake", BoundEndpoint.ToString());
        _acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = "kizuna-warning-intake" };
        _acceptor.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _listener.Stop(); // Accept throws; open connections end with the node's stopping token
        return Task.CompletedTask;
    }

    public void Dispose() => _listener.Dispose();

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket socket;
            try
            {
                socket = _listener.AcceptSocket();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            var remoteEndpoint = socket.RemoteEndPoint as IPEndPoint;
            var remote = remoteEndpoint?.ToString() ?? "unknown";
            if (!_perAddress.TryEnter(remoteEndpoint?.Address))
            {
                metrics.ConnectionRefused(ConnectionRefusal.PerAddressLimit);
                ServerLog.AddressLimitReached(logger, "warning-intake", remote, _perAddress.Max);
                socket.Dispose();
                continue;
            }

            if (Interlocked.Increment(ref _open) > MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                _perAddress.Leave(remoteEndpoint?.Address);
                metrics.ConnectionRefused(ConnectionRefusal.IntakeFull);
                ServerLog.IntakeFull(logger, remote, MaxConnections);
                socket.Dispose();
                continue;
            }

            var address = remoteEndpoint?.Address;
            var handshake = new Handshake(socket, remote, time.GetTimestamp(), () =>
            {
                Interlocked.Decrement(ref _open);
                _perAddress.Leave(address);
            });
            Handshake? displaced = null;
            lock (_gate)
            {
                if (_handshaking.Count >= limits.HandshakeSlots && _handshaking.First is { } oldest)
                {
                    displaced = oldest.Value;
                    _handshaking.RemoveFirst();
                }

                handshake.Node = _handshaking.AddLast(handshake);
            }

            if (displaced is not null && displaced.TryEnd())
            {
                metrics.ConnectionRefused(ConnectionRefusal.HandshakeDisplaced);
                ServerLog.HandshakeDisplaced(logger, displaced.Remote, time.GetElapsedTime(displaced.Started).TotalSeconds, limits.HandshakeSlots);
            }

            new Thread(() => Serve(handshake)) { IsBackground = true, Name = "kizuna-intake-reader" }.Start();
        }
    }

    /// <summary>One connection, on its own thread: handshake (within the deadline), then blocking reads until it ends.</summary>
    private void Serve(Handshake handshake)
    {
        IssuerPriority.TryRaiseCurrentThread(); // said once by the issuer (logs 1017/1018)
        var socket = handshake.Socket;
        var remote = handshake.Remote;
        var started = time.GetTimestamp();
        try
        {
            socket.NoDelay = true;
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            Principal? principal = null;
            string? refusal = null;
            try
            {
                // The whole handshake, however its bytes trickle: at the deadline the socket is
                // closed under the blocking read (the per-read timeout, a second later, is a second guard).
                using (time.CreateTimer(_ => TimedOut(handshake), null, limits.HandshakeTimeout, Timeout.InfiniteTimeSpan))
                {
                    socket.ReceiveTimeout = socket.SendTimeout = (int)Math.Min(int.MaxValue, (limits.HandshakeTimeout + TimeSpan.FromSeconds(1)).TotalMilliseconds);
                    tls.AuthenticateAsServer(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = authority.ServerCertificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        // The node's CA is not in the system store: the authenticator is the whole check,
                        // exactly as on the CoT TLS listener.
                        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                            certificate is X509Certificate2 client && authenticator.TryAuthenticate(client, out principal, out refusal),
                    });
                    if (!handshake.TryFinish())
                    {
                        return; // closed at the deadline or displaced, as the handshake ended
                    }
                }
            }
            finally
            {
                Forget(handshake);
            }

            socket.ReceiveTimeout = socket.SendTimeout = 0; // the connection's own idle and stall limits apply from here
            if (principal is null)
            {
                ServerLog.ConnectionRefused(logger, remote, refusal ?? "no client certificate");
                return;
            }

            Run(tls, principal, remote);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException)
        {
            if (time.GetElapsedTime(started) >= limits.HandshakeTimeout)
            {
                TimedOut(handshake); // the per-read guard ended it before the deadline's timer ran (a no-op after a finished handshake)
            }

            if (!handshake.Ended)
            {
                ServerLog.ConnectionRefused(logger, remote, "TLS handshake failed: " + ex.Message);
            }
        }
        finally
        {
            socket.Dispose();
            handshake.Release();
        }
    }

    private void TimedOut(Handshake handshake)
    {
        if (handshake.TryEnd())
        {
            metrics.ConnectionRefused(ConnectionRefusal.HandshakeTimeout);
            ServerLog.HandshakeTimedOut(logger, "warning-intake", handshake.Remote, limits.HandshakeTimeout.TotalSeconds);
        }
    }

    private void Forget(Handshake handshake)
    {
        lock (_gate)
        {
            if (handshake.Node is { List: not null } node)
            {
                _handshaking.Remove(node);
            }
        }
    }

    /// <summary>A connection still handshaking: ended once, either finished by its thread or closed by the deadline or a newcomer.</summary>
    /// <remarks>
    /// Its slot (and its address's count) is given back once: when the listener ends it, at once,
    /// so a newcomer never waits for the closed connection's thread; otherwise when its thread ends.
    /// </remarks>
    private sealed class Handshake(Socket socket, string remote, long started, Action release)
    {
        private int _state; // 0 handshaking, 1 finished, 2 ended by the listener
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }

        public Socket Socket { get; } = socket;
        public string Remote { get; } = remote;
        public long Started { get; } = started;
        public LinkedListNode<Handshake>? Node { get; set; }
        public bool Ended => Volatile.Read(ref _state) == 2;

        public bool TryFinish() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

        /// <summary>Closes the socket under a handshake still going; false if it had finished (or was ended) already.</summary>
        public bool TryEnd()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) != 0)
            {
                return false;
            }

            try
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }

            Socket.Dispose();
            Release();
            return true;
        }
    }

    private void Run(SslStream tls, Principal principal, string remote)
    {
        // Inline schedulers: the connection's read loop continues on this thread when bytes are
        // flushed into its pipe, and its writer's flush returns as soon as the pump has room.
        var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var input = new Pipe(options);
        var output = new Pipe(options);
        var running = connection.RunAsync(new Transport(input.Reader, output.Writer), principal, remote, "warning-intake", lifetime.ApplicationStopping, warningInputOnly: true);

        // However the connection ends (client, idle, revocation, shutdown), closing the stream
        // ends the blocking reads and writes below.
        _ = running.ContinueWith(_ =>
        {
            output.Writer.Complete();
            tls.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        var pump = new Thread(() => Pump(output.Reader, tls)) { IsBackground = true, Name = "kizuna-intake-writer" };
        pump.Start();
        try
        {
            while (true)
            {
                var memory = input.Writer.GetMemory(16 * 1024);
                var read = tls.Read(memory.Span);
                if (read == 0)
                {
                    break;
                }

                input.Writer.Advance(read);
                if (Block(input.Writer.FlushAsync()).IsCompleted)
                {
                    break; // the connection stopped reading
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Closed by either side.
        }
        finally
        {
            input.Writer.Complete();
        }

        running.Wait(TimeSpan.FromSeconds(30));
        pump.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>Writes what the connection's writer flushes into its pipe to the TLS stream.</summary>
    private static void Pump(PipeReader output, SslStream tls)
    {
        try
        {
            while (true)
            {
                var result = Block(output.ReadAsync());
                foreach (var segment in result.Buffer)
                {
                    tls.Write(segment.Span);
                }

                tls.Flush();
                output.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // The client went; the connection notices on its next flush or read.
        }
        finally
        {
            output.Complete();
        }
    }

    /// <summary>Waits on this thread (the intake's threads are its own, blocking is their job).</summary>
    private static T Block<T>(ValueTask<T> pending) => pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
