namespace Kizuna.Core.Routing;

/// <summary>
/// The bus between the instances of one node (scale-out, docs/scale-out.md): every event one
/// instance accepts goes to the others, encoded once and carried with its label, and each
/// delivers it to its own clients. The embedded default has none; an implementation on NATS
/// JetStream is in Kizuna.Cluster.
/// </summary>
public interface IClusterBus : IAsyncDisposable
{
    /// <summary>This instance's name on the bus (what its own messages are recognized by).</summary>
    string InstanceId { get; }

    /// <summary>Whether the bus is connected now (for /healthz).</summary>
    bool IsConnected { get; }

    /// <summary>Connects, and from then on hands every other instance's event to <paramref name="member"/>.</summary>
    Task StartAsync(IClusterMember member, CancellationToken cancellationToken);

    /// <summary>
    /// Carries an event accepted here to the other instances. Never blocks (the routing path
    /// calls it): it queues, and a full queue drops the event from the bus and counts it.
    /// <paramref name="owner"/> is the uid's owner as this instance's ownership rule claimed it (null when the rule does not apply).
    /// </summary>
    void Publish(SharedEvent evt, string? owner);

    /// <summary>
    /// Tells the other instances that a warning version was issued and stored here; each delivers
    /// it to its own clients from the shared warning store. Never blocks, as <see cref="Publish"/>.
    /// The task is true once the bus holds the notice, false when it was dropped. A version
    /// announced twice (an issuer that took over announces again what its predecessor may have)
    /// reaches each instance once at most from the bus, and each instance delivers it once.
    /// </summary>
    Task<bool> PublishWarningIssued(string warningId, int version);

    /// <summary>Tells the instance that issues warnings that a sensor report was stored for it. Never blocks.</summary>
    void PublishReportStored();
}

/// <summary>What a bus hands another instance's events to: the router.</summary>
public interface IClusterMember
{
    /// <summary>
    /// An event another instance accepted (and stored): claim its uid for <paramref name="owner"/>
    /// if no one has it here, keep it as the uid's latest, and deliver it to this instance's
    /// clients its label and addressees permit; <paramref name="nation"/>, when not null, limits
    /// the delivery to that nation's clients (a bus that subscribes per nation).
    /// </summary>
    void AcceptFromCluster(SharedEvent evt, string? owner, string? nation);

    /// <summary>A warning version another instance issued and stored: deliver it to this instance's clients.</summary>
    void AcceptWarningFromCluster(string warningId, int version);

    /// <summary>Another instance stored a sensor report for the node's warning issuer (which may be this instance).</summary>
    void AcceptReportStoredFromCluster();
}
