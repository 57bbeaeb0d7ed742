using System.Buffers;
using System.IO.Pipelines;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Sessions;

/// <summary>
/// Runs one CoT client over any duplex byte pipe (TCP, TLS; the host supplies the transport and
/// the identity). The read loop decodes, answers pings and protocol negotiation, and publishes;
/// the write loop drains the session's lane queue. Neither loop ever waits on another client.
/// </summary>
public sealed class CotConnection
{
    private readonly EventRouter _router;
    private readonly LabelPolicy _labels;
    private readonly ConnectionOptions _options;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly WarningDesk? _desk;
    private readonly DataPackages.FileShareLabels? _fileShares;

    public CotConnection(
        EventRouter router,
        LabelPolicy labels,
        ConnectionOptions options,
        KizunaMetrics metrics,
        ILogger<CotConnection> logger,
        TimeProvider time,
        WarningDesk? desk = null,
        DataPackages.FileShareLabels? fileShares = null)
    {
        _desk = desk;
        _fileShares = fileShares;
        options.Validate();
        _router = router;
        _labels = labels;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    /// <summary>Serves the client until it leaves, misbehaves, or the node stops (then the queue is flushed first).</summary>
    /// <param name="warningInputOnly">
    /// The warning intake: only sensor reports, acknowledgements and control are taken; anything
    /// else is refused with the reason (the client should use a CoT listener for it).
    /// </param>
    public async Task RunAsync(IDuplexPipe transport, Principal principal, string remoteEndpoint, string listener, CancellationToken stopping, bool warningInputOnly = false)
    {
        using var connectionCts = new CancellationTokenSource();
        string? closeReason = null;
        void Abort(string reason)
        {
            Interlocked.CompareExchange(ref closeReason, reason, null);
            try
            {
                connectionCts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closed: a late abort from a publisher thread has nothing left to do.
            }
        }

        var queue = new OutboundQueue(_options.ControlQueueCapacity, _options.PictureQueueCapacity, _options.WarningQueueCapacity);
        var session = new ClientSession(principal, remoteEndpoint, listener, queue, _metrics, Abort);
        _metrics.ConnectionOpened();
        Log.ConnectionOpened(_logger, session.Id, listener, remoteEndpoint, principal.Name, principal.Nation, principal.Organization, principal.Clearance);

        // Attached first, so a client that has seen the offer is known to be routable. The offer
        // still goes out first (control lane); clients that want protobuf ask with t-x-takp-q.
        _router.Attach(session);
        session.Deliver(Control(session, TakControlEvents.CreateProtocolOffer(Now)), Lane.Control);

        // Every current warning this client may see and has not acknowledged goes again, first.
        if (_desk is not null)
        {
            await _desk.ResendAsync(session, stopping).ConfigureAwait(false);
        }

        // At shutdown the writer gets a bounded time to flush what is queued, then everything stops.
        using var stoppingRegistration = stopping.Register(() =>
        {
            Interlocked.CompareExchange(ref closeReason, "node shutting down", null);
            queue.Complete();
            try
            {
                connectionCts.CancelAfter(_options.ShutdownFlushTimeout);
            }
            catch (ObjectDisposedException)
            {
                // The connection already ended.
            }
        });

        // The writer waits on its queue, not on the token: completing the queue wakes it.
        using var wakeWriter = connectionCts.Token.Register(queue.Complete);
        var output = new ConnectionWriter(session, transport.Output, _options, _metrics, Abort, reason => Misbehaved(session, reason), connectionCts.Token);
        session.Express = output;
        var writer = output.RunAsync();
        var reader = ReadLoopAsync(session, transport.Input, warningInputOnly, connectionCts.Token);
        try
        {
            var first = await Task.WhenAny(reader, writer).ConfigureAwait(false);
            if (first == writer && stopping.IsCancellationRequested)
            {
                Abort("node shutting down");
            }
            else if (first == reader && stopping.IsCancellationRequested)
            {
                // Shutting down: let the writer finish its flush within the bounded time.
                await writer.ConfigureAwait(false);
            }
            else
            {
                Abort(await first.ConfigureAwait(false));
            }

            await Task.WhenAll(reader, writer).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ConnectionFailed(_logger, ex, session.Id, remoteEndpoint);
            Abort("failed: " + ex.GetType().Name);
        }
        finally
        {
            queue.Complete();
            _router.Detach(session);
            _metrics.ConnectionClosed();
            if (session.PictureDrops > 0)
            {
                Log.PictureDropped(_logger, session.Id, session.PictureDrops);
            }

            Log.ConnectionClosed(_logger, session.Id, remoteEndpoint, Volatile.Read(ref closeReason) ?? "closed");
        }
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    private const string NotWarningInputReason = "the warning intake takes sensor reports (b-w-m-r) and warning acknowledgements (b-w-m-a) only: send other traffic to a CoT listener";

    /// <summary>A message of the node's own to one client (pong, negotiation, refusal): never routed, so its label is the client's own default.</summary>
    private OutboundItem Control(ClientSession session, CotEvent evt) => new(new SharedEvent(evt, _labels.DefaultFor(session.Principal), "node", Now));

    private async Task<string> ReadLoopAsync(ClientSession session, PipeReader input, bool warningInputOnly, CancellationToken token)
    {
        ICotStreamReader decoder = new CotXmlStreamReader(_options.Limits);
        var arrived = new List<LabelledEvent>();
        var warningInput = new List<LabelledEvent>();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        var consecutiveRejects = 0;
        long? lastRejectNotice = null;
        long unconsumed = 0;
        try
        {
            while (true)
            {
                idle.CancelAfter(_options.IdleTimeout);
                ReadResult result;
                try
                {
                    result = await input.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    _metrics.DisconnectedForMisbehaviour();
                    return $"idle for {_options.IdleTimeout.TotalSeconds:0} s";
                }

                var buffer = result.Buffer;
                var readOn = false; // set when this read is done and the loop goes on: anything else is leaving
                var pictured = false; // this read published picture events (storage backpressure applies)
                _metrics.BytesReceived(buffer.Length - unconsumed);
                try
                {
                    while (true)
                    {
                        var before = buffer.Length;
                        var status = decoder.TryRead(ref buffer, out var evt, out _, out var reject);
                        if (status == ReadStatus.NeedMoreData)
                        {
                            break;
                        }

                        switch (status)
                        {
                            case ReadStatus.Event:
                                _metrics.EventReceived();
                                decoder = Handle(session, evt!, decoder, arrived, warningInput, warningInputOnly, out var refused);
                                if (!refused)
                                {
                                    consecutiveRejects = 0;
                                }
                                else if (++consecutiveRejects >= _options.MaxConsecutiveRejects)
                                {
                                    return Misbehaved(session, $"{consecutiveRejects} refused messages in a row");
                                }

                                break;
                            case ReadStatus.Control:
                                consecutiveRejects = 0;
                                break;
                            case ReadStatus.Rejected:
                                _metrics.Rejected(reject.Reason);
                                Log.InputRejected(_logger, session.Id, session.RemoteEndpoint, reject.Reason, reject.Message);
                                TellRejected(session, reject, ref lastRejectNotice);
                                if (++consecutiveRejects >= _options.MaxConsecutiveRejects)
                                {
                                    return Misbehaved(session, $"{consecutiveRejects} rejected messages in a row");
                                }

                                break;
                            case ReadStatus.Fatal:
                                _metrics.Rejected(reject.Reason);
                                Log.InputRejected(_logger, session.Id, session.RemoteEndpoint, reject.Reason, reject.Message);
                                TellRejected(session, reject, ref lastRejectNotice);
                                return Misbehaved(session, "stream cannot resynchronise");
                        }

                        if (buffer.Length == before && status != ReadStatus.Fatal)
                        {
                            // A decoder that reports progress must consume; guard against a loop forever.
                            return Misbehaved(session, "decoder made no progress");
                        }
                    }

                    if (arrived.Count > 0)
                    {
                        _router.Publish(arrived, session);
                        arrived.Clear();
                        pictured = true;
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (!IsBlank(buffer))
                        {
                            _metrics.Rejected(CotRejectReason.Truncated);
                            Log.InputRejected(_logger, session.Id, session.RemoteEndpoint, CotRejectReason.Truncated, $"connection ended inside a message ({buffer.Length} bytes unread)");
                        }

                        return "closed by client";
                    }

                    readOn = true;
                }
                finally
                {
                    // Published together, in order; here only when the loop left early.
                    if (arrived.Count > 0)
                    {
                        _router.Publish(arrived, session);
                        arrived.Clear();
                    }

                    unconsumed = buffer.Length;
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (warningInput.Count > 0 && !readOn)
                    {
                        // Leaving: the reports still go in (a warning is never lost to a closing connection).
                        _ = HandleWarningInputAsync(session, [.. warningInput], CancellationToken.None);
                        warningInput.Clear();
                    }
                }

                if (warningInput.Count > 0)
                {
                    await HandleWarningInputAsync(session, [.. warningInput], token).ConfigureAwait(false);
                    warningInput.Clear();
                }

                // Take more only when storage keeps up: the backlog stays bounded and TCP tells the sender to slow down.
                // A read that brought only warning input (reports, acknowledgements) is not held:
                // the warning path must not queue behind picture storage.
                if (pictured)
                {
                    await _router.WaitForStorageAsync(token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "closed";
        }
        catch (IOException ex)
        {
            return "connection lost: " + ex.Message;
        }
    }

    /// <summary>
    /// Tells the sender why a decoder refused its input, as label refusals are told, at most once
    /// per <see cref="ConnectionOptions.RejectNoticeInterval"/> (the rest are logged and counted only).
    /// </summary>
    private void TellRejected(ClientSession session, CotReject reject, ref long? lastNotice)
    {
        var now = _time.GetTimestamp();
        if (lastNotice is { } last && _time.GetElapsedTime(last, now) < _options.RejectNoticeInterval)
        {
            Log.RejectNoticeSuppressed(_logger, session.Id, session.RemoteEndpoint);
            return;
        }

        lastNotice = now;
        session.Deliver(Control(session, RefusalNotice.ForInput(reject, Now)), Lane.Control);
    }

    private string Misbehaved(ClientSession session, string reason)
    {
        _metrics.DisconnectedForMisbehaviour();
        Log.ClosingForMisbehaviour(_logger, session.Id, session.RemoteEndpoint, reason);
        return reason;
    }

    /// <summary>
    /// Acts on one decoded event: control is answered at once, anything else joins
    /// <paramref name="arrived"/> to be published with the rest of this read. Returns the decoder
    /// for what follows (it changes after a protocol switch).
    /// </summary>
    private ICotStreamReader Handle(ClientSession session, CotEvent evt, ICotStreamReader decoder, List<LabelledEvent> arrived, List<LabelledEvent> warningInput, bool warningInputOnly, out bool refused)
    {
        refused = false;
        switch (evt.Type)
        {
            case TakControlEvents.PingType:
                session.Deliver(Control(session, TakControlEvents.CreatePong(evt, Now)), Lane.Control);
                return decoder;

            case TakControlEvents.ProtocolRequestType:
                var accepted = TakControlEvents.TryGetProtocolRequest(evt, out var version) && version == 1 && decoder is CotXmlStreamReader;
                var answer = new SharedEvent(TakControlEvents.CreateProtocolResponse(accepted, Now), _labels.DefaultFor(session.Principal), "node", Now);
                if (!accepted)
                {
                    session.Deliver(answer, Lane.Control);
                    return decoder;
                }

                // The answer is the last XML the client gets; both directions speak protobuf after it.
                session.Deliver(new OutboundItem(answer, OutboundAction.SendThenSwitchToProtobuf), Lane.Control);
                Log.SwitchedToProtobuf(_logger, session.Id, session.RemoteEndpoint);
                return new TakStreamReader(_options.Limits);

            case TakControlEvents.ProtocolOfferType or TakControlEvents.ProtocolResponseType:
                return decoder;
        }

        // What this kind of principal may send at all (anonymous: picture updates only).
        if (SenderRights.Refuses(session.Principal, evt) is { } forbidden)
        {
            refused = true;
            _metrics.SenderRefused(forbidden.Refusal);
            Log.SenderRefused(_logger, session.Id, session.RemoteEndpoint, session.Principal.Kind, forbidden.Refusal, forbidden.Reason);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, forbidden.Refusal.ToString(), forbidden.Reason, Now)), Lane.Control);
            return decoder;
        }

        // Identify, then label: the event's own label if the sender may apply it, else its default.
        var verdict = _labels.Accept(evt, session.Principal);
        verdict = _fileShares?.Narrow(evt, session.Principal, verdict) ?? verdict; // a file share reaches only who may see the file
        if (!verdict.Accepted)
        {
            refused = true;
            _metrics.LabelRefused(verdict.Refusal);
            Log.LabelRefused(_logger, session.Id, session.RemoteEndpoint, verdict.Refusal, verdict.Reason);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, verdict.Refusal, verdict.Reason, Now)), Lane.Control);
            return decoder;
        }

