using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Routing;

/// <summary>An accepted event and the label it was stamped with.</summary>
public readonly record struct LabelledEvent(CotEvent Event, ConfidentialityLabel Label);

/// <summary>
/// The hub of a node: every accepted event is stored, remembered as the latest state of its uid,
/// and queued to every other connected client the access decision permits (or only to the
/// permitted addressees of a directed message). Publishing never waits on a recipient: it only
/// enqueues into bounded per-connection queues.
/// </summary>
public sealed partial class EventRouter
{
    private readonly IEventStore _store;
    private readonly LatestState _latest;
    private readonly UidOwners _owners;
    private readonly KizunaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ClientSession[] _sessions = [];

    public EventRouter(IEventStore store, LatestState latest, UidOwners owners, KizunaMetrics metrics, ILogger<EventRouter> logger, TimeProvider time, AdmissionOptions? admission = null)
    {
        Admission = new Admission(admission ?? new AdmissionOptions(), metrics, logger, time);
        _store = store;
        _latest = latest;
        _owners = owners;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        Desks = new DeskRegistry(new PictureDesk(this));
        metrics.QueueDepth = () => Volatile.Read(ref _sessions).Sum(static s => (long)s.Queue.Count);
    }

    public IReadOnlyList<ClientSession> Sessions => Volatile.Read(ref _sessions);

    /// <summary>The desks inbound events go to by type: the picture desk, and those registered at start (<see cref="DeskRegistry.Register"/>).</summary>
    public DeskRegistry Desks { get; }

    /// <summary>Reads from publishers follow delivery (docs/dev/admission.md).</summary>
    public Admission Admission { get; }

    /// <summary>The recipients attached now, as desks see them (a snapshot: attaching or leaving later does not change it).</summary>
    public IReadOnlyList<IRecipient> Recipients => Volatile.Read(ref _sessions);

    /// <summary>
    /// Queues <paramref name="evt"/> for one recipient on <paramref name="lane"/>: a desk's answer
    /// to its sender (a refusal notice, control lane), a warning resent or escalated to one client
    /// (warning lane). The caller has made the access decision; never blocks (see
    /// <see cref="ClientSession.Deliver(OutboundItem, Lane)"/>). A recipient that has left gets nothing.
    /// </summary>
    public void SendTo(IRecipient recipient, SharedEvent evt, Lane lane)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (recipient is not ClientSession session)
        {
            throw new ArgumentException("not a session of this router", nameof(recipient));
        }

