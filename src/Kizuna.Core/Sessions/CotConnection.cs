using System.Buffers;
using System.IO.Pipelines;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Sessions;

/// <summary>
/// Runs one CoT client over any duplex byte pipe (TCP, TLS; the host supplies the transport and
/// the identity). The read loop decodes, keeps the label door, and hands each event to the
/// router's desk for its type (<see cref="DeskRegistry"/>): it knows no desk by name. The write
/// loop drains the session's lane queue. Neither loop ever waits on another client.
/// </summary>
public sealed class CotConnection
{
    private readonly EventRouter _router;
    private readonly LabelPolicy _labels;
    private readonly ConnectionOptions _options;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DataPackages.FileShareLabels? _fileShares;

    public CotConnection(
        EventRouter router,
        LabelPolicy labels,
        ConnectionOptions options,
        KizunaMetrics metrics,
        ILogger<CotConnection> logger,
        TimeProvider time,
        DataPackages.FileShareLabels? fileShares = null)
    {
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

        var life = new SessionLifecycle(_router, _options, _metrics, principal, remoteEndpoint, listener, Abort, (s, drops) => Log.PictureDropped(_logger, s.Id, drops));
        var session = life.Session;
        var queue = life.Queue;
        _metrics.ConnectionOpened();
        Log.ConnectionOpened(_logger, session.Id, listener, remoteEndpoint, principal.Name, principal.Nation, principal.Organization, principal.Clearance);

        // Attached first, so a client that has seen the offer is known to be routable. The offer
        // still goes out first (control lane); clients that want protobuf ask with t-x-takp-q.
        life.Attach(AttachMode.ReplayPicture);
        session.Deliver(Control(session, TakControlEvents.CreateProtocolOffer(Now)), Lane.Control);

        // What the desks must send again first (every current warning this client may see and has not acknowledged).
        await life.GreetAsync(stopping).ConfigureAwait(false);

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
            life.End();
            _metrics.ConnectionClosed();
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
        var desks = _router.Desks.OpenFor(session);
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
                var bounded = false; // left the rest of the buffer for the next turn (MaxEventsPerRead)
                var eventsThisRead = 0;
                _metrics.BytesReceived(buffer.Length - unconsumed);
                try
                {
                    while (true)
                    {
                        if (eventsThisRead >= _options.MaxEventsPerRead)
                        {
                            bounded = true;
                            break;
                        }

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
                                eventsThisRead++;
                                if (!Dispatch(desks, evt!, warningInputOnly))
                                {
                                    consecutiveRejects = 0;
                                }
                                else if (++consecutiveRejects >= _options.MaxConsecutiveRejects)
                                {
                                    return Misbehaved(session, $"{consecutiveRejects} refused messages in a row");
                                }

                                // Protocol control may have switched the stream to protobuf: the next byte is read as such.
                                if (desks.Sender.Reads == WireFormat.TakProtobufV1 && decoder is CotXmlStreamReader)
                                {
                                    decoder = new TakStreamReader(_options.Limits);
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

                    if (!bounded && (result.IsCompleted || result.IsCanceled))
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
                    unconsumed = buffer.Length;
                    // Bounded: what is left was not examined, so the next read returns it at once.
                    input.AdvanceTo(buffer.Start, bounded ? buffer.Start : buffer.End);
                    if (!readOn)
                    {
                        // Leaving: what this read brought still goes on (a warning is never lost to a closing connection).
                        desks.HandOnLeaving();
                    }
                }

                // Each desk hands on what this read brought it: the picture published together, in order.
                // Take more only when storage and delivery keep up (docs/dev/admission.md): TCP tells the sender to slow down.
                // A read that brought only warning input (reports, acknowledgements) is not held:
                // the warning path must not queue behind picture storage.
                if (await desks.HandOnAsync(token).ConfigureAwait(false))
                {
                    await _router.WaitForRoomAsync(session, token).ConfigureAwait(false);
                }

                // More is waiting: the rest goes behind the work queued meanwhile (writers among it).
                if (bounded)
                {
                    await Task.Yield();
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
    /// Takes one decoded event to its desk (by type, <see cref="DeskRegistry"/>): protocol control
    /// at once; anything else through the label door first (what this kind of principal may send,
    /// then its label, the event's own if the sender may apply it, else the sender's default). The
    /// warning intake takes only its desks' events. Returns true when the event was refused.
    /// </summary>
    private bool Dispatch(DeskWindows desks, CotEvent evt, bool warningInputOnly)
    {
        var sender = desks.Sender;
        var session = sender.Session;
        var desk = desks.DeskFor(evt.Type, out var number);
        if (desk.Door == DeskDoor.BeforeLabel)
        {
            desks.Take(number, new LabelledEvent(evt, _labels.DefaultFor(session.Principal)));
            return false;
        }

        // What this kind of principal may send at all (anonymous: picture updates only).
        if (SenderRights.Refuses(session.Principal, evt) is { } forbidden)
        {
            _metrics.SenderRefused(forbidden.Refusal);
            Log.SenderRefused(_logger, session.Id, session.RemoteEndpoint, session.Principal.Kind, forbidden.Refusal, forbidden.Reason);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, forbidden.Refusal.ToString(), forbidden.Reason, Now)), Lane.Control);
            return true;
        }

        // Identify, then label: the event's own label if the sender may apply it, else its default.
        var verdict = _labels.Accept(evt, session.Principal);
        verdict = _fileShares?.Narrow(evt, session.Principal, verdict) ?? verdict; // a file share reaches only who may see the file
        if (!verdict.Accepted)
        {
            _metrics.LabelRefused(verdict.Refusal);
            Log.LabelRefused(_logger, session.Id, session.RemoteEndpoint, verdict.Refusal, verdict.Reason);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, verdict.Refusal, verdict.Reason, Now)), Lane.Control);
            return true;
        }

        if (warningInputOnly && !desk.AtWarningIntake)
        {
            _metrics.IntakeRefused();
            Log.NotWarningInput(_logger, session.Id, session.RemoteEndpoint);
            session.Deliver(Control(session, RefusalNotice.Create(evt.Uid, "NotWarningInput", NotWarningInputReason, Now)), Lane.Control);
            return true;
        }

        desks.Take(number, new LabelledEvent(evt, verdict.Label));
        return false;
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
