using System.Security.Cryptography;
using Kizuna.Core.Audit;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Coordination;

/// <summary>Why a coordination request or transition was refused. Stable names: logs and the API's error say them.</summary>
public enum CoordinationRefusal
{
    /// <summary>A field is missing or out of bounds.</summary>
    Malformed,

    /// <summary>The caller has no certificate identity.</summary>
    NotIdentified,

    /// <summary>The profile relates the two organizations by no coordination relationship.</summary>
    NoRelationship,

    /// <summary>The caller's organization is not the one that may make this transition.</summary>
    WrongOrganization,

    /// <summary>The label cannot be read, or the caller may not apply it.</summary>
    LabelRefused,

    /// <summary>The label does not release the request to the addressee's nation.</summary>
    NotReleasableToAddressee,

    /// <summary>No such request the caller may see.</summary>
    NotFound,

    /// <summary>The request's state does not allow the transition.</summary>
    InvalidTransition,
}

/// <summary>A request as created or changed, or the refusal and its reason.</summary>
public sealed record CoordinationOutcome(CoordinationRequest? Request, CoordinationRefusal? Refusal, string? Reason)
{
    public static CoordinationOutcome Refused(CoordinationRefusal refusal, string reason) => new(null, refusal, reason);
}

/// <summary>What an identity asks for when it opens a request (the body of <c>POST /api/coordination</c>).</summary>
public sealed record NewCoordinationRequest(string? To, string? Subject, string? Text, string? Priority, DateTime? ReplyBy, IReadOnlyList<string>? Attachments, string? Label);

/// <summary>
/// The coordination desk: requests between headquarters the profile relates, each transition by
/// an identity of the right organization, stored durably before anyone is told, recorded in the
/// audit trail, and sent to the two headquarters' connected clients as GeoChat CoT through the
/// access decision. A request its addressee has not acknowledged by its reply-by time escalates
/// once up each national chain to the next superior (<see cref="SweepAsync"/>).
/// </summary>
public sealed partial class CoordinationDesk
{
    public const int MaxSubject = 200;
    public const int MaxText = 4000;
    public const int MaxAttachments = 16;

    private readonly ICoordinationStore _store;
    private readonly EventRouter _router;
    private readonly LabelPolicy _labels;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IAuditTrail _audit;
    // Transitions read, change and save a request: one at a time, so two answers never both win.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public CoordinationDesk(ICoordinationStore store, EventRouter router, LabelPolicy labels, TimeProvider time, ILogger<CoordinationDesk> logger, IAuditTrail? audit = null)
    {
        _store = store;
        _router = router;
        _labels = labels;
        _time = time;
        _logger = logger;
        _audit = audit ?? NoAuditTrail.Instance;
        // Coordination goes to the two headquarters (and escalation targets), never into the shared picture.
        router.ExcludeFromPicture(CoordinationCot.Type);
    }

