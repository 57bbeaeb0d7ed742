using Kizuna.Core.Labels;

namespace Kizuna.Core.Routing;

/// <summary>
/// Scale-out: what this instance accepts goes to the others over the bus; what they accepted
/// (and stored in the shared history) comes back here to be kept as the latest state and
/// delivered to this instance's clients, under the same access decision.
/// </summary>
public sealed partial class EventRouter : IClusterMember
{
    private IClusterBus? _cluster;
    private Action<string, int>? _warningsFromCluster;
    private Action? _reportsStoredFromCluster;

    /// <summary>Makes this router a member of a cluster: from now on it shares what it accepts on <paramref name="bus"/>.</summary>
    public void JoinCluster(IClusterBus bus) => _cluster = bus;

    /// <summary>Who delivers a warning another instance issued (the warning desk).</summary>
    public void OnWarningFromCluster(Action<string, int> deliver) => _warningsFromCluster = deliver;

    /// <inheritdoc />
    public void AcceptWarningFromCluster(string warningId, int version) => _warningsFromCluster?.Invoke(warningId, version);

    /// <summary>Who works through the sensor reports another instance stored for the warning issuer (the warning desk).</summary>
    public void OnReportStoredFromCluster(Action waiting) => _reportsStoredFromCluster = waiting;

    /// <inheritdoc />
    public void AcceptReportStoredFromCluster() => _reportsStoredFromCluster?.Invoke();

    /// <summary>
    /// A warning another instance issued, to this instance's clients on the warning lane, as
    /// <see cref="PublishWarning"/> does but without keeping it in history: the issuing instance did.
    /// </summary>
    public int DeliverWarningFromCluster(Func<Principal, SharedEvent?> viewFor)
    {
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

        CountWithheld(withheld);
        return recipients;
    }

    /// <summary>The cluster bus this router shares on, if any.</summary>
    public IClusterBus? Cluster => _cluster;

    /// <summary>On the publishing path, after local delivery: each accepted event once to the bus with its uid's owner.</summary>
    private void ShareWithCluster(SharedEvent[] shared, ClientSession? sender)
    {
        if (_cluster is not { } bus)
        {
            return;
        }

        var owner = sender is null ? null : UidOwners.KeyOf(sender.Principal);
        foreach (var one in shared)
        {
            bus.Publish(one, UidOwners.Applies(one.Event) ? owner : null);
        }
    }

    /// <inheritdoc />
    public void AcceptFromCluster(SharedEvent evt, string? owner, string? nation)
    {
        ArgumentNullException.ThrowIfNull(evt);
        // The instance that accepted it applied the ownership rule and stored the owner; here the
        // claim only keeps this instance's rule in step, so a later update from another sender is refused here too.
        if (owner is not null && UidOwners.Applies(evt.Event))
        {
            _owners.TryClaim(evt.Event.Uid, owner, out _, out _);
        }

        _latest.Update(evt);
        Span<long> withheld = stackalloc long[AccessExitCount];
        var destinations = evt.Event.Detail.MartiDestinations;
        foreach (var session in Volatile.Read(ref _sessions))
        {
            if (nation is not null && !string.Equals(session.Principal.Nation, nation, StringComparison.Ordinal))
            {
                continue;
            }

            if (destinations.Count != 0 && !IsAddressedTo(destinations, session))
            {
                continue;
            }

            if (!AccessControl.Permits(session.Principal, evt.Label))
            {
                withheld[(int)session.StreamExit]++;
                continue;
            }

            session.Deliver(evt, Lane.Picture);
        }

        CountWithheld(withheld);
    }
}
