using System.Threading.Channels;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>The receiving side of one link.</summary>
public sealed partial class FederationExchange
{
    /// <summary>
    /// One link's inbox. <see cref="ReceiveAsync"/> runs on the link's receive loop, in order:
    /// read, de-duplicate, check the label, take into the history. A pump then waits until what
    /// was taken is durable, acknowledges the last message (Kizuna peers only), and delivers the
    /// batch to local clients. A sensor report is fused by the warning desk first.
    /// </summary>
    private sealed class Inbox(FederationExchange exchange, IFederationLink link)
    {
        private readonly Channel<Received> _received = Channel.CreateBounded<Received>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(link.Closed, exchange.Stopping);
        private readonly Principal _receiving = exchange.Labels.PartnerNode(exchange.Organization, link.Peer.Link.MaxClassification);
        private readonly Lazy<ClientSession> _reports = new(() => exchange.SessionFor(link, exchange.Labels.PartnerNode(link.Peer.Organization, link.Peer.Link.MaxClassification)));

        internal readonly record struct Received(EventOrigin? Origin, SharedEvent? Shared, Task? Fused, Action? Durable = null, FederationLane Lane = FederationLane.Picture);

        public void Start() => _ = Task.Run(PumpAsync, CancellationToken.None);

        public void Stop()
        {
            _received.Writer.TryComplete();
            _stop.Cancel();
        }