    /// <summary>Opens a request from the caller's organization; it is sent, and received at once by this node.</summary>
    public async Task<CoordinationOutcome> SendAsync(Principal from, NewCoordinationRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(body);
        var now = _time.GetUtcNow().UtcDateTime;
        if (from.Kind != PrincipalKind.Certificate)
        {
            return Refuse(from, null, CoordinationRefusal.NotIdentified, "coordination needs a client certificate identity");
        }

        if (Malformed(body, now) is { } malformed)
        {
            return Refuse(from, null, CoordinationRefusal.Malformed, malformed);
        }

        var to = _labels.Profile.FindOrganization(body.To!);
        var relationship = to is null ? null : CoordinationRelations.Between(_labels.Profile, from.Organization, to.Id, DateOnly.FromDateTime(now));
        if (to is null || relationship is null)
        {
            return Refuse(from, null, CoordinationRefusal.NoRelationship,
                $"the alliance profile relates {from.Organization} and '{body.To}' by no coordination relationship (counterparts, coordinating authority, direct liaison authorized, support)");
        }

        var verdict = _labels.AcceptBanner(body.Label, from);
        if (!verdict.Accepted)
        {
            return Refuse(from, null, CoordinationRefusal.LabelRefused, verdict.Reason);
        }

        if (!verdict.Label.ReleasableTo.Contains(to.Nation, StringComparer.Ordinal))
        {
            return Refuse(from, null, CoordinationRefusal.NotReleasableToAddressee, $"the label {verdict.Label.Banner} does not release the request to {to.Id}'s nation {to.Nation}");
        }

        var id = $"C-{now:yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var request = new CoordinationRequest(
            id, from.Organization, to.Id, relationship, body.Subject!.Trim(), body.Text!, body.Priority!, body.ReplyBy!.Value.ToUniversalTime(),
            body.Attachments ?? [], verdict.Label.Banner, CoordinationStates.Sent, null, null, 1,
            [new CoordinationTransition(CoordinationStates.Sent, from.Name, from.Organization, CoordinationTransition.Instant(now), null)], []);
        // An addressee served by this node receives it on arrival, with this node's time; one
        // served by a partner node receives it when that node stores it (docs/coordination.md).
        if (ServedHere(to))
        {
            request = request.With(CoordinationStates.Received, AuditEntry.NodeActor, string.Empty, now, null);
        }

        await _store.SaveAsync(request, cancellationToken).ConfigureAwait(false);
        foreach (var step in request.History)
        {
            Recorded(request, step);
        }

