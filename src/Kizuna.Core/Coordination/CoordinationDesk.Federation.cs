using Kizuna.Core.Alliance;
using Kizuna.Core.Audit;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Coordination;

/// <summary>What the desk did with a version of a request a partner node sent.</summary>
public enum CoordinationReceipt
{
    /// <summary>New to this node, or newer than what it held: kept, recorded, told.</summary>
    Taken,

    /// <summary>Nothing this node does not already hold (a version that came by another path).</summary>
    Known,

    /// <summary>Unreadable, a relationship the profile does not have, or a transition the origin node may not speak for: refused and logged.</summary>
    Refused,

    /// <summary>Made on a version this node had already moved on from, and later than the step this node holds there: recorded as superseded, not kept.</summary>
    Superseded,
}

/// <summary>
/// Coordination across federation (docs/coordination.md, "Across federation"): every version a
/// node makes is its own event in its history, which its links carry; a partner's version is
/// handed here. A node speaks only for its own nation: a transition from a partner is taken only
/// when an organization of the origin node's nation made it, as the state table allows; the
/// addressee's node records <c>received</c> with its own time. Each nation's node escalates its
/// own chain.
/// </summary>
public sealed partial class CoordinationDesk
{
    private string? _federatedNation;

    /// <summary>This node links to partner nodes and speaks for <paramref name="nation"/> only: organizations of other nations are served by their own nodes.</summary>
    public void JoinFederation(string nation)
    {
        ArgumentException.ThrowIfNullOrEmpty(nation);
        _federatedNation = nation;
    }

    /// <summary>Whether this node acts for <paramref name="organization"/>: every organization on a single node; on a federated node, those of its nation.</summary>
    private bool SpeaksHere(string organization)
        => _federatedNation is null || (_labels.Profile.FindOrganization(organization) is { } found && ServedHere(found));

    private bool ServedHere(Organization organization)
        => _federatedNation is null || organization.Nations.Contains(_federatedNation, StringComparer.Ordinal);

