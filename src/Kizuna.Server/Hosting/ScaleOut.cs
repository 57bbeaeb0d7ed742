using Kizuna.Cluster;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kizuna.Server.Hosting;

/// <summary>
/// The node's engines when it is scaled out (docs/scale-out.md): with <c>--postgres</c> the
/// history and the warnings live in PostgreSQL; with <c>--nats</c> too the instance is a member of
/// its node's cluster, named after the hosting organization, on NATS JetStream.
/// </summary>
internal static class ScaleOut
{
    /// <summary>Registers the PostgreSQL stores and the bus the settings ask for; false when the node keeps SQLite.</summary>
    public static bool AddEngines(IServiceCollection services, NodeSettings settings, LabelPolicy labels)
    {
        if (settings.Nats is not null && settings.Postgres is null)
            throw new SettingsException("nats: a member of a cluster keeps its history where every instance reads it: give --postgres too");
        if (settings.Nats is { } url)
        {
            services.AddSingleton<IClusterBus>(sp => new NatsClusterBus(
                new ClusterOptions { Url = url, Name = settings.NodeOrg, MeterFactory = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>() },
                labels, sp.GetRequiredService<NodeIdentity>().Principal, sp.GetRequiredService<ILogger<NatsClusterBus>>()));
        }

        if (settings.Postgres is not { } connectionString)
            return false;
        services.AddSingleton<IEventStore>(sp => new PostgresEventStore(
            new PostgresStoreOptions
            {
                ConnectionString = connectionString,
                Retention = settings.Retention,
                MeterFactory = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            },
            sp.GetRequiredService<ILogger<PostgresEventStore>>(), sp.GetRequiredService<TimeProvider>()));
        // Opened with the node (a blocking start step): revocations hold on every instance.
        services.AddSingleton(sp => PostgresCertificateRecords.OpenAsync(connectionString, sp.GetRequiredService<ILogger<PostgresCertificateRecords>>(), CancellationToken.None).GetAwaiter().GetResult());
        // Console sign-in links and sessions: signed in through one instance, signed in on all.
        services.AddSingleton(sp => PostgresConsoleRecords.OpenAsync(connectionString, sp.GetRequiredService<ILogger<PostgresConsoleRecords>>(), CancellationToken.None).GetAwaiter().GetResult());
        services.AddSingleton<Kizuna.Core.Identity.IConsoleTokenStore>(sp => sp.GetRequiredService<PostgresConsoleRecords>());
        services.AddSingleton<Kizuna.Core.Identity.IConsoleSessionStore>(sp => sp.GetRequiredService<PostgresConsoleRecords>());
        services.AddSingleton<IWarningStore>(sp => new PostgresWarningStore(connectionString, labels, sp.GetRequiredService<ILogger<PostgresWarningStore>>()));
        if (settings.Nats is not null)
        {
            // One issuer of warnings per node: the lease and the reports stored for its holder.
            services.AddSingleton<IWarningIssuerStore>(sp => new PostgresWarningIssuer(connectionString, labels, sp.GetRequiredService<ILogger<PostgresWarningIssuer>>()));
            services.AddSingleton(sp => new WarningIssuerLease(
                sp.GetRequiredService<IWarningIssuerStore>(), sp.GetRequiredService<IClusterBus>().InstanceId, settings.WarningLease,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WarningIssuerLease>>()));
        }

        return true;
    }

    /// <summary>
    /// With <c>--postgres</c>: the certificate registry records in and reads revocations from the
    /// node's database (docs/scale-out.md), and the console's records are opened (migrated) at
    /// start rather than at the first sign-in.
    /// </summary>
    public static void ShareCertificates(IServiceProvider services)
    {
        if (services.GetService<PostgresCertificateRecords>() is { } records)
            services.GetRequiredService<Kizuna.Core.Identity.NodeCertificateAuthority>().Registry.ShareWith(records);
        _ = services.GetService<PostgresConsoleRecords>();
    }

    /// <summary>After the picture is restored from the shared history: joins the cluster, so the router shares what it accepts and takes the others' events.</summary>
    public static async Task JoinClusterAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetService<IClusterBus>() is not { } bus)
            return;
        var router = services.GetRequiredService<EventRouter>();
        var desk = services.GetRequiredService<WarningDesk>();
        router.OnWarningFromCluster(desk.DeliverIssuedElsewhere);
        router.OnReportStoredFromCluster(desk.ForwardedReportsWaiting);
        await bus.StartAsync(router, cancellationToken).ConfigureAwait(false);
        router.JoinCluster(bus);

        // After the bus: an instance that takes the lease at once announces what a dead issuer left unannounced.
        await services.GetRequiredService<IWarningIssuerStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
        var lease = services.GetRequiredService<WarningIssuerLease>();
        desk.ShareIssuingWith(lease, services.GetRequiredService<IWarningIssuerStore>());
        await lease.TryHoldAsync(cancellationToken).ConfigureAwait(false);
        lease.Start();
    }

    /// <summary>/healthz: the counts, the storage engine, and the bus (degraded while it is disconnected).</summary>
    public static HealthJson Health(KizunaMetrics metrics, IEventStore store, IServiceProvider services)
    {
        var bus = services.GetService<IClusterBus>();
        var cluster = bus is null ? null : new ClusterHealthJson(bus.InstanceId, bus.IsConnected);
        var status = cluster is { Connected: false } ? "degraded" : "ok";
        var storage = store is PostgresEventStore ? "postgresql" : "sqlite";
        return new HealthJson(status, metrics.ConnectionsOpen, metrics.EventsIn, metrics.EventsOut, storage, cluster);
    }
}
