using Google.Protobuf;
using Grpc.Core;
using Kizuna.Federation.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>
/// The listening end of TAK federation v2 (<c>--federation</c>). The TLS handshake already
/// refused certificates <see cref="FederationTrust"/> does not accept; each call checks again
/// and learns the peer from the connection's certificate. A dialling peer subscribes with
/// ClientEventStream (this node sends on it) and sends with ServerEventStream; both share one link.
/// Mission (ROL), group and blob streams are not offered: refused as unimplemented.
/// </summary>
public sealed class FederatedChannelService(FederationNode node, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, ILogger<FederatedChannelService> logger) : FederatedChannel.FederatedChannelBase
{
    public override Task<ServerHealth> HealthCheck(ClientHealth request, ServerCallContext context)
    {
        Authenticate(context);
        return Task.FromResult(new ServerHealth { Status = ServerHealth.Types.ServingStatus.Serving });
    }

    public override Task<Identity> getIdentity(Empty request, ServerCallContext context)
    {
        Authenticate(context);
        return Task.FromResult(node.Identity());
    }

    public override async Task ClientEventStream(Subscription request, IServerStreamWriter<FederatedEvent> responseStream, ServerCallContext context)
    {
        var peer = Authenticate(context);
        var link = await node.Links.AcquireAsync(peer, LinkDirection.Inbound, FederationMetadata.IsKizuna(context.RequestHeaders), request.KizunaHoldings, context.CancellationToken).ConfigureAwait(false);
        var reason = "the partner closed its subscription";
        try
        {
            // Graceful shutdown does not abort a streaming call: the node's stopping ends it.
            using var both = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, link.Closed, lifetime.ApplicationStopping);
            await link.PumpAsync(m => responseStream.WriteAsync(m, both.Token), both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The call ended (peer gone, node stopping) or the link closed.
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or RpcException)
        {
            reason = ex.Message;
        }
        finally
        {
            node.Links.Release(link, reason);
        }
    }

    public override async Task<Subscription> ServerEventStream(IAsyncStreamReader<FederatedEvent> requestStream, ServerCallContext context)
    {
        var peer = Authenticate(context);
        var isKizuna = FederationMetadata.IsKizuna(context.RequestHeaders);
        if (isKizuna)
        {
            // The resume handshake: what this node holds, before the peer sends anything.
            var headers = FederationMetadata.For(node.NodeId);
            headers.Add(FederationMetadata.HoldingsHeader, node.Links.Handler.Holdings().ToByteArray());
            await context.WriteResponseHeadersAsync(headers).ConfigureAwait(false);
        }

        var link = await node.Links.AcquireAsync(peer, LinkDirection.Inbound, isKizuna, null, context.CancellationToken).ConfigureAwait(false);
        var reason = "the partner ended its event stream";
        try
        {
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
            await foreach (var message in requestStream.ReadAllAsync(ending.Token).ConfigureAwait(false))
            {
                await node.Links.DeliverAsync(link, message, ending.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            reason = "the call was cancelled";
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or RpcException)
        {
            reason = ex.Message;
        }
        finally
        {
            node.Links.Release(link, reason);
        }

        return new Subscription { Identity = node.Identity() };
    }

    public override Task<Empty> SendOneEvent(FederatedEvent request, ServerCallContext context)
        => throw new RpcException(new Status(StatusCode.Unimplemented, "Kizuna takes events on ServerEventStream"));

    private FederationPeer Authenticate(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var certificate = http.Connection.ClientCertificate;
        if (certificate is null)
        {
            FederationLog.CallRefused(logger, context.Peer, "no client certificate");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a federation link needs the partner node's certificate"));
        }

        if (!node.Trust.TryAuthenticate(certificate, asServer: false, out var peer, out var reason))
        {
            FederationLog.CallRefused(logger, context.Peer, reason);
            throw new RpcException(new Status(StatusCode.PermissionDenied, "this node does not federate with the presented certificate"));
        }

        return peer;
    }
}