    /// <summary>
    /// A version of a request from a partner node, whose event entered the federation at
    /// <paramref name="originNode"/>, hosted by <paramref name="originOrganization"/>. Kept as the
    /// newest version of its id when every transition this node does not hold yet was made by an
    /// organization of the origin node's nation and the state table allows it in order.
    /// <paramref name="keep"/> (the exchange keeping the partner's event, to relay it on) runs
    /// when it is not refused, before any version of this node's own: a node further on gets the
    /// partner's version before the one that builds on it.
    /// </summary>
    public async Task<CoordinationReceipt> ReceiveFederatedAsync(CotEvent evt, ConfidentialityLabel label, string originOrganization, string originNode, Action? keep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(label);
        if (!CoordinationCotReader.TryReadRequest(evt, label.Banner, out var incoming, out var problem))
        {
            return RefuseFederated(label, originNode, originOrganization, "?", problem!);
        }

        if (_labels.Profile.FindOrganization(originOrganization) is not { } origin)
        {
            return RefuseFederated(label, originNode, originOrganization, incoming!.Id, $"the origin node's organization {originOrganization} is not in the profile: no node vouches for the request");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var local = await _store.FindAsync(incoming!.Id, cancellationToken).ConfigureAwait(false);
            CoordinationRequest current;
            CoordinationRequest? superseded = null;
            int next;
            if (local is null)
            {
                if (Opening(incoming, origin, now) is { } refused)
                {
                    return RefuseFederated(label, originNode, originOrganization, incoming.Id, refused);
                }

                var first = incoming.History[0];
                current = incoming with { State = CoordinationStates.Sent, Proposal = null, Reason = null, Version = 1, History = [first], Escalations = [] };
                next = 1;
            }
            else
            {
                if (!string.Equals(local.From, incoming.From, StringComparison.Ordinal) || !string.Equals(local.To, incoming.To, StringComparison.Ordinal)
                    || !string.Equals(local.Label, incoming.Label, StringComparison.Ordinal))
                {
                    return RefuseFederated(label, originNode, originOrganization, incoming.Id, "its parties or label differ from the request this node holds under that id");
                }

                var parted = PartingStep(local.History, incoming.History);
                if (parted == 0)
                {
                    return RefuseFederated(label, originNode, originOrganization, incoming.Id, "its first step differs from the request this node holds under that id");
                }

                if (parted < 0 && incoming.History.Count <= local.History.Count)
                {
                    keep?.Invoke();
                    return CoordinationReceipt.Known;
                }

                current = local;
                next = local.History.Count;
                if (parted >= 0)
                {
                    // Both nodes made a step on the same version: the merge rule keeps one branch.
                    current = local.Rewound(parted);
                    next = parted;
                    if (Branch(current, incoming, parted, origin) is { } forged)
                    {
                        return RefuseFederated(label, originNode, originOrganization, incoming.Id, forged);
                    }

                    if (!CoordinationTransition.Precedes(incoming.History[parted], local.History[parted]))
                    {
                        Superseded(local, parted, incoming.History[^1], local.History[parted], originNode);
                        return CoordinationReceipt.Superseded;
                    }

                    superseded = local;
                }
            }

            var taken = new List<CoordinationTransition>();
            for (var i = next; i < incoming.History.Count; i++)
            {
                var step = incoming.History[i];
                if (Forged(current, step, origin) is { } forged)
                {
                    return RefuseFederated(label, originNode, originOrganization, incoming.Id, forged);
                }

                current = current.With(step.State, step.By, step.ByOrganization, step.At, step.Note);
                taken.Add(step);
            }

            // The addressee's node receives a new request with its own time.
            var receivedHere = false;
            if (local is null && current.State == CoordinationStates.Sent && _labels.Profile.FindOrganization(current.To) is { } addressee && ServedHere(addressee))
            {
                current = current.With(CoordinationStates.Received, AuditEntry.NodeActor, string.Empty, now, null);
                receivedHere = true;
            }

            await _store.SaveAsync(current, cancellationToken).ConfigureAwait(false);
            keep?.Invoke();
            foreach (var step in local is null ? [current.History[0], .. taken] : taken)
            {
                _audit.Record(new AuditEntry(AuditActs.CoordinationPrefix + step.State, step.By, step.ByOrganization, $"{current.Id} (from node {originNode})", current.Label));
                Log.CoordinationTransitionFederated(_logger, current.Id, current.From, current.To, step.State, step.By, step.ByOrganization.Length > 0 ? step.ByOrganization : "node", originNode);
            }

            if (receivedHere)
            {
                Recorded(current, current.History[^1]);
            }

            // This node's own branch lost: each of its steps is recorded as superseded.
            for (var i = next; superseded is not null && i < superseded.History.Count; i++)
            {
                Superseded(current, next, superseded.History[i], current.History[next], null);
            }

            Notify(current, label, now, [current.From, current.To], escalatedTo: null, ours: receivedHere);
            return CoordinationReceipt.Taken;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Why a request new to this node may not be kept: its parties, relationship, label or first step.</summary>
    private string? Opening(CoordinationRequest incoming, Organization origin, DateTime now)
    {
        var first = incoming.History[0];
        if (first.State != CoordinationStates.Sent || !string.Equals(first.ByOrganization, incoming.From, StringComparison.Ordinal))
        {
            return "a request's first step is sent, by its sender";
        }

        if (_labels.Profile.FindOrganization(incoming.To) is not { } to
            || CoordinationRelations.Between(_labels.Profile, incoming.From, to.Id, DateOnly.FromDateTime(now)) is null)
        {
            return $"the alliance profile relates {incoming.From} and {incoming.To} by no coordination relationship";
        }

        if (!_labels.TryParseBanner(incoming.Label, out var label, out _) || !label.ReleasableTo.Contains(to.Nation, StringComparer.Ordinal))
        {
            return $"the label {incoming.Label} does not release the request to {to.Id}'s nation {to.Nation}";
        }

        return Forged(null, first, origin);
    }

    /// <summary>
    /// Why a transition from a partner node is not its to make: nobody speaks for another. An
    /// identity's transition must be by an organization of the origin node's nation; the node's
    /// own <c>received</c> only by the addressee's node; and the state table must allow it.
    /// </summary>
    private string? Forged(CoordinationRequest? current, CoordinationTransition step, Organization origin)
    {
        if (step.State == CoordinationStates.Received)
        {
            var addressee = current is null ? null : _labels.Profile.FindOrganization(current.To);
            return current is { State: CoordinationStates.Sent } && step.ByOrganization.Length == 0 && addressee is not null && addressee.Nations.Contains(origin.Nation, StringComparer.Ordinal)
                ? null
                : $"only the addressee's node records received, once, after sent; {origin.Id}'s node may not";
        }

        if (_labels.Profile.FindOrganization(step.ByOrganization) is not { } by || !by.Nations.Contains(origin.Nation, StringComparer.Ordinal))
        {
            return $"{step.State} by {step.ByOrganization} came from {origin.Id}'s node ({origin.Nation}): a node speaks only for its own nation's organizations";
        }

        if (current is null)
        {
            return null;
        }

        if (ActionFor(step.State) is not { } action)
        {
            return $"{step.State} is not a transition";
        }

        var (party, target, allowed) = Rule(action, current);
        if (!string.Equals(party, step.ByOrganization, StringComparison.Ordinal) || !string.Equals(target, step.State, StringComparison.Ordinal) || !allowed)
        {
            return $"the state table does not let {step.ByOrganization} make a {current.State} request {step.State} (only {party} may, from the states it lists)";
        }

        return (action is CoordinationAction.Decline or CoordinationAction.Counter) && string.IsNullOrWhiteSpace(step.Note)
            ? "a decline says its reason and a counter its proposal"
            : null;
    }

    private static CoordinationAction? ActionFor(string state) => state switch
    {
        CoordinationStates.Acknowledged => CoordinationAction.Ack,
        CoordinationStates.Accepted => CoordinationAction.Accept,
        CoordinationStates.Declined => CoordinationAction.Decline,
        CoordinationStates.Countered => CoordinationAction.Counter,
        CoordinationStates.Completed => CoordinationAction.Complete,
        CoordinationStates.Withdrawn => CoordinationAction.Withdraw,
        _ => null,
    };

    /// <summary>The index of the first step where two histories of one request differ, or -1 when one is a prefix of the other.</summary>
    private static int PartingStep(IReadOnlyList<CoordinationTransition> local, IReadOnlyList<CoordinationTransition> incoming)
    {
        var common = Math.Min(local.Count, incoming.Count);
        for (var i = 0; i < common; i++)
        {
            if (!SameStep(local[i], incoming[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Why a partner's branch from step <paramref name="parted"/> on is not its to make, checked against the version it was made on.</summary>
    private string? Branch(CoordinationRequest common, CoordinationRequest incoming, int parted, Organization origin)
    {
        var current = common;
        for (var i = parted; i < incoming.History.Count; i++)
        {
            var step = incoming.History[i];
            if (Forged(current, step, origin) is { } forged)
            {
                return forged;
            }

            current = current.With(step.State, step.By, step.ByOrganization, step.At, step.Note);
        }

        return null;
    }

    /// <summary>A step the merge rule set aside: recorded (<c>coordination.superseded</c>, by its identity) and logged, never applied.</summary>
    private void Superseded(CoordinationRequest request, int parted, CoordinationTransition loser, CoordinationTransition winner, string? fromNode)
    {
        var on = parted.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _audit.Record(new AuditEntry(
            AuditActs.CoordinationSuperseded, loser.By, loser.ByOrganization,
            $"{request.Id}{(fromNode is null ? string.Empty : $" (from node {fromNode})")}: {loser.State} made after step {on}, superseded by {winner.State} by {(winner.ByOrganization.Length > 0 ? winner.ByOrganization : "node")}",
            request.Label));
        Log.CoordinationSuperseded(_logger, request.Id, loser.State, loser.By, loser.ByOrganization.Length > 0 ? loser.ByOrganization : "node", parted, winner.State, winner.ByOrganization.Length > 0 ? winner.ByOrganization : "node", fromNode ?? "this node");
    }

    private static bool SameStep(CoordinationTransition a, CoordinationTransition b)
        => string.Equals(a.State, b.State, StringComparison.Ordinal) && string.Equals(a.By, b.By, StringComparison.Ordinal)
           && string.Equals(a.ByOrganization, b.ByOrganization, StringComparison.Ordinal) && Math.Abs((a.At - b.At).TotalMilliseconds) < 1;

    private CoordinationReceipt RefuseFederated(ConfidentialityLabel label, string originNode, string originOrganization, string id, string reason)
    {
        Log.CoordinationFederatedRefused(_logger, originNode, originOrganization, id, reason);
        _audit.Record(new AuditEntry(AuditActs.CoordinationRefused, "partner:" + originOrganization, originOrganization, $"{id} (from node {originNode}): {reason}", label.Banner));
        return CoordinationReceipt.Refused;
    }
}
