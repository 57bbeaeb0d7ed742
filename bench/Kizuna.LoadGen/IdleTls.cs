using System.Globalization;
using System.Net;

namespace Kizuna.LoadGen;

/// <summary>The memory cost of idle TLS clients: server RSS before, N handshakes, hold, RSS after.</summary>
internal sealed record IdleTlsResult(int Requested, int Connected, int Failed, int StillOpen, double? RssBeforeMiB, double? RssAfterMiB, TimeSpan ConnectTime, string? FirstError)
{
    public string Describe()
    {
        string before = RssBeforeMiB is { } b ? b.ToString("F0", CultureInfo.InvariantCulture) : "?";
        string after = RssAfterMiB is { } a ? a.ToString("F0", CultureInfo.InvariantCulture) : "?";
        string delta = RssBeforeMiB is { } x && RssAfterMiB is { } y && Connected > 0
            ? string.Create(CultureInfo.InvariantCulture, $", +{y - x:F0} MiB, {(y - x) * 1024 / Connected:F1} KiB per client")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"idle TLS: {Connected}/{Requested} connected ({Failed} failed) in {ConnectTime.TotalSeconds:F1} s, {StillOpen} still open when measured; server RSS {before} MiB before, {after} MiB after{delta}")
            + (FirstError is null ? string.Empty : $"; first error: {FirstError}");
    }
}

internal static class IdleTls
{
    public static async Task<IdleTlsResult> RunAsync(IPEndPoint target, ClientTls tls, int clients, int? serverPid, TimeSpan hold, CancellationToken ct)
    {
        double? before = serverPid is { } p0 ? ProcStats.RssMiB(p0) : null;
        var streams = new Stream?[clients];
        var readers = new List<Task>();
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int failed = 0;
        int closedByServer = 0;
        string? firstError = null;
        var started = DateTime.UtcNow;
        try
        {
            using var gate = new SemaphoreSlim(32);
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var s = await ClientConnector.ConnectAsync(target, tls, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                    streams[i] = s;
                    lock (readers)
                    {
                        readers.Add(DrainAsync(s, () => Interlocked.Increment(ref closedByServer), readCts.Token));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
            var connectTime = DateTime.UtcNow - started;
            await Task.Delay(hold, ct).ConfigureAwait(false);
            double? after = serverPid is { } p1 ? ProcStats.RssMiB(p1) : null;
            int stillOpen = clients - failed - Volatile.Read(ref closedByServer);
            return new IdleTlsResult(clients, clients - failed, failed, stillOpen, before, after, connectTime, firstError);
        }
        finally
        {
            await readCts.CancelAsync().ConfigureAwait(false);
            foreach (var s in streams)
            {
                if (s is not null)
                {
                    await s.DisposeAsync().ConfigureAwait(false);
                }
            }

            try
            {
                await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private static async Task DrainAsync(Stream stream, Action closedByServer, CancellationToken ct)
    {
        var buffer = new byte[512];
        try
        {
            while (await stream.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            if (ct.IsCancellationRequested)
            {
                return;
            }
        }

        if (!ct.IsCancellationRequested)
        {
            closedByServer();
        }
    }
}
