using Kizuna.Cot;

namespace Kizuna.Core.Storage;

/// <summary>
/// One accepted event as history keeps it: the event, when the node received it, and who sent it.
/// </summary>
public sealed record StoredEvent(CotEvent Event, DateTime ReceivedAt, string Sender)
{
    /// <summary>The event's CoT XML when the caller already has it (the router does), so a store need not encode again.</summary>
    public ReadOnlyMemory<byte> EncodedXml { get; init; }

    /// <summary>The event's label as columns a store can query by (<see cref="StoredLabel.Unknown"/> when not given).</summary>
    public StoredLabel Label { get; init; }

    /// <summary>The event's place in this node's store (its id, ascending in the order written); 0 until stored and read back.</summary>
    public long Position { get; init; }

    /// <summary>
    /// The node a federated event entered the federation at; null for an event that entered at
    /// this node (its origin is this node and its sequence its <see cref="Position"/>).
    /// </summary>
    public string? OriginNode { get; init; }

    /// <summary>A federated event's place in its origin node's sequence (0 for a local event).</summary>
    public long OriginSequence { get; init; }

    /// <summary>
    /// The nodes a federated event passed through before this one, as the federation layer
    /// writes them (<c>nodeId/ORG</c> entries separated by spaces, the origin first); null for a local event.
    /// </summary>
    public string? Provenance { get; init; }
}

/// <summary>
/// A history query; null fields do not filter. Results are newest first. <see cref="Filter"/> and
/// <see cref="Visible"/> are the caller's access decision: the filter as a value the store puts in
/// its query, so rows the caller may not see are not read at all, and the decision itself, made
/// on every row that comes back (for what the columns cannot express). Only events both admit are
/// returned and count toward the limit, so a caller never learns how many events it was not shown.
/// </summary>
public sealed record EventQuery(
    string? Uid = null,
    string? Type = null,
    DateTime? Since = null,
    DateTime? Until = null,
    int Limit = 100,
    Func<StoredEvent, bool>? Visible = null,
    AccessFilter? Filter = null);

/// <summary>
/// The storage seam. The embedded default is SQLite (Kizuna.Storage); PostgreSQL comes later
/// behind the same interface. Appends are batched by the implementation: <see cref="Append"/>
/// never blocks on disk, and <see cref="FlushAsync"/> waits until everything appended so far is durable.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Creates the schema if needed. Called once at start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Queues an event for the history and the latest-per-uid table. Does not block on I/O.</summary>
    void Append(StoredEvent stored);

    /// <summary>
    /// Completes at once while the write backlog is small, otherwise when the writer has caught
    /// up. Connections call it after each read, so a node takes input only as fast as it can keep
    /// it (TCP carries the backpressure to the senders) instead of growing memory without bound.
    /// </summary>
    ValueTask WaitForRoomAsync(CancellationToken cancellationToken);

    /// <summary>Completes when every event appended before the call is on disk.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The picture at <paramref name="at"/>: for every uid, the newest event whose own time is at
    /// or before then which <paramref name="filter"/> and <paramref name="visible"/> admit (an event the
    /// caller may not see is passed over for the one before it), unless that event had already
    /// been stale for longer than <paramref name="staleFor"/> then.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken);

    /// <summary>
    /// Keeps the owner of a uid (<see cref="Routing.UidOwners"/>), written with the history's
    /// next batch; the first owner recorded for a uid stands. Does not block on I/O.
    /// </summary>
    void RecordOwner(string uid, string owner);

    /// <summary>Every uid's owner, for the router at start.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken);

    /// <summary>The latest event of every uid whose stale time is after <paramref name="utcNow"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="position"/>, in ascending
    /// position, with <see cref="StoredEvent.Position"/>, origin and provenance set: the cursor a
    /// federation outbox reads. <paramref name="filter"/> (may be null) narrows the rows read.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken);

    /// <summary>The position of the newest event committed (readable by <see cref="ReadAfterAsync"/>).</summary>
    long LastPosition { get; }

    /// <summary>Completes once an event after <paramref name="position"/> is committed (at once if one is).</summary>
    Task WaitForPositionAsync(long position, CancellationToken cancellationToken);

    /// <summary>Every federated event's (origin, sequence) in the history, by origin then sequence: what a node rebuilds its holdings from at start.</summary>
    Task<IReadOnlyList<KeyValuePair<string, long>>> OriginSequencesAsync(CancellationToken cancellationToken);

    /// <summary>The federation outboxes' cursors: per partner node, the last position it acknowledged.</summary>
    Task<IReadOnlyDictionary<string, long>> FederationCursorsAsync(CancellationToken cancellationToken);

    /// <summary>Keeps a partner's cursor durably (the last position it acknowledged).</summary>
    Task SaveFederationCursorAsync(string partnerNodeId, long position, CancellationToken cancellationToken);

    /// <summary>Deletes history received before <paramref name="cutoff"/>; returns how many rows went.</summary>
    Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken);
}
