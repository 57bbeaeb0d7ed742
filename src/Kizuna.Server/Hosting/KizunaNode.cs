using System.Net;
using System.Security.Authentication;
using Kizuna.Core.Alliance;
using Kizuna.Core.Coordination;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Sessions;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Federation;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Server.Marti;
using Kizuna.Server.WebConsole;
using Kizuna.Storage.Sqlite;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kizuna.Server.Hosting;

/// <summary>The node's own principal, for the events it originates and the labels it reads from history.</summary>
public sealed record NodeIdentity(Principal Principal);

/// <summary>
/// One running Kizuna node: Kestrel carries the CoT listeners (as connection handlers) and the
/// HTTP API; the core does the routing; SQLite keeps history. Start it from the command line
/// (<c>kizuna serve</c>) or in-process from tests, where port 0 picks free ports.
/// </summary>
public sealed class KizunaNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IEventStore _store;
    private readonly Dictionary<string, ListenOptions> _listeners;
    private readonly ILogger _logger;
    private int _stopped;

    private KizunaNode(WebApplication app, IEventStore store, Dictionary<string, ListenOptions> listeners)
    {
        _app = app;
        _store = store;
        _listeners = listeners;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Server");
    }

    public IServiceProvider Services => _app.Services;
    public EventRouter Router => _app.Services.GetRequiredService<EventRouter>();
    public KizunaMetrics Metrics => _app.Services.GetRequiredService<KizunaMetrics>();
    public NodeCertificateAuthority CertificateAuthority => _app.Services.GetRequiredService<NodeCertificateAuthority>();
    public LabelPolicy Labels => _app.Services.GetRequiredService<LabelPolicy>();

    /// <summary>The node itself as a principal: the hosting organization, cleared to the top.</summary>
    public Principal NodePrincipal => _app.Services.GetRequiredService<NodeIdentity>().Principal;
    public IEventStore Store => _store;
    public LatestState Latest => _app.Services.GetRequiredService<LatestState>();
    public IWarningStore Warnings => _app.Services.GetRequiredService<IWarningStore>();

    /// <summary>This node as a federate (links, trust, diallers), or null when federation is off.</summary>
    public FederationNode? Federation => _app.Services.GetService<FederationNode>();

    /// <summary>The bound address of a listener ("cot-tcp", "cot-tls", "http", "https", "enroll", "warning-intake", "federation"), or null when it is off.</summary>
    public IPEndPoint? Endpoint(string listener) => listener == "warning-intake"
        ? _app.Services.GetService<WarningIntakeListener>()?.BoundEndpoint
        : _listeners.TryGetValue(listener, out var options) ? options.IPEndPoint : null;

    /// <summary>
    /// A prefecture is named in a warning when its prefectural office lies within the predicted
    /// impact ellipse grown by this much (no boundaries are shipped: docs/warnings-cap.md).
    /// </summary>
    public const double AffectedPrefectureMarginMeters = 50_000;

    /// <summary>
    /// Bytes a connection's transport may hold before a write waits (less than Kestrel's default,
    /// so little picture waits ahead of a warning). Why this size and what it measured:
    /// docs/dev/send-buffers.md.
    /// </summary>
    public const long TransportWriteBuffer = 128 * 1024;

    public static async Task<KizunaNode> StartAsync(
        NodeSettings settings,
        CancellationToken cancellationToken,
        Action<ILoggingBuilder>? configureLogging = null,
        ConnectionOptions? connectionOptions = null,
        TimeProvider? timeProvider = null)
    {
        // Settings made in code (tests, the trilateral demo) pass the same checks as the command line's.
        NodeSettingsValidation.Checked(settings);
        var labels = LoadLabelPolicy(settings.Profile, settings.NodeOrg);
        PrepareDataDirectories(settings);
        var authority = NodeCertificateAuthority.LoadOrCreate(settings.DataDir);
        var authenticator = new ClientAuthenticator(authority, labels);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, settings);
        configureLogging?.Invoke(builder.Logging);

        var storeOptions = new SqliteStoreOptions { DatabasePath = Path.Combine(settings.DataDir, "kizuna.db"), Retention = settings.Retention };
        var connection = connectionOptions ?? new ConnectionOptions
        {
            IdleTimeout = settings.IdleTimeout,
            PictureQueueCapacity = settings.PictureQueueCapacity,
            Limits = new CotLimits { MaxEventBytes = settings.MaxEventBytes },
        };

        // Every clock of the node (warning sweeps, revocation checks, tokens, retention): tests pass a manual one.
        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(authority);
        builder.Services.AddSingleton(labels);
        builder.Services.AddSingleton(authenticator);
        builder.Services.AddSingleton(new NodeIdentity(labels.Node(settings.NodeOrg)));
        if (!ScaleOut.AddEngines(builder.Services, settings, labels))
        {
            builder.Services.AddSingleton<IEventStore>(sp => new SqliteEventStore(WithMeters(storeOptions, sp), sp.GetRequiredService<ILogger<SqliteEventStore>>(), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton<IWarningStore>(new SqliteWarningStore(Path.Combine(settings.WarningStoreDir, "warnings.db"), labels));
        }

        builder.Services.AddSingleton(connection);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<KizunaMetrics>();
        builder.Services.AddSingleton<LatestState>();
        builder.Services.AddSingleton<UidOwners>();
        builder.Services.AddSingleton(WarningsApi.OptionsFor(settings));
        builder.Services.AddSingleton(SensorCatalog.LoadDefault());
        builder.Services.AddSingleton(sp => new WarningFusion(
            labels, ellipse => Prefectures.AffectedBy(ellipse, AffectedPrefectureMarginMeters), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new SensorReportIntake(sp.GetRequiredService<SensorCatalog>(), sp.GetRequiredService<WarningFusion>()));
        builder.Services.AddKizunaAudit(settings, authority);
        builder.Services.AddKizunaCoordination(settings);
        builder.Services.AddSingleton<WarningDesk>();
        builder.Services.AddSingleton<WarningInputDesk>();
        builder.Services.AddSingleton<ProtocolControlDesk>();
        builder.Services.AddHostedService<WarningSweeper>();
        builder.Services.AddSingleton<EventRouter>();
        builder.Services.AddSingleton<CotConnection>();
        builder.Services.AddHostedService<RevocationWatcher>();
        if (settings.WarningIntake is { } intake)
        {
            builder.Services.AddSingleton(sp => new WarningIntakeListener(
                intake, authority, authenticator, sp.GetRequiredService<CotConnection>(), sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<WarningIntakeListener>>(),
                new IntakeLimits(settings.HandshakeTimeout, settings.MaxConnectionsPerAddress, settings.IntakeHandshakeSlots), sp.GetRequiredService<KizunaMetrics>(), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<WarningIntakeListener>());
        }

        var federation = new FederationOptions(settings.Federation, settings.FederateWith) { MaxMessageBytes = Math.Max(2 * settings.MaxEventBytes, CotLimits.Default.MaxEventBytes) };
        if (federation.Enabled)
        {
            // The durable outbox per partner, the inbox and the links' status (docs/federation.md).
            builder.Services.AddSingleton(sp =>
            {
                var exchange = new FederationExchange(
                    authority.NodeId, settings.NodeOrg, labels, sp.GetRequiredService<NodeIdentity>().Principal, sp.GetRequiredService<IEventStore>(),
                    sp.GetRequiredService<EventRouter>(), sp.GetRequiredService<WarningDesk>(), sp.GetRequiredService<KizunaMetrics>(),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Federation.Exchange"), sp.GetRequiredService<TimeProvider>());
                exchange.CarryCoordination(sp.GetRequiredService<CoordinationDesk>());
                return exchange;
            });
            builder.Services.AddSingleton<IFederationStatus>(sp => sp.GetRequiredService<FederationExchange>());
            builder.Services.AddSingleton<FederationMetrics>();
            builder.Services.AddSingleton(sp => sp.GetRequiredService<FederationExchange>().PartnerReceipts);
            builder.Services.AddKizunaFederation(federation, sp => new FederationNode(
                authority, labels, settings.NodeOrg, federation, sp.GetRequiredService<FederationExchange>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        }

        // Console tokens and sessions: the data directory's and memory, unless ScaleOut shares them.
        builder.Services.TryAddSingleton<IConsoleTokenStore>(_ => new FileConsoleTokenStore(settings.DataDir));
        builder.Services.TryAddSingleton<IConsoleSessionStore, MemoryConsoleSessionStore>();
        builder.Services.AddSingleton(sp => new ConsoleTokens(settings.DataDir, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IConsoleTokenStore>()));
        builder.Services.AddSingleton<ConsoleSessions>();
        builder.Services.AddSingleton(sp => new EnrollmentTokens(settings.DataDir, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new EnrollmentAttempts(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ConsoleLive>();
        MartiSync.AddMartiSync(builder.Services, settings);
        builder.Services.AddKizunaAuthentication();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

        // CoT connections do little work per read and never block, so socket continuations run
        // inline on the I/O threads instead of hopping through the thread pool: on two cores the
        // hop per delivery costs more than the work itself. A connection's transport holds at most
        // TransportWriteBuffer bytes not yet handed to the socket (fewer than Kestrel's default):
        // a warning written to a client taking the picture queues behind all of them.
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.UnsafePreferInlineScheduling = true;
            sockets.MaxWriteBufferSize = TransportWriteBuffer;
        });

        var listeners = new Dictionary<string, ListenOptions>(StringComparer.Ordinal);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (settings.CotTcp is { } tcp)
            {
                kestrel.Listen(tcp, l =>
                {
                    l.Protocols = HttpProtocols.None;
                    LimitConnections(l, "cot-tcp", settings, tls: false, kestrel.ApplicationServices);
                    l.UseConnectionHandler<CotConnectionHandler>();
                    listeners["cot-tcp"] = l;
                });
            }

            if (settings.CotTls is { } tls)
            {
                kestrel.Listen(tls, l =>
                {
                    LimitConnections(l, "cot-tls", settings, tls: true, kestrel.ApplicationServices);
                    l.UseHttps(CotTlsOptions(authority, authenticator, settings.HandshakeTimeout, kestrel.ApplicationServices));
                    l.Use(HandshakeFinished);
                    l.UseConnectionHandler<CotConnectionHandler>();
                    listeners["cot-tls"] = l;
                });
            }

            if (settings.Http is { } http)
            {
                kestrel.Listen(http, l =>
                {
                    l.Protocols = HttpProtocols.Http1; // HTTP/2 needs TLS (ALPN); plain HTTP stays 1.1.
                    listeners["http"] = l;
                });
            }

            if (settings.Federation is { } federationListener)
            {
                kestrel.Listen(federationListener, l =>
                {
                    l.UseFederationTls(kestrel.ApplicationServices.GetRequiredService<FederationNode>());
                    listeners["federation"] = l;
                });
            }

            if (settings.Enroll is { } enroll)
            {
                // Certificate enrollment: the node's certificate, no client certificate (the client has none yet).
                kestrel.Listen(enroll, l =>
                {
                    l.Protocols = HttpProtocols.Http1AndHttp2;
                    LimitConnections(l, "enroll", settings, tls: true, kestrel.ApplicationServices);
                    l.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = authority.ServerCertificate,
                        ClientCertificateMode = ClientCertificateMode.NoCertificate,
                        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        HandshakeTimeout = settings.HandshakeTimeout,
                    });
                    l.Use(HandshakeFinished);
                    listeners["enroll"] = l;
                });
            }

            if (settings.Https is { } https)
            {
                kestrel.Listen(https, l =>
                {
                    l.Protocols = HttpProtocols.Http1AndHttp2;
                    LimitConnections(l, "https", settings, tls: true, kestrel.ApplicationServices);
                    l.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = authority.ServerCertificate,
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = ValidateClient(authenticator, kestrel.ApplicationServices),
                        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        HandshakeTimeout = settings.HandshakeTimeout,
                    });
                    l.Use(HandshakeFinished);
                    listeners["https"] = l;
                });
            }
        });

        var app = builder.Build();
        if (federation.Enabled)
        {
            app.UseFederationPortGate(() => listeners.TryGetValue("federation", out var l) ? l.IPEndPoint : null);
            // The federation service authenticates its peers in the TLS handshake of its own listener
            // (federation trust, not the API's identities), so its endpoints are anonymous here.
            app.MapGroup(string.Empty).AllowAnonymous().MapKizunaFederation();
        }

        app.UseEnrollmentGate(() => listeners.TryGetValue("enroll", out var l) ? l.IPEndPoint : null);
        app.UseConsoleSecurityHeaders();
        // The console's live feed: a browser that vanishes without closing is noticed within a minute.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20), KeepAliveTimeout = TimeSpan.FromSeconds(40) });
        app.MapConsoleFiles(ConsoleFiles.DirectoryFor(settings.ConsoleDir));
        // After the console's static files (public: they are the page that signs in), before every
        // endpoint: an endpoint without .AllowAnonymous() needs an identity (KizunaAuthentication).
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapConsoleSignIn();
        ConsoleLive.Map(app);
        app.MapKizunaApi();
        app.MapWarningsApi();
        app.MapFederationApi();
        app.MapAuditApi();
        app.MapCoordinationApi();
        app.MapReadinessApi();
        app.MapMartiApi();
        app.MapMartiEnrollment();
        MartiSync.MapMartiSync(app);
        app.MapMartiPolls();
        app.MapConnectionPackageApi();

        // The router's desks by event type, before any connection: protocol control, warning input, coordination answers; the picture takes the rest.
        var desks = app.Services.GetRequiredService<EventRouter>().Desks;
        desks.Register(app.Services.GetRequiredService<ProtocolControlDesk>());
        desks.Register(app.Services.GetRequiredService<WarningInputDesk>());
        desks.Register(app.Services.GetRequiredService<CoordinationAnswerDesk>());

        var store = app.Services.GetRequiredService<IEventStore>();
        var node = new KizunaNode(app, store, listeners);
        if (authority.Created)
        {
            ServerLog.CertificatesCreated(node._logger, Path.GetFullPath(Path.Combine(settings.DataDir, "certs")));
        }

        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<IWarningStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
        ScaleOut.ShareCertificates(app.Services);
        await app.Services.GetRequiredService<WarningDesk>().RestoreAsync(cancellationToken).ConfigureAwait(false);
        await CoordinationHosting.InitializeCoordinationAsync(app.Services, cancellationToken).ConfigureAwait(false);
        var latest = app.Services.GetRequiredService<LatestState>();
        var nodePrincipal = app.Services.GetRequiredService<NodeIdentity>().Principal;
        var restored = await store.LatestAsync(DateTime.UtcNow, cancellationToken).ConfigureAwait(false);
        foreach (var stored in restored)
        {
            latest.Update(new SharedEvent(stored.Event, labels.ReadStored(stored.Event, nodePrincipal), stored.Sender, stored.ReceivedAt));
        }

        ServerLog.LatestRestored(node._logger, restored.Count);
        app.Services.GetRequiredService<UidOwners>().Restore(await store.OwnersAsync(cancellationToken).ConfigureAwait(false));
        await ScaleOut.JoinClusterAsync(app.Services, cancellationToken).ConfigureAwait(false);
        if (app.Services.GetService<FederationExchange>() is { } exchange)
        {
            await exchange.InitializeAsync(cancellationToken).ConfigureAwait(false);
            exchange.KnowPartners(node.Federation!.Trust.Partners.Select(p => (p.NodeId, p.Organization)));
        }

        // Built before the diallers start, so it sees every link change from the first.
        _ = app.Services.GetService<IFederationStatus>();
        _ = app.Services.GetService<FederationMetrics>();
        AuditHosting.WireAudit(app.Services);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await node.DisposeAsync().ConfigureAwait(false);
            var configured = string.Join(", ", listeners.Select(l => $"{l.Key} {l.Value.IPEndPoint}"));
            throw new IOException($"{ex.Message} Listeners: {configured}. Pick free ports, or turn a listener off with an empty value.", ex);
        }

        foreach (var (name, options) in listeners.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var scheme = name switch { "http" => "http://", "https" or "enroll" => "https://", _ => string.Empty };
            ServerLog.Listening(node._logger, name, scheme + options.IPEndPoint);
        }

        if (node.Federation is { } federate)
        {
            FederationLog.Ready(node._logger, federate.NodeId, federate.Organization, federate.Trust.Partners.Count, settings.FederateWith.Count == 0 ? "none" : string.Join(", ", settings.FederateWith.Select(t => $"{t.Host}:{t.Port}")));
        }

        ServerLog.NodeHosted(node._logger, settings.NodeOrg, nodePrincipal.Nation, labels.Profile.Id, labels.Profile.Version, labels.Profile.Source);
        ServerLog.NodeReady(node._logger, Path.GetFullPath(settings.DataDir), Path.GetFullPath(settings.WarningStoreDir));
        return node;
    }

    /// <summary>Completes when the host is asked to stop (Ctrl-C, SIGTERM), after a graceful stop.</summary>
    public async Task WaitForShutdownAsync()
    {
        await _app.WaitForShutdownAsync().ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Stops listening, lets every connection flush its queue (bounded), then flushes storage.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        ServerLog.NodeStopping(_logger);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _store.FlushAsync(timeout.Token).ConfigureAwait(false);
        await AuditHosting.StopAuditAsync(_app.Services).ConfigureAwait(false);
        ServerLog.NodeStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        var warnings = Warnings;
        await _app.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        await warnings.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the alliance profile (the embedded default when <paramref name="profilePath"/> is
    /// null) and checks that <paramref name="nodeOrg"/> is one of its organizations.
    /// </summary>
    /// <exception cref="ProfileException">The profile has problems; the message lists each with its line.</exception>
    /// <exception cref="SettingsException">The hosting organization is not in the profile.</exception>
    public static LabelPolicy LoadLabelPolicy(string? profilePath, string nodeOrg)
    {
        var profile = profilePath is null ? ProfileLoader.LoadDefault() : ProfileLoader.LoadFile(profilePath);
        if (profile.FindOrganization(nodeOrg) is null)
        {
            throw new SettingsException($"node-org: '{nodeOrg}' is not an organization of the alliance profile {profile.Id} (it has {string.Join(", ", profile.Organizations.Select(o => o.Id))})");
        }

        return new LabelPolicy(profile);
    }

    /// <summary>
    /// The data directory (and the warning directory) 0700, created so or refused when another
    /// local user can read it (the message says the chmod that fixes it); the databases are created
    /// 0600 before SQLite opens them, so their WAL and shared-memory files are 0600 too.
    /// </summary>
    private static void PrepareDataDirectories(NodeSettings settings)
    {
        try
        {
            PrivateDirectory.Prepare(settings.DataDir, "data-dir");
            if (settings.WarningDir is { } warningDir)
            {
                PrivateDirectory.Prepare(warningDir, "warning-dir");
            }
        }
        catch (InsecureDirectoryException ex)
        {
            throw new SettingsException(ex.Message);
        }

        PrivateDirectory.CreateFile(Path.Combine(settings.DataDir, "kizuna.db"));
        PrivateDirectory.CreateFile(Path.Combine(settings.WarningStoreDir, "warnings.db"));
    }

    /// <summary>The store's meter is made by the node's meter factory, so /metrics shows it (KizunaMetrics).</summary>
    private static SqliteStoreOptions WithMeters(SqliteStoreOptions options, IServiceProvider services)
    {
        options.MeterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return options;
    }

    /// <summary>Set on a connection once its TLS handshake is done (the middleware after UseHttps), so the limit before it can tell a handshake that ran out of time.</summary>
    private static readonly object HandshakeDone = new();

    private static ConnectionDelegate HandshakeFinished(ConnectionDelegate next) => context =>
    {
        context.Items[HandshakeDone] = true;
        return next(context);
    };

    /// <summary>
    /// Runs before TLS, so it counts connections still handshaking: at most
    /// <see cref="NodeSettings.MaxConnectionsPerAddress"/> open at once from one address on this
    /// listener (more are refused, logged 4030 and counted); a TLS handshake that ran past
    /// <see cref="NodeSettings.HandshakeTimeout"/> (Kestrel ends it) is logged 4031 and counted.
    /// </summary>
    private static readonly TimeSpan KestrelHeartbeat = TimeSpan.FromSeconds(1);

    private static void LimitConnections(ListenOptions listen, string listener, NodeSettings settings, bool tls, IServiceProvider services)
    {
        var limit = new AddressLimit(settings.MaxConnectionsPerAddress);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Server.Connections");
        listen.Use(next => async context =>
        {
            var metrics = services.GetRequiredService<KizunaMetrics>();
            var remote = context.RemoteEndPoint as IPEndPoint;
            if (!limit.TryEnter(remote?.Address))
            {
                metrics.ConnectionRefused(ConnectionRefusal.PerAddressLimit);
                ServerLog.AddressLimitReached(logger, listener, remote?.ToString() ?? "unknown", limit.Max);
                context.Abort();
                return;
            }

            var started = TimeProvider.System.GetTimestamp();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                limit.Leave(remote?.Address);
                // Kestrel times a handshake on its heartbeat (a tick a second), so it may end one up to
                // a tick before the deadline: an unfinished handshake that ran that close counts.
                if (tls && !context.Items.ContainsKey(HandshakeDone) && TimeProvider.System.GetElapsedTime(started) >= settings.HandshakeTimeout - KestrelHeartbeat)
                {
                    metrics.ConnectionRefused(ConnectionRefusal.HandshakeTimeout);
                    ServerLog.HandshakeTimedOut(logger, listener, remote?.ToString() ?? "unknown", settings.HandshakeTimeout.TotalSeconds);
                }
            }
        });
    }

    private static HttpsConnectionAdapterOptions CotTlsOptions(NodeCertificateAuthority authority, ClientAuthenticator authenticator, TimeSpan handshakeTimeout, IServiceProvider services)
        => new()
        {
            ServerCertificate = authority.ServerCertificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            HandshakeTimeout = handshakeTimeout,
            ClientCertificateValidation = ValidateClient(authenticator, services),
        };

    /// <summary>
    /// The handshake refuses a certificate that is not this CA's, is revoked, carries no Kizuna
    /// identity, or claims what the profile does not allow; the reason is logged (never told to
    /// the client beyond the TLS alert).
    /// </summary>
    private static Func<System.Security.Cryptography.X509Certificates.X509Certificate2, System.Security.Cryptography.X509Certificates.X509Chain?, System.Net.Security.SslPolicyErrors, bool> ValidateClient(
        ClientAuthenticator authenticator, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Server.Tls");
        return (certificate, _, _) =>
        {
            if (authenticator.TryAuthenticate(certificate, out _, out var reason))
            {
                return true;
            }

            ServerLog.ClientCertificateRefused(logger, NodeCertificateAuthority.IdentityOf(certificate), reason);
            return false;
        };
    }

    private static void ConfigureLogging(ILoggingBuilder logging, NodeSettings settings)
    {
        logging.ClearProviders();
        if (settings.LogFormat == "json")
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }

        // Kestrel's own "Now listening on" lines would repeat ours; the host says when it is ready.
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A failed start is reported once, by the command, in words an operator can act on.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
    }
}