        session.Deliver(evt, lane);
    }

    /// <summary>
    /// A desk's rule for the picture: events of <paramref name="type"/> are never part of the
    /// replayed latest state (<see cref="LatestState.Exclude"/>). Registered at start, before the
    /// picture is restored from storage.
    /// </summary>
    public void ExcludeFromPicture(string type) => _latest.Exclude(type);

    /// <summary>Adds a session and queues to it the latest non-stale picture it may see.</summary>
    public void Attach(ClientSession session)
    {
        var replayed = AttachForSnapshot(session);
        // Ahead of all live picture (never older after newer), and whole however large the picture is.
        session.Replay(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(replayed));
        if (replayed.Count > 0)
        {
            Log.LatestReplayed(_logger, replayed.Count, session.Id);
        }
    }

    /// <summary>
    /// Adds a session and returns, instead of queueing, the latest non-stale picture it may see
    /// (oldest first): for a client that takes the picture as one snapshot (the browser console).
    /// Added first, so nothing published meanwhile is missed; it may come twice, never older.
    /// </summary>
    public List<SharedEvent> AttachForSnapshot(ClientSession session)
    {
        AttachLive(session);

        // Each uid's newest version this session may see: a newer one it may not see neither
        // hides the older one nor shows that it exists. Uids with no visible version are counted.
        var visible = _latest.Snapshot(_time.GetUtcNow().UtcDateTime, session.Principal, out var withheld);
        _metrics.Withheld(session.ReplayExit, withheld);
        return visible;
    }

    /// <summary>Adds a session for live events only: it catches up from a cursor of its own, not from the latest state.</summary>
    public void AttachLive(ClientSession session)
    {
        // Copy-on-write: publishers iterate a snapshot without taking the lock.
        session.Queue.ReportTo(Admission);
        lock (_gate)
        {
            _sessions = [.. _sessions, session];
            Admission.SessionsChanged(_sessions.Length);
        }
    }

    public void Detach(ClientSession session)
    {
        lock (_gate)
        {
            _sessions = Array.FindAll(_sessions, s => !ReferenceEquals(s, session));
            Admission.SessionsChanged(_sessions.Length);
        }

        session.Queue.ReportTo(null);
    }

    /// <summary>
    /// Stores an accepted, labelled event and fans it out; null when it was refused because its
    /// uid belongs to another organization. <paramref name="sender"/> is null for the node's own events.
    /// </summary>
    public SharedEvent? Publish(CotEvent evt, ConfidentialityLabel label, ClientSession? sender) => Publish([new LabelledEvent(evt, label)], sender) is [var one] ? one : null;

    /// <summary>
    /// Stores events that arrived together (one read from one client) and fans them out in order,
    /// each to the recipients its label permits. Each recipient's queue takes its share of the run
    /// in one step, so its writer wakes once and writes them with one flush, as a relay forwards a chunk.
    /// Events whose uid belongs to another organization than the sender's are refused first and
    /// are not among those returned.
    /// </summary>
    public SharedEvent[] Publish(IReadOnlyList<LabelledEvent> events, ClientSession? sender)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var shared = new SharedEvent[events.Count];
        var kept = 0;
        var directed = false;
        var senderName = sender?.Identity ?? "node";
        for (var k = 0; k < events.Count; k++)
        {
            var (evt, label) = events[k];
            if (sender is not null && !MayUpdate(evt, sender, now))
            {
                continue;
            }

            var one = shared[kept++] = new SharedEvent(evt, label, senderName, now);
            Keep(one);
            _latest.Update(one);
            directed |= evt.Detail.MartiDestinations.Count > 0;
        }

        if (kept < shared.Length)
        {
            Array.Resize(ref shared, kept);
        }

        // Admission (docs/dev/admission.md): a calm publisher's picture goes ahead of the rest;
        // a publisher is held only if what it sent reached a backlogged lane.
        var calm = false;
        if (sender is not null)
        {
            Admission.Count(sender, events.Count);
            calm = Admission.IsCalm(sender);
        }

        var fedBacklog = false;
        Span<long> withheld = stackalloc long[AccessExitCount];
        foreach (var session in Volatile.Read(ref _sessions))
        {
            if (ReferenceEquals(session, sender))
            {
                continue;
            }

            if (!directed && PermitsAll(session.Principal, shared))
            {
                session.Deliver(shared, Lane.Picture, calm);
                fedBacklog |= shared.Length > 0 && session.Queue.PictureBacklogged;
                continue;
            }

            foreach (var one in shared)
            {
                var destinations = one.Event.Detail.MartiDestinations;
                if (destinations.Count != 0 && !IsAddressedTo(destinations, session))
                {
                    continue;
                }

                // A directed message obeys its label like any other event.
                if (!AccessControl.Permits(session.Principal, one.Label))
                {
                    withheld[(int)session.StreamExit]++;
                    continue;
                }

                session.Deliver(new ReadOnlySpan<SharedEvent>(in one), Lane.Picture, calm);
                fedBacklog |= session.Queue.PictureBacklogged;
            }
        }

        if (sender is not null)
        {
            Admission.Fed(sender, fedBacklog);
        }

        CountWithheld(withheld);
        ShareWithCluster(shared, sender);
        return shared;
    }

    /// <summary>
    /// The ownership rule, before anything is stored or delivered: a uid belongs to the
    /// organization that first sent it (<see cref="UidOwners"/>). An update or re-label from
    /// anyone else is refused: logged, counted, and told to the sender alone on its control lane.
    /// </summary>
    private bool MayUpdate(CotEvent evt, ClientSession sender, DateTime now)
    {
        if (!UidOwners.Applies(evt))
        {
            return true;
        }

        var key = UidOwners.KeyOf(sender.Principal);
        if (_owners.TryClaim(evt.Uid, key, out var claimed, out var owner))
        {
            if (claimed)
            {
                _store.RecordOwner(evt.Uid, key);
            }

            return true;
        }

        _metrics.UidRefused();
        var ownerName = owner == UidOwners.AnonymousOwner ? "an anonymous sender" : owner;
        var senderName = key == UidOwners.AnonymousOwner ? "an anonymous sender" : key;
        Log.UidOwnedElsewhere(_logger, sender.Id, sender.RemoteEndpoint, senderName, ownerName);
        var reason = $"the uid belongs to {ownerName}, which sent it first; {senderName} may not update or re-label it (send under a uid of your own)";
        var notice = RefusalNotice.Create(evt.Uid, UidOwnedRefusal, reason, now);
        sender.Deliver(new SharedEvent(notice, sender.Principal.DefaultLabel, "node", now), Lane.Control);
        return false;
    }

    /// <summary>The reason name of an ownership refusal (in the refusal notice's <c>__refusal</c> element).</summary>
    public const string UidOwnedRefusal = "UidOwnedByAnother";

    /// <summary>Keeps an accepted event in history without routing it (sensor reports: their fused warning is what goes out).</summary>
    public void Archive(LabelledEvent labelled, IRecipient? sender)
    {
        Keep(new SharedEvent(labelled.Event, labelled.Label, sender?.Principal.Name ?? "node", _time.GetUtcNow().UtcDateTime));
    }

    /// <summary>
    /// Queues a warning on the warning lane of every client (ahead of all other traffic, never
    /// dropped) and keeps it in the event history. A warning version may come in several views
    /// (the warning desk's views): <paramref name="viewFor"/> names the one each
    /// recipient gets, or none, and the label decides again here. Warnings are not part of the
    /// replayed picture: a client that connects is sent the warnings it has not acknowledged by
    /// the warning desk instead. Returns how many clients it was queued for.
    /// </summary>
    public int PublishWarning(IReadOnlyList<SharedEvent> views, Func<Principal, SharedEvent?> viewFor)
    {
        ArgumentNullException.ThrowIfNull(views);
        ArgumentNullException.ThrowIfNull(viewFor);
        var recipients = 0;
        Span<long> withheld = stackalloc long[AccessExitCount];
        foreach (var session in Volatile.Read(ref _sessions))
        {
            if (viewFor(session.Principal) is not { } view || !AccessControl.Permits(session.Principal, view.Label))
            {
                withheld[(int)session.StreamExit]++;
                continue;
            }

            session.Deliver(view, Lane.Warning);
            recipients++;
        }

        // Into the history only after every client has it: the history's append takes locks that
        // picture threads hold too, and the issuing thread must not wait behind them first.
        foreach (var view in views)
        {
            Keep(view);
        }

        CountWithheld(withheld);
        return recipients;
    }

    private static readonly int AccessExitCount = Enum.GetValues<AccessExit>().Length;

    /// <summary>Counts denials by the exit of each session they were withheld from.</summary>
    private void CountWithheld(ReadOnlySpan<long> withheld)
    {
        for (var exit = 0; exit < withheld.Length; exit++)
        {
            if (withheld[exit] > 0)
            {
                _metrics.Withheld((AccessExit)exit, withheld[exit]);
            }
        }
    }

    /// <summary>Appends to history. Encoded once here: storage keeps these bytes, and every XML client shares them.</summary>
    private void Keep(SharedEvent shared)
        => _store.Append(new StoredEvent(shared.Event, shared.ReceivedAt, shared.Sender)
        {
            EncodedXml = shared.Encoded(WireFormat.CotXml),
            Label = StoredLabel.Of(shared.Label),
        });

    private static bool PermitsAll(Principal recipient, SharedEvent[] run)
    {
        foreach (var one in run)
        {
            if (!AccessControl.Permits(recipient, one.Label))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Completes when storage has room for more (see <see cref="IEventStore.WaitForRoomAsync"/>).</summary>
    public ValueTask WaitForStorageAsync(CancellationToken cancellationToken) => _store.WaitForRoomAsync(cancellationToken);

    /// <summary>
    /// After a read of <paramref name="sender"/> that published picture: completes when storage
    /// has room and the node is keeping up with delivery, or <paramref name="sender"/> is not one
    /// it holds (<see cref="Routing.Admission.WaitForTurnAsync"/>).
    /// </summary>
    public async ValueTask WaitForRoomAsync(ClientSession sender, CancellationToken cancellationToken)
    {
        await _store.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        await Admission.WaitForTurnAsync(sender, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsAddressedTo(IReadOnlyList<CotDestination> destinations, ClientSession session)
    {
        foreach (var dest in destinations)
        {
            if ((dest.Uid is not null && string.Equals(dest.Uid, session.Uid, StringComparison.Ordinal))
                || (dest.Callsign is not null && string.Equals(dest.Callsign, session.Callsign, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
