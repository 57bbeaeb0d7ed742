using Kizuna.Core.Coordination;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Storage.Sqlite;

namespace Kizuna.Server.Hosting;

/// <summary>
/// The coordination and readiness desks in the host: their stores (<c>DATA/coordination.db</c>,
/// <c>DATA/readiness.db</c>), the desks, the escalation sweep on the node's clock, and the JSON of
/// the desks' APIs.
/// </summary>
public static class CoordinationHosting
{
    /// <summary>How often the sweep looks for requests past their reply-by time.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddKizunaCoordination(this IServiceCollection services, NodeSettings settings)
    {
        services.AddSingleton<ICoordinationStore>(new SqliteCoordinationStore(Path.Combine(settings.DataDir, "coordination.db")));
        services.AddSingleton<CoordinationDesk>();
        services.AddSingleton<CoordinationAnswerDesk>();
        services.AddHostedService<CoordinationSweeper>();
        services.AddSingleton<Kizuna.Core.Readiness.IReadinessStore>(new SqliteReadinessStore(Path.Combine(settings.DataDir, "readiness.db")));
        services.AddSingleton<Kizuna.Core.Readiness.ReadinessDesk>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(DeskJsonContext.Default));
        return services;
    }

    /// <summary>Opens the store and builds the desk, before the listeners start.</summary>
    public static async Task InitializeCoordinationAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<ICoordinationStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
        _ = services.GetRequiredService<CoordinationDesk>();
        await services.GetRequiredService<Kizuna.Core.Readiness.IReadinessStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Runs the coordination desk's escalation sweep on the node's <see cref="TimeProvider"/>.</summary>
public sealed class CoordinationSweeper(CoordinationDesk desk, TimeProvider time, ILogger<CoordinationSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CoordinationHosting.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await desk.SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ServerLog.CoordinationSweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }
}