        Notify(request, verdict.Label, now, [request.From, request.To], escalatedTo: null, ours: true);
        return new CoordinationOutcome(request, null, null);
    }

    /// <summary>One transition by the caller: refused unless its organization is the one that may make it from the request's state.</summary>
    public async Task<CoordinationOutcome> ActAsync(Principal who, string id, CoordinationAction action, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var request = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (request is null || !MayFollow(who, request))
            {
                return Refuse(who, id, CoordinationRefusal.NotFound, $"no coordination request {id}");
            }

            if (who.Kind != PrincipalKind.Certificate)
            {
                return Refuse(who, id, CoordinationRefusal.NotIdentified, "coordination needs a client certificate identity");
            }

            if ((action is CoordinationAction.Decline or CoordinationAction.Counter) && string.IsNullOrWhiteSpace(note))
            {
                return Refuse(who, id, CoordinationRefusal.Malformed, action == CoordinationAction.Decline ? "a decline says its reason" : "a counter says its proposal");
            }

            if (note is { Length: > MaxText })
            {
                return Refuse(who, id, CoordinationRefusal.Malformed, $"a reason or proposal is at most {MaxText} characters");
            }

            var (party, target, allowed) = Rule(action, request);
            if (!string.Equals(who.Organization, party, StringComparison.Ordinal))
            {
                return Refuse(who, id, CoordinationRefusal.WrongOrganization, $"only {party} may {action.ToString().ToLowerInvariant()} this request now");
            }

            if (!SpeaksHere(who.Organization))
            {
                return Refuse(who, id, CoordinationRefusal.WrongOrganization, $"{who.Organization} answers on its own nation's node: this node speaks for {_federatedNation} only");
            }

            if (!allowed)
            {
                return Refuse(who, id, CoordinationRefusal.InvalidTransition, $"a request that is {request.State} cannot be {action.ToString().ToLowerInvariant()}ed");
            }

            var now = _time.GetUtcNow().UtcDateTime;
            var changed = request.With(target, who.Name, who.Organization, now, string.IsNullOrWhiteSpace(note) ? null : note);
            await _store.SaveAsync(changed, cancellationToken).ConfigureAwait(false);
            Recorded(changed, changed.History[^1]);
            if (_labels.TryParseBanner(changed.Label, out var label, out _))
            {
                Notify(changed, label, now, [changed.From, changed.To], escalatedTo: null, ours: true);
            }

            return new CoordinationOutcome(changed, null, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Who may make a transition, what state it leads to, and whether the current state allows it.
    /// The addressee answers; after a counter, the sender answers the counter-proposal; only the
    /// sender withdraws; only the addressee completes what it accepted.
    /// </summary>
    private static (string Party, string Target, bool Allowed) Rule(CoordinationAction action, CoordinationRequest request)
    {
        var state = request.State;
        var answering = state == CoordinationStates.Countered ? request.From : request.To;
        var open = state is CoordinationStates.Sent or CoordinationStates.Received or CoordinationStates.Acknowledged;
        return action switch
        {
            CoordinationAction.Ack => (request.To, CoordinationStates.Acknowledged, CoordinationStates.AwaitsAcknowledgement(state)),
            CoordinationAction.Accept => (answering, CoordinationStates.Accepted, open || state == CoordinationStates.Countered),
            CoordinationAction.Decline => (answering, CoordinationStates.Declined, open || state == CoordinationStates.Countered),
            CoordinationAction.Counter => (request.To, CoordinationStates.Countered, open),
            CoordinationAction.Complete => (request.To, CoordinationStates.Completed, state == CoordinationStates.Accepted),
            _ => (request.From, CoordinationStates.Withdrawn, !CoordinationStates.IsFinal(state)),
        };
    }

    /// <summary>A request the caller may see: its label permits, and its organization is one of the two or above one of them on its chain.</summary>
    public bool MayFollow(Principal who, CoordinationRequest request)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(request);
        if (!_labels.TryParseBanner(request.Label, out var label, out _) || !AccessControl.Permits(who, label))
        {
            return false;
        }

        var followed = CoordinationRelations.Followed(_labels.Profile, who.Organization, DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime));
        return followed.Contains(request.From) || followed.Contains(request.To);
    }

    public async Task<CoordinationRequest?> FindAsync(Principal who, string id, CancellationToken cancellationToken)
        => await _store.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } request && MayFollow(who, request) ? request : null;

    /// <summary>The requests the caller may see, from or to <paramref name="organization"/> when given, in <paramref name="state"/> when given, newest first.</summary>
    public async Task<IReadOnlyList<CoordinationRequest>> ListAsync(Principal who, string? organization, string? state, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var followed = CoordinationRelations.Followed(_labels.Profile, who.Organization, DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime));
        var involving = organization is null ? followed : [organization];
        var found = await _store.InvolvingAsync(involving, Math.Max(limit * 4, 200), cancellationToken).ConfigureAwait(false);
        return [.. found.Where(r => (state is null || string.Equals(r.State, state, StringComparison.Ordinal)) && MayFollow(who, r)).Take(limit)];
    }

    /// <summary>
    /// Escalates every open request whose addressee has not acknowledged it by its reply-by time:
    /// once per side, to the next superior in the sender's national chain and in the addressee's,
    /// never across from one nation's chain into the other's. Recorded (history, audit trail)
    /// before the superiors' clients are told.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var date = DateOnly.FromDateTime(now);
        foreach (var candidate in await _store.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!CoordinationStates.AwaitsAcknowledgement(candidate.State) || candidate.ReplyBy > now || candidate.Escalations.Count > 0)
            {
                continue;
            }

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Read again under the gate: an acknowledgement may have come in the meantime.
                var request = await _store.FindAsync(candidate.Id, cancellationToken).ConfigureAwait(false);
                if (request is null || !CoordinationStates.AwaitsAcknowledgement(request.State) || request.Escalations.Count > 0)
                {
                    continue;
                }

                var escalations = new List<CoordinationEscalation>();
                foreach (var side in new[] { request.From, request.To })
                {
                    // Each nation's node escalates its own chain (a single node escalates both).
                    if (SpeaksHere(side) && CoordinationRelations.NextSuperior(_labels.Profile, side, date) is { } superior)
                    {
                        escalations.Add(new CoordinationEscalation(side, superior.Id, now));
                    }
                }

                var escalated = request with
                {
                    Version = request.Version + 1,
                    Escalations = escalations.Count > 0 ? escalations : [new CoordinationEscalation(request.To, string.Empty, now)],
                };
                await _store.SaveAsync(escalated, cancellationToken).ConfigureAwait(false);
                _labels.TryParseBanner(escalated.Label, out var label, out _);
                foreach (var escalation in escalations)
                {
                    _audit.Record(new AuditEntry(AuditActs.CoordinationEscalated, AuditEntry.NodeActor, string.Empty, $"{escalated.Id}: {escalation.Side} chain, told {escalation.Superior}", escalated.Label));
                    var told = label is null ? 0 : Notify(escalated, label, now, [escalation.Superior], escalation.Superior);
                    Log.CoordinationEscalated(_logger, escalated.Id, escalation.Side, escalation.Superior, told);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>
    /// Sends the request's event to the connected clients of <paramref name="organizations"/> its
    /// label permits; returns how many. A version this node made (<paramref name="ours"/>) is also
    /// kept in the history as the node's own event when the node federates, which is what the
    /// links' outboxes carry to partner nodes.
    /// </summary>
    private int Notify(CoordinationRequest request, ConfidentialityLabel label, DateTime now, IReadOnlyList<string> organizations, string? escalatedTo, bool ours = false)
    {
        var shared = new SharedEvent(CoordinationCot.ToEvent(request, label, _labels, now, escalatedTo), label, "node", now);
        if (ours && _federatedNation is not null)
        {
            _router.Archive(new LabelledEvent(shared.Event, label), null);
        }

        var told = 0;
        foreach (var recipient in _router.Recipients)
        {
            if (organizations.Contains(recipient.Principal.Organization, StringComparer.Ordinal) && AccessControl.Permits(recipient.Principal, label))
            {
                // No coordination lane yet: control is never dropped (docs/coordination.md).
                _router.SendTo(recipient, shared, Lane.Control);
                told++;
            }
        }

        return told;
    }

    private void Recorded(CoordinationRequest request, CoordinationTransition transition)
    {
        _audit.Record(new AuditEntry(AuditActs.CoordinationPrefix + transition.State, transition.By, transition.ByOrganization, request.Id, request.Label));
        Log.CoordinationTransition(_logger, request.Id, request.From, request.To, transition.State, transition.By, transition.ByOrganization.Length > 0 ? transition.ByOrganization : "node");
    }

    private CoordinationOutcome Refuse(Principal who, string? id, CoordinationRefusal refusal, string reason)
    {
        Log.CoordinationRefused(_logger, who.Name, who.Organization, id ?? "(new)", refusal, reason);
        return CoordinationOutcome.Refused(refusal, reason);
    }

    private static string? Malformed(NewCoordinationRequest body, DateTime now)
    {
        if (string.IsNullOrWhiteSpace(body.To))
        {
            return "a request names the organization it goes to (\"to\")";
        }

        if (string.IsNullOrWhiteSpace(body.Subject) || body.Subject.Length > MaxSubject)
        {
            return $"a request has a subject of 1 to {MaxSubject} characters";
        }

        if (body.Text is null || body.Text.Length > MaxText)
        {
            return $"a request has a text of at most {MaxText} characters";
        }

        if (body.Priority is null || !CoordinationPriorities.All.Contains(body.Priority, StringComparer.Ordinal))
        {
            return $"priority is one of {string.Join(", ", CoordinationPriorities.All)}";
        }

        if (body.ReplyBy is not { } replyBy || replyBy.ToUniversalTime() <= now)
        {
            return "replyBy is a time in the future (ISO 8601, UTC)";
        }

        if (body.Attachments is { } attachments && (attachments.Count > MaxAttachments || attachments.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 512)))
        {
            return $"attachments are at most {MaxAttachments} references of at most 512 characters each";
        }

        return null;
    }
}
