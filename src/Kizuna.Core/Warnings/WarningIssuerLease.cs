using Kizuna.Core.Diagnostics;
using Kizuna.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Warnings;

/// <summary>
/// The lease that makes one instance of a scaled-out node the issuer of its missile warnings
/// (docs/dev/warning-lease.md): a row in the shared store with a holder and an expiry, taken or
/// renewed every third of <see cref="Duration"/> on the node's clock. The holder counts itself
/// the issuer only until three quarters of the lease from its last renewal began, so it stops
/// before another instance may take an expired lease, clocks differing by less than a quarter.
/// </summary>
public sealed class WarningIssuerLease : IAsyncDisposable
{
    /// <summary>How often the holder prunes the issuer's records (<see cref="IWarningIssuerStore.PruneAsync"/>).</summary>
    public static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    /// <summary>How long the issuer's records are kept: twice the window a new issuer looks back over (<see cref="WarningDesk.CurrentFor"/>), a margin for clocks.</summary>
    public static readonly TimeSpan Retained = WarningDesk.CurrentFor * 2;

    private readonly IWarningIssuerStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _attempt = new(1, 1);
    private ITimer? _timer;
    private DateTimeOffset _heldUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    private bool _held;
    private int _disposed;

    public WarningIssuerLease(IWarningIssuerStore store, string holder, TimeSpan duration, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        _store = store;
        Holder = holder;
        Duration = duration;
        _time = time;
        _logger = logger;
    }

    /// <summary>This instance's name as the lease's holder.</summary>
    public string Holder { get; }

    /// <summary>How long a taken or renewed lease lasts without another renewal.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Whether this instance is the issuer now (by its own clock).</summary>
    public bool IsHeld => Volatile.Read(ref _held) && _time.GetUtcNow() < _heldUntil;

    /// <summary>Raised (on the renewing thread; a handler must not block) when this instance takes the lease.</summary>
    public event Action? Acquired;

    /// <summary>Raised after every renewal while held (the issuer looks for reports stored for it then, in case a notice was missed).</summary>
    public event Action? Renewed;

    /// <summary>Renews (or tries to take) the lease now, and from then on every third of <see cref="Duration"/>.</summary>
    public void Start() => _timer = _time.CreateTimer(_ => _ = TryHoldAsync(CancellationToken.None), null, Duration / 3, Duration / 3);

    /// <summary>
    /// One attempt to take or renew the lease; raises <see cref="Acquired"/> when it was not held.
    /// A store that cannot be reached counts as a refusal: an issuer that cannot renew stops issuing.
    /// </summary>
    public async Task<bool> TryHoldAsync(CancellationToken cancellationToken)
    {
        if (!await _attempt.WaitAsync(0, cancellationToken).ConfigureAwait(false))
            return IsHeld;
        var held = await HoldAsync(cancellationToken).ConfigureAwait(false);
        if (held && _time.GetUtcNow() is var now && now - _prunedAt >= PruneEvery)
        {
            // After the attempt: a slow prune never holds up a renewal.
            _prunedAt = now;
            try
            {
                await _store.PruneAsync((now - Retained).UtcDateTime, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // The store logged it; the next hour's prune tries again.
            }
        }

        return held;
    }

    private async Task<bool> HoldAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
                return false;
            var now = _time.GetUtcNow();
            bool held;
            try
            {
                held = await _store.TryHoldAsync(Holder, now.UtcDateTime, (now + Duration).UtcDateTime, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                Log.WarningLeaseUnreachable(_logger, Holder, ex.Message);
                held = false;
            }

            var was = IsHeld;
            if (held)
            {
                _heldUntil = now + Duration * 3 / 4;
                Volatile.Write(ref _held, true);
                if (!was)
                {
                    Log.WarningLeaseTaken(_logger, Holder, Duration.TotalSeconds);
                    Acquired?.Invoke();
                }
                else
                {
                    Renewed?.Invoke();
                }
            }
            else
            {
                Volatile.Write(ref _held, false);
                if (was)
                    Log.WarningLeaseLost(_logger, Holder);
            }

            return held;
        }
        finally
        {
            _attempt.Release();
        }
    }

    /// <summary>Stops renewing; <paramref name="release"/> gives the lease up so another instance takes it at once (an orderly stop).</summary>
    public async Task StopAsync(bool release)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_timer is not null)
            await _timer.DisposeAsync().ConfigureAwait(false);
        await _attempt.WaitAsync().ConfigureAwait(false);
        var wasHeld = IsHeld;
        Volatile.Write(ref _held, false);
        _attempt.Release();
        if (release && wasHeld)
        {
            try
            {
                await _store.ReleaseAsync(Holder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.WarningLeaseUnreachable(_logger, Holder, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(release: true).ConfigureAwait(false);
}
