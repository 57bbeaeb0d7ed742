namespace Kizuna.Core.Coordination;

/// <summary>
/// Where coordination requests are kept durably (SQLite on one node; PostgreSQL when the node
/// scales out). A request is saved whole, history included, before anyone is told of a change.
/// </summary>
public interface ICoordinationStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the request (by id); durable when the task completes.</summary>
    Task SaveAsync(CoordinationRequest request, CancellationToken cancellationToken);

    Task<CoordinationRequest?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every request that is not final (what the escalation sweep looks at).</summary>
    Task<IReadOnlyList<CoordinationRequest>> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Every request from or to one of <paramref name="organizations"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<CoordinationRequest>> InvolvingAsync(IReadOnlyCollection<string> organizations, int limit, CancellationToken cancellationToken);
}