        // Sensor reports and acknowledgements go to the warning desk, not to the picture.
        if (_desk is not null && (WarningDesk.IsReport(evt) || WarningDesk.IsAcknowledgement(evt)))
        {
            warningInput.Add(new LabelledEvent(evt, verdict.Label));
            return decoder;
        }

        if (warningInputOnly)
        {
            refused = true;
            _metrics.IntakeRefused();
            Log.NotWarningInput(_logger, session.Id, session.RemoteEndpoint);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, "NotWarningInput", NotWarningInputReason, Now)), Lane.Control);
            return decoder;
        }

        LearnAddress(session, evt);
        arrived.Add(new LabelledEvent(evt, verdict.Label));
        return decoder;
    }

    /// <summary>Sensor reports (kept in history, then fused) and acknowledgements, in the order they came.</summary>
    private async Task HandleWarningInputAsync(ClientSession session, List<LabelledEvent> input, CancellationToken token)
    {
        try
        {
            foreach (var (evt, label) in input)
            {
                if (WarningDesk.IsReport(evt))
                {
                    // Handed to the issuing thread first: the history's append takes locks that
                    // picture threads hold too, and the warning must not wait behind them.
                    var issuing = _desk!.ReportAsync(evt, label, session, token);
                    try
                    {
                        _router.Archive(new LabelledEvent(evt, label), session);
                    }
                    finally
                    {
                        await issuing.ConfigureAwait(false);
                    }
                }
                else
                {
                    await _desk!.AcknowledgeAsync(evt, session, token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ConnectionFailed(_logger, ex, session.Id, session.RemoteEndpoint);
        }
    }

    /// <summary>A client's own position reports tell the router its uid and callsign, for directed messages.</summary>
    private static void LearnAddress(ClientSession session, CotEvent evt)
    {
        if (!evt.Type.StartsWith("a-", StringComparison.Ordinal) || (session.Uid is not null && !string.Equals(session.Uid, evt.Uid, StringComparison.Ordinal)))
        {
            return;
        }

        if (evt.Detail.ContactCallsign is { } callsign)
        {
            session.Uid = evt.Uid;
            session.Callsign = callsign;
        }
    }

    private static bool IsBlank(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
