namespace Kizuna.Storage;

/// <summary>
/// A store's one connection behind its gate: one operation at a time, awaited by the asynchronous
/// members and waited for on the calling thread by the blocking ones (so the warning desk's issuing
/// thread commits with no pool hop). Both warning stores use it; each closes its connection itself.
/// </summary>
internal sealed class GatedConnection<TConnection>(string store)
    where TConnection : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The open connection, or null before the store is initialized and after it is closed.</summary>
    public TConnection? Connection { get; set; }

    public async Task<T> RunAsync<T>(Func<TConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(Open()).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>As <see cref="RunAsync{T}"/>, blocking the calling thread: it waits for the gate and does the work on itself.</summary>
    public void Run(Action<TConnection> work, CancellationToken cancellationToken)
    {
        _gate.Wait(cancellationToken);
        try
        {
            work(Open());
        }
        finally
        {
            _gate.Release();
        }
    }

    private TConnection Open() => Connection ?? throw new InvalidOperationException($"The {store} is not initialized.");

}
