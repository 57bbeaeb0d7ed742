using System.Net;
using System.Net.Sockets;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on a federation link that forwards bytes both ways. <see cref="Cut"/> kills every
/// connection mid-stream and refuses new ones until <see cref="Heal"/>; <see cref="Target"/> can
/// be moved (a restarted node listens on a new port).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public FaultProxy(IPEndPoint target)
    {
        Target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public IPEndPoint Target { get; set; }

    public DnsEndPoint Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

    /// <summary>Kills the connections now open and refuses new ones.</summary>
    public void Cut()
    {
        _cut = true;
        CloseAll();
    }

    public void Heal() => _cut = false;

    private void CloseAll()
    {
        List<TcpClient> open;
        lock (_gate)
        {
            open = [.. _open];
            _open.Clear();
        }

        foreach (var client in open)
        {
            try
            {
                if (client.Client is { Connected: true } socket)
                {
                    socket.LingerState = new LingerOption(true, 0); // a reset, mid-frame
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                // Already gone.
            }

            client.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut)
            {
                inbound.Dispose();
                continue;
            }

            _ = PairAsync(inbound);
        }
    }

    private async Task PairAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(Target, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            inbound.Dispose();
            outbound.Dispose();
            return;
        }

        lock (_gate)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }

        if (_cut)
        {
            CloseAll();
            return;
        }

        var a = Pump(inbound, outbound);
        var b = Pump(outbound, inbound);
        await Task.WhenAny(a, b);
        inbound.Dispose();
        outbound.Dispose();
    }

    private async Task Pump(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16384];
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            while (true)
            {
                var n = await source.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                await sink.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        await _accepting;
        _stop.Dispose();
    }
}