        public async ValueTask ReceiveAsync(FederatedEvent message, CancellationToken cancellationToken)
        {
            var peer = link.Peer;
            FederatedInbound inbound;
            try
            {
                inbound = exchange._mapper.FromFederated(message);
            }
            catch (CotFormatException ex)
            {
                FederationLog.EventUnreadable(exchange.Logger, peer.NodeId, ex.Message);

                // Processed (dropped) all the same: acknowledged on its lane, or that lane would wait for it.
                if (message.Kizuna is { OriginNodeId.Length: > 0 } envelope)
                {
                    await _received.Writer.WriteAsync(new Received(new EventOrigin(envelope.OriginNodeId, envelope.OriginSequence), null, null, Lane: FederationLanes.Of(message)), cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            var evt = inbound.Event!;
            var origin = inbound.Origin;
            var originNode = origin?.NodeId ?? peer.NodeId;
            var sequence = origin?.Sequence ?? 0;
            var received = await TakeAsync(inbound, evt, originNode, sequence).ConfigureAwait(false);
            await _received.Writer.WriteAsync(received with { Origin = origin, Lane = FederationLanes.Of(evt) }, cancellationToken).ConfigureAwait(false);
        }

        private Task<Received> TakeAsync(FederatedInbound inbound, CotEvent evt, string originNode, ulong sequence)
        {
            var peer = link.Peer;
            var none = Task.FromResult(new Received(null, null, null));

            // Exactly once: an event this node holds (by either path), or its own coming back.
            if (string.Equals(originNode, exchange.NodeId, StringComparison.Ordinal)
                || (sequence > 0 && exchange._holdings.Holds(originNode, (long)sequence)))
            {
                FederationLog.EventDuplicate(exchange.Logger, peer.NodeId, originNode, sequence);
                return none;
            }

            // The label again: the originator's, and nothing the link could not carry.
            ConfidentialityLabel? label = inbound.Label;
            if (label is null)
            {
                if (inbound.LabelProblem is { } problem)
                {
                    return Refuse(originNode, sequence, problem);
                }

                var verdict = exchange.Labels.Accept(evt, exchange.Labels.PartnerNode(peer.Organization, peer.Link.MaxClassification));
                if (!verdict.Accepted)
                {
                    return Refuse(originNode, sequence, verdict.Reason ?? verdict.Refusal.ToString());
                }

                label = verdict.Label!;
            }

            var decision = AccessControl.Decide(_receiving, label);
            if (decision != AccessDecision.Permit)
            {
                var why = decision == AccessDecision.AboveClearance
                    ? $"{label.Classification} is above the link's highest classification {peer.Link.MaxClassification}"
                    : decision == AccessDecision.NotReleasable ? $"not releasable to {_receiving.Nation}, this node's nation" : decision.Describe();
                return Refuse(originNode, sequence, why);
            }

            // Who it entered the federation at: the peer, or the origin named first in the provenance.
            var provenance = inbound.Provenance.ToList();
            string? originOrganization = string.Equals(originNode, peer.NodeId, StringComparison.Ordinal)
                ? peer.Organization
                : provenance.FirstOrDefault(p => string.Equals(p.FederationServerId, originNode, StringComparison.Ordinal)) is { FederationServerName.Length: > 0 } named ? named.FederationServerName : null;
            if (!provenance.Any(p => string.Equals(p.FederationServerId, peer.NodeId, StringComparison.Ordinal)))
            {
                provenance.Add(new FederateProvenance { FederationServerId = peer.NodeId, FederationServerName = peer.Organization });
            }

            var source = new FederatedSource("federation:" + peer.Organization, originOrganization ?? peer.Organization, originNode, (long)sequence, FormatProvenance(provenance));
            if (WarningDesk.IsReport(evt))
            {
                return Task.FromResult(TakeReport(evt, label, source, originOrganization, sequence));
            }

            if (string.Equals(evt.Type, WarningReceiptItem.Type, StringComparison.Ordinal))
            {
                return Task.FromResult(TakeReceipt(evt, label, source, originOrganization, sequence));
            }

            if (evt.Type.StartsWith("b-w-m-", StringComparison.Ordinal) || evt.Type.StartsWith("t-x-", StringComparison.Ordinal))
            {
                return Refuse(originNode, sequence, $"a {evt.Type} event does not cross a federation link (each node issues its own warnings)");
            }

            if (Core.Coordination.CoordinationCotReader.IsCoordination(evt))
            {
                return Task.FromResult(TakeCoordination(evt, label, source, originOrganization, sequence));
            }

            if (sequence > 0 && !exchange._holdings.TryAdd(originNode, (long)sequence))
            {
                return none;
            }

            var shared = exchange._router.AcceptFederated(new LabelledEvent(evt, label), source);
            return Task.FromResult(new Received(null, shared, null));
        }

        /// <summary>A sensor report: fused here only when its origin node vouches for its own nation's sensor.</summary>
        private Received TakeReport(CotEvent evt, ConfidentialityLabel label, FederatedSource source, string? originOrganization, ulong sequence)
        {
            if (exchange._desk is null || originOrganization is null || exchange.Labels.Profile.FindOrganization(originOrganization) is null)
            {
                FederationLog.EventRefused(exchange.Logger, link.Peer.NodeId, source.OriginNode, sequence, "a sensor report whose origin node is not named in its provenance: no node vouches for it");
                return default;
            }

            if (sequence > 0 && !exchange._holdings.TryAdd(source.OriginNode, (long)sequence))
            {
                return default;
            }

            // The origin node's sensor authority, as a partner principal of its organization.
            var vouching = exchange.Labels.PartnerNode(originOrganization, link.Peer.Link.MaxClassification);
            var session = string.Equals(originOrganization, link.Peer.Organization, StringComparison.Ordinal) ? _reports.Value : exchange.SessionFor(link, vouching);
            exchange._reportSources.AddOrUpdate(evt, source);
            return new Received(null, null, exchange._desk.ReportAsync(evt, label, session, _stop.Token));
        }

        /// <summary>A warning receipt of a partner's headquarters: kept (and relayed on), shown once durable, never delivered to clients.</summary>
        private Received TakeReceipt(CotEvent evt, ConfidentialityLabel label, FederatedSource source, string? originOrganization, ulong sequence)
        {
            if (!exchange.TryTakeReceipt(evt, originOrganization, out var item, out var refusal))
            {
                FederationLog.EventRefused(exchange.Logger, link.Peer.NodeId, source.OriginNode, sequence, refusal!);
                return default;
            }

            if (sequence > 0 && !exchange._holdings.TryAdd(source.OriginNode, (long)sequence))
            {
                return default;
            }

            exchange._router.ArchiveFederated(new LabelledEvent(evt, label), source);
            return new Received(null, null, null, () => exchange.RecordPartnerReceipt(item!, label));
        }

        /// <summary>A version of a coordination request: the coordination desk decides, and what it takes is kept (and relayed on).</summary>
        private Received TakeCoordination(CotEvent evt, ConfidentialityLabel label, FederatedSource source, string? originOrganization, ulong sequence)
        {
            if (sequence > 0 && !exchange._holdings.TryAdd(source.OriginNode, (long)sequence))
            {
                return default;
            }

            return new Received(null, null, exchange.TakeCoordinationAsync(link, evt, label, source, originOrganization, _stop.Token));
        }

        private Task<Received> Refuse(string origin, ulong sequence, string reason)
        {
            FederationLog.EventRefused(exchange.Logger, link.Peer.NodeId, origin, sequence, reason);
            return Task.FromResult(new Received(null, null, null));
        }

        private async Task PumpAsync()
        {
            var batch = new List<Received>(256);
            var deliver = new List<SharedEvent>(256);
            var token = _stop.Token;
            try
            {
                while (await _received.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    batch.Clear();
                    deliver.Clear();
                    while (batch.Count < 1024 && _received.Reader.TryRead(out var one))
                    {
                        batch.Add(one);
                    }

                    foreach (var one in batch)
                    {
                        if (one.Fused is { } fused)
                        {
                            try
                            {
                                await fused.ConfigureAwait(false);
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException)
                            {
                                FederationLog.EventRefused(exchange.Logger, link.Peer.NodeId, one.Origin?.NodeId ?? "?", one.Origin?.Sequence ?? 0, "the warning desk failed: " + ex.Message);
                            }
                        }

                        if (one.Shared is { } shared)
                        {
                            deliver.Add(shared);
                        }
                    }

                    // A fused report's relayed copy is kept on the vouching thread: in the flush too.
                    if (batch.Exists(b => b.Fused is not null))
                    {
                        await exchange.VouchedKeptAsync().WaitAsync(token).ConfigureAwait(false);
                    }

                    // Durable before acknowledged, acknowledged before delivered.
                    await exchange.Store.FlushAsync(token).ConfigureAwait(false);
                    foreach (var one in batch)
                    {
                        one.Durable?.Invoke();
                    }

                    if (link.PeerIsKizuna && Acknowledgement(batch) is { } ack)
                    {
                        await link.SendAsync(FederationMapper.Acknowledgement(ack), FederationLane.Control, token).ConfigureAwait(false);
                    }

                    exchange._router.DeliverFederated(deliver);
                }
            }
            catch (OperationCanceledException)
            {
                // The link went down: what was not acknowledged is sent again on the next link.
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                FederationLog.OutboxFailed(exchange.Logger, link.Peer.NodeId, "the inbox stopped: " + ex.Message, ex);
            }
        }
    }

    /// <summary>
    /// The acknowledgement of a processed batch: per lane, the last message of that lane (the
    /// sender's lanes keep their order on the link, not their order between each other).
    /// </summary>
    private static KizunaHoldings? Acknowledgement(List<Inbox.Received> batch)
    {
        KizunaHoldings? ack = null;
        Span<bool> named = stackalloc bool[FederationLanes.Count];
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            if (batch[i].Origin is { Sequence: > 0 } origin && !named[(int)batch[i].Lane])
            {
                named[(int)batch[i].Lane] = true;
                ack ??= new KizunaHoldings();
                ack.Positions.Add(new KizunaOriginPosition { OriginNodeId = origin.NodeId, Sequence = origin.Sequence });
            }
        }

        return ack;
    }

    /// <summary>A session standing for a partner node (its refusal notices go nowhere): the sender the warning desk sees.</summary>
    private ClientSession SessionFor(IFederationLink link, Principal principal)
        => new(principal, "federation:" + link.Peer.NodeId, "federation", new Core.Routing.OutboundQueue(16, 16, 16), _metrics, static _ => { });
}
