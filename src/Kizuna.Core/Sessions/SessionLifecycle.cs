using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;

namespace Kizuna.Core.Sessions;

/// <summary>How a session joins the router: what it is given of the picture that was there before it.</summary>
public enum AttachMode
{
    /// <summary>The latest picture it may see is queued on its picture lane (a CoT client).</summary>
    ReplayPicture,

    /// <summary>The latest picture it may see is handed back to be sent as one snapshot (the console feed).</summary>
    Snapshot,

    /// <summary>Live events only: the session catches up from a cursor of its own (a federation link's outbox).</summary>
    LiveOnly,
}

/// <summary>
/// The life of one recipient of the router, the same for a CoT client, a console feed and a
/// federation link: its lane queue sized by <see cref="ConnectionOptions"/>, its
/// <see cref="ClientSession"/>, attaching (with the picture as <see cref="AttachMode"/> says),
/// the desks' greeting (the warnings it has not acknowledged, ahead of everything live),
/// and at the end the queue completed, the session detached and its dropped picture updates
/// logged once. The owner runs the transport (reader, writer, how it closes) and logs what
/// kind of session it was.
/// </summary>
public sealed class SessionLifecycle
{
    private readonly EventRouter _router;
    private readonly Action<ClientSession, long> _droppedLog;
    private int _ended;

    /// <param name="abort">Closes the transport with a reason: the session calls it when a lane that is never dropped overflows.</param>
    /// <param name="droppedLog">Logs, once at the end, how many picture updates the session dropped (called only when some were).</param>
    /// <param name="exits">The exits its withheld deliveries are counted under; null: <see cref="AccessExit.Stream"/> and <see cref="AccessExit.Replay"/>.</param>
    public SessionLifecycle(
        EventRouter router,
        ConnectionOptions options,
        KizunaMetrics metrics,
        Principal principal,
        string remoteEndpoint,
        string listener,
        Action<string> abort,
        Action<ClientSession, long> droppedLog,
        (AccessExit Stream, AccessExit Replay)? exits = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(options);
        _router = router;
        _droppedLog = droppedLog;
        var queue = new OutboundQueue(options.ControlQueueCapacity, options.PictureQueueCapacity, options.WarningQueueCapacity);
        Session = new ClientSession(principal, remoteEndpoint, listener, queue, metrics, abort)
        {
            StreamExit = exits?.Stream ?? AccessExit.Stream,
            ReplayExit = exits?.Replay ?? AccessExit.Replay,
        };
    }

    public ClientSession Session { get; }

    public OutboundQueue Queue => Session.Queue;

    /// <summary>
    /// Joins the router: from here on nothing published is missed. Returns the snapshot for
    /// <see cref="AttachMode.Snapshot"/>, else an empty list.
    /// </summary>
    public List<SharedEvent> Attach(AttachMode mode)
    {
        switch (mode)
        {
            case AttachMode.ReplayPicture:
                _router.Attach(Session);
                return [];
            case AttachMode.Snapshot:
                return _router.AttachForSnapshot(Session);
            default:
                _router.AttachLive(Session);
                return [];
        }
    }

    /// <summary>What every desk sends a recipient that has just attached (the warnings it has not acknowledged: warning lane, so first).</summary>
    public Task GreetAsync(CancellationToken cancellationToken) => _router.Desks.GreetAsync(Session, cancellationToken);

    /// <summary>Completes the queue: the writer drains what is queued and stops; nothing more is taken.</summary>
    public void Complete() => Queue.Complete();

    /// <summary>The queue completed, the session detached, its drops logged; once, whoever calls first.</summary>
    public void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        Queue.Complete();
        _router.Detach(Session);
        if (Session.PictureDrops > 0)
        {
            _droppedLog(Session, Session.PictureDrops);
        }
    }
}
