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
/// behind the same interface, and every backend passes the same contract tests
/// (<c>EventStoreContract</c> in tests/Kizuna.Storage.Tests). Appends are batched by the
/// implementation: <see cref="Append"/> never blocks on disk, and <see cref="FlushAsync"/> waits
/// until everything appended so far is durable.
/// </summary>
/// <remarks>
/// <para><b>Who blocks where.</b> Every member may be called from any thread, concurrently with the
/// others, between <see cref="InitializeAsync"/> and <see cref="IAsyncDisposable.DisposeAsync"/>.</para>
/// <list type="bullet">
/// <item><see cref="Append"/> and <see cref="RecordOwner"/> never wait for I/O or for the writer:
/// they are called on the routing path, on whatever thread delivered the event.</item>
/// <item><see cref="WaitForRoomAsync"/> completes before it returns while the backlog is small,
/// otherwise on the thread pool once the writer has caught up.</item>
/// <item><see cref="FlushAsync"/> and <see cref="PruneAsync"/> are done by the writer and complete
/// on the thread pool (the SQLite store never runs a caller's continuation on its writer).</item>
/// <item>The reads (<see cref="QueryAsync"/>, <see cref="StateAtAsync"/>, <see cref="LatestAsync"/>,
/// <see cref="OwnersAsync"/>) may do their I/O on the calling thread before they return a task
/// (the SQLite store does: Microsoft.Data.Sqlite runs its asynchronous methods synchronously),
/// or complete later on the thread pool (a backend with truly asynchronous I/O). Call them from
/// the thread pool (a request handler, a connection's task), never from a thread that must not
/// wait for a disk, and never block on them.</item>
/// </list>
/// </remarks>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>
    /// Creates or upgrades the schema and starts the writer. Called once, before any other member
    /// (a second call throws); reads the store, so it may block the calling thread on disk.
    /// </summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Queues an event for the history and the latest-per-uid table and returns. Never blocks:
    /// no I/O and no wait for the writer, only a short in-memory lock, so it is safe on the routing
    /// path from any thread. When the backlog is full the event is dropped from the history (and
    /// counted), never the caller held; an event that cannot be encoded is counted and dropped.
    /// Throws <see cref="ObjectDisposedException"/> after the store is disposed.
    /// </summary>
    void Append(StoredEvent stored);

    /// <summary>
    /// Completes at once while the write backlog is small, otherwise when the writer has caught
    /// up. Connections call it after each read, so a node takes input only as fast as it can keep
    /// it (TCP carries the backpressure to the senders) instead of growing memory without bound.
    /// Never blocks the calling thread; a wait completes on the thread pool, and at the latest when the store closes.
    /// </summary>
    ValueTask WaitForRoomAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes when every event (and owner) appended before the call is on disk and visible to
    /// the reads. Waits asynchronously for room in the queue and for the writer; completes on the thread pool.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The history <paramref name="query"/> selects, newest first (by event time, then by arrival),
    /// at most <see cref="EventQuery.Limit"/> events (a backend may cap it; zero or less returns
    /// nothing). <see cref="EventQuery.Since"/> and <see cref="EventQuery.Until"/> bound the event's
    /// own time, both inclusive. Only events both <see cref="EventQuery.Filter"/> and
    /// <see cref="EventQuery.Visible"/> admit are returned and counted toward the limit. Sees what
    /// was flushed; events still queued may be missing. May do its I/O on the calling thread.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The picture at <paramref name="at"/>: for every uid, the newest event whose own time is at
    /// or before then which <paramref name="filter"/> and <paramref name="visible"/> admit (an event the
    /// caller may not see is passed over for the one before it), unless that event had already
    /// been stale for longer than <paramref name="staleFor"/> then. May do its I/O on the calling thread.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken);

    /// <summary>
    /// Keeps the owner of a uid (<see cref="Routing.UidOwners"/>), written with the history's
    /// next batch; the first owner recorded for a uid stands. Never blocks, from any thread: a
    /// full queue delays it behind the backlog rather than dropping it.
    /// </summary>
    void RecordOwner(string uid, string owner);

    /// <summary>Every uid's owner (flushed ones), for the router at start. May do its I/O on the calling thread.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The latest event of every uid (newest by event time; a later arrival wins a tie) whose
    /// stale time is after <paramref name="utcNow"/>, ordered by uid. No access decision is made
    /// here: the caller filters. May do its I/O on the calling thread.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="position"/>, in ascending
    /// position, with <see cref="StoredEvent.Position"/>, origin and provenance set: the cursor a
    /// federation outbox reads. <paramref name="filter"/> (may be null) narrows the rows read. May do its I/O on the calling thread, like the other reads.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The events after <paramref name="position"/> whose type starts with one of
    /// <paramref name="typePrefixes"/>, in ascending position, at most <paramref name="limit"/>
    /// rows examined, and the position up to which every row was examined (the federation outbox's
    /// read-ahead: it looks for warning and coordination items past a picture backlog without
    /// reading the backlog). The default reads every row and filters; a store may filter in its query.
    /// </summary>
    async Task<(IReadOnlyList<StoredEvent> Rows, long Through)> ReadAfterOfTypesAsync(long position, IReadOnlyList<string> typePrefixes, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typePrefixes);
        var committed = LastPosition;
        var rows = await ReadAfterAsync(position, null, limit, cancellationToken).ConfigureAwait(false);
        var through = rows.Count >= limit ? rows[^1].Position : Math.Max(position, Math.Max(committed, rows.Count > 0 ? rows[^1].Position : 0));
        return ([.. rows.Where(r => typePrefixes.Any(p => r.Event.Type.StartsWith(p, StringComparison.Ordinal)))], through);
    }

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

    /// <summary>
    /// Deletes history received before <paramref name="cutoff"/>, after everything appended before
    /// the call is written; returns how many events went. Done by the writer; completes on the thread pool.
    /// </summary>
    Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken);
}
