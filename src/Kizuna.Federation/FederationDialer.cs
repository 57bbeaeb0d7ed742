using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Kizuna.Federation.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>
/// Dials one partner (<c>--federate-with HOST:PORT</c>) and keeps the link up for ever: mutual
/// TLS with the node certificate, the partner's certificate checked by <see cref="FederationTrust"/>
/// (as a server), then ClientEventStream (events to us) and ServerEventStream (events to it).
/// When either stream ends the link is down and the dialler waits (<see cref="RedialBackoff"/>,
/// on the node's <see cref="TimeProvider"/>) and tries again.
/// </summary>
public sealed class FederationDialer(FederationNode node, DnsEndPoint target) : BackgroundService
{
    private static readonly TimeSpan HandshakeDeadline = TimeSpan.FromSeconds(10);
    private readonly ILogger _logger = node.Loggers.CreateLogger("Kizuna.Federation.Dialer");
    private readonly RedialBackoff _backoff = new();

    public DnsEndPoint Target { get; } = target;

    /// <summary>Raised after a failed or ended attempt, with the attempt number and the wait before the next.</summary>
    public event Action<int, TimeSpan, string>? Retrying;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            attempt++;
            string reason;
            try
            {
                var wasUp = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                reason = "the link ended";
                if (wasUp)
                {
                    _backoff.Reset();
                    attempt = 1;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or AuthenticationException or OperationCanceledException or InvalidOperationException)
            {
                reason = Describe(ex);
            }

            var delay = _backoff.Next();
            FederationLog.DialFailed(_logger, $"{Target.Host}:{Target.Port}", attempt, reason, delay);

            // The timer exists before anyone hears of the retry, so a test clock moved then fires it.
            var wait = Task.Delay(delay, node.Time, stoppingToken);
            Retrying?.Invoke(attempt, delay, reason);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One connection: true when the link came up before it ended.</summary>
    private async Task<bool> RunOnceAsync(CancellationToken stoppingToken)
    {
        FederationPeer? peer = null;
        string? refusal = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = HandshakeDeadline,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [node.Certificate],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                // The partner is known by its node certificate, not its host name.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    string? reason = null;
                    if (certificate is X509Certificate2 presented && node.Trust.TryAuthenticate(presented, asServer: true, out var accepted, out reason))
                    {
                        peer = accepted;
                        return true;
                    }

                    refusal = certificate is X509Certificate2 ? reason ?? "refused" : "the partner presented no usable certificate";
                    FederationLog.PeerRefused(_logger, certificate?.Subject ?? $"{Target.Host}:{Target.Port}", refusal);
                    return false;
                },
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        };
        using var channel = GrpcChannel.ForAddress($"https://{Target.Host}:{Target.Port}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = false,
            MaxReceiveMessageSize = node.Options.MaxMessageBytes,
            MaxSendMessageSize = node.Options.MaxMessageBytes,
        });
        var client = new FederatedChannel.FederatedChannelClient(channel);
        var headers = FederationMetadata.For(node.NodeId);

        try
        {
            await client.HealthCheckAsync(new ClientHealth { Status = ClientHealth.Types.ServingStatus.Serving }, headers, node.Time.GetUtcNow().UtcDateTime + HandshakeDeadline, stoppingToken).ConfigureAwait(false);
        }
        catch (RpcException) when (refusal is not null)
        {
            throw new AuthenticationException(refusal);
        }

        if (peer is null)
        {
            throw new AuthenticationException("the partner's certificate was not checked");
        }

        using var linkEnd = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var incoming = client.ClientEventStream(new Subscription { Identity = node.Identity(), KizunaHoldings = node.Links.Handler.Holdings() }, headers, cancellationToken: linkEnd.Token);
        using var outgoing = client.ServerEventStream(headers, cancellationToken: linkEnd.Token);
        var responseHeaders = await outgoing.ResponseHeadersAsync.ConfigureAwait(false);

        var link = await node.Links.AcquireAsync(peer, LinkDirection.Outbound, FederationMetadata.IsKizuna(responseHeaders), FederationMetadata.Holdings(responseHeaders), stoppingToken).ConfigureAwait(false);
        var reason = "the link ended";
        try
        {
            var receive = ReceiveAsync(incoming.ResponseStream, link, linkEnd.Token);
            var send = link.PumpAsync(m => outgoing.RequestStream.WriteAsync(m, linkEnd.Token), linkEnd.Token);
            var first = await Task.WhenAny(receive, send).ConfigureAwait(false);
            reason = first.Exception?.GetBaseException() is { } failure ? Describe(failure) : "the partner ended the stream";
            await linkEnd.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(receive, send).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            node.Links.Release(link, stoppingToken.IsCancellationRequested ? "the node is stopping" : reason);
        }

        return true;
    }

    private async Task ReceiveAsync(IAsyncStreamReader<FederatedEvent> stream, LinkState link, CancellationToken cancellationToken)
    {
        await foreach (var message in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await node.Links.DeliverAsync(link, message, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
        _ => ex.GetBaseException().Message,
    };
}
