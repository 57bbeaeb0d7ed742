using System.CommandLine;
using Kizuna.Core.Alliance;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary><c>kizuna serve</c>: runs a node until Ctrl-C or SIGTERM, then flushes and stops.</summary>
public static class ServeCommand
{
    private static NodeSettings Defaults => NodeSettings.Defaults;

    public static readonly SettingDefinition DataDir = new("data-dir", "Directory for the database and the node's certificates", Defaults.DataDir);
    public static readonly SettingDefinition WarningDir = new("warning-dir", "Directory for the warning store (warnings.db). On a volume of its own, a warning's durable commit does not wait behind the event history's writes", "", "the data directory");
    public static readonly SettingDefinition CotTcp = new("cot-tcp", "CoT over plain TCP, HOST:PORT; off unless set (no client identity: picture updates only, labelled UNCLASSIFIED and national only, and its clients read nothing above UNCLASSIFIED; 8087 is customary)", "");
    public static readonly SettingDefinition CotTls = new("cot-tls", "CoT over TLS with client certificates, HOST:PORT", "127.0.0.1:8089");
    public static readonly SettingDefinition Http = new("http", "HTTP API, HOST:PORT", "127.0.0.1:8080");
    public static readonly SettingDefinition Https = new("https", "HTTPS API with the node's certificate, HOST:PORT", "127.0.0.1:8443");
    public static readonly SettingDefinition WarningIntake = new("warning-intake", "Priority intake for sensor reports and warning acknowledgements only, TLS with client certificates, HOST:PORT; off unless set (each connection is read on a thread of its own, at real-time priority where permitted)", "");
    public static readonly SettingDefinition Retention = new("retention", "Delete history older than this (90m, 12h, 30d)", "", "keep everything");
    public static readonly SettingDefinition IdleTimeout = new("idle-timeout", "Close a CoT connection silent for this long", SettingDefinition.Text(ConnectionOptions.Default.IdleTimeout));
    public static readonly SettingDefinition HandshakeTimeout = new("handshake-timeout", "A TLS handshake (CoT TLS, HTTPS, warning intake) must finish within this, whole, or the connection is closed", SettingDefinition.Text(ListenerLimits.Default.HandshakeTimeout));
    public static readonly SettingDefinition MaxConnectionsPerAddress = new("max-connections-per-address", "Connections one remote IP address may have open at once on each CoT listener, the HTTPS listener and the warning intake; more are refused, logged and counted", SettingDefinition.Text(ListenerLimits.Default.MaxConnectionsPerAddress));
    public static readonly SettingDefinition IntakeHandshakeSlots = new("intake-handshake-slots", $"Of the warning intake's {WarningIntakeListener.MaxConnections} connection slots, at most this many may be still handshaking (the oldest unfinished handshake gives way to a new connection), so the rest stay for authenticated sensors", SettingDefinition.Text(ListenerLimits.Default.IntakeHandshakeSlots));
    public static readonly SettingDefinition MaxEventBytes = new("max-event-bytes", "Largest accepted event in bytes", SettingDefinition.Text(CotLimits.Default.MaxEventBytes));
    public static readonly SettingDefinition PictureQueue = new("picture-queue", "Picture updates queued per client before the oldest is dropped", SettingDefinition.Text(ConnectionOptions.Default.PictureQueueCapacity));
    public static readonly SettingDefinition LogFormat = new("log-format", "Console log format: text or json", Defaults.LogFormat);
    public static readonly SettingDefinition Profile = new("profile", "Alliance profile file", "", "the embedded US-Japan-ROK profile, profiles/us-jpn-kor.json");
    public static readonly SettingDefinition WarningResend = new("warning-resend", "Send an unacknowledged warning to a connected client again after this long", SettingDefinition.Text(Defaults.WarningResend));
    public static readonly SettingDefinition WarningEscalate = new("warning-escalate", "Escalate a warning an organization has not acknowledged up its national chain after this long", SettingDefinition.Text(Defaults.WarningEscalate));
    public static readonly SettingDefinition NodeOrg = new("node-org", "Organization of the profile that hosts this node (gives it its nation)", Defaults.NodeOrg);
    public static readonly SettingDefinition MetricsLoopback = new("metrics-loopback", "Serve /metrics to callers on the node's own machine (loopback) without an identity: true or false; over HTTPS an identity of the hosting organization with the role node-operator may read it either way", SettingDefinition.Text(Defaults.MetricsLoopback));
    public static readonly SettingDefinition Federation = new("federation", "Federation listener for partner nodes and TAK Servers (TAK federation v2, gRPC over TLS; a partner's node certificate is required), HOST:PORT; off unless set (9001 is customary)", "");
    public static readonly SettingDefinition FederateWith = new("federate-with", "Partner node to dial and keep linked, HOST:PORT; repeat the flag for several (in the file a JSON array, in the environment separated by commas)", "", "none");
    public static readonly SettingDefinition Enroll = new("enroll", "TAK certificate enrollment (HTTPS with the node's certificate, no client certificate; one-time passwords from `kizuna certs enroll-token`), HOST:PORT; off unless set (8446 is customary)", "");
    public static readonly SettingDefinition Postgres = new("postgres", "PostgreSQL connection string (Host=...;Username=...;Password=...;Database=...): the event history and the warnings are kept there instead of in SQLite files; every instance of a scaled-out node gives the same (docs/scale-out.md)", "", "embedded SQLite in the data directory");
    public static readonly SettingDefinition WarningLease = new("warning-lease", "In a cluster: how long the warning issuer's lease lasts unrenewed (another instance takes over after it)", SettingDefinition.Text(Defaults.WarningLease));
    public static readonly SettingDefinition Nats = new("nats", "NATS server URL with JetStream (nats://HOST:4222): this instance joins its node's cluster, sharing every accepted event with the other instances; give --postgres too (docs/scale-out.md)", "", "a node of one instance");
    public static readonly SettingDefinition Audit = new("audit", "Keep the audit trail (DATA/audit/, checked by `kizuna audit verify`): true or false; off only to measure its cost", "true");
    public static readonly SettingDefinition AuditRotate = new("audit-rotate", "The audit trail's current file rotates at this size (bytes or with K, M or G) and at each new UTC day; the chain goes on across files, and `kizuna audit verify` walks them all", "64M");
    public static readonly SettingDefinition MaxPackageBytes = new("max-package-bytes", "Largest file (data package) a TAK client may upload through the Marti sync endpoints, in bytes or with K, M or G (binary)", "64M");
    public static readonly SettingDefinition MaxPackageUnpackedBytes = new("max-package-unpacked-bytes", "A zip upload may unpack to at most this in all (counted by unpacking it), in bytes or with K, M or G; more is refused as a zip bomb", "512M");
    public static readonly SettingDefinition ConsoleDir = new("console-dir", "Directory of the browser console's files", "", "the copy of web/dist built with the node");

    private static readonly SettingDefinition[] All =
        [DataDir, WarningDir, CotTcp, CotTls, Http, Https, WarningIntake, Retention, IdleTimeout, HandshakeTimeout, MaxConnectionsPerAddress, IntakeHandshakeSlots, MaxEventBytes, PictureQueue, LogFormat, Profile, NodeOrg, WarningResend, WarningEscalate, ConsoleDir, MetricsLoopback, Federation, Enroll, Postgres, Nats, WarningLease, Audit, AuditRotate, MaxPackageBytes, MaxPackageUnpackedBytes];

    public static Command Create(Option<string?> configOption)
    {
        var command = new Command("serve", "Run a Kizuna node: CoT over TCP and TLS, the HTTP API, embedded SQLite storage.");
        var options = All.Select(s => (Setting: s, Option: s.CreateOption())).ToArray();
        foreach (var (_, option) in options)
        {
            command.Options.Add(option);
        }

        // Repeatable, so not a single-value option like the others.
        var federateWith = new Option<string[]>("--" + FederateWith.Name)
        {
            Description = FederateWith.CreateOption().Description,
            AllowMultipleArgumentsPerToken = false,
        };
        command.Options.Add(federateWith);

        command.SetAction(async (parse, cancellationToken) =>
        {
            NodeSettings settings;
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                string Value(SettingDefinition s) => s == FederateWith
                    ? sources.Resolve(s, parse.GetValue(federateWith) is { Length: > 0 } targets ? string.Join(',', targets) : null)
                    : sources.Resolve(s, parse.GetValue(options.First(o => o.Setting == s).Option));
                settings = Resolve(Value);
            }
            catch (SettingsException ex)
            {
                await Console.Error.WriteLineAsync("kizuna serve: " + ex.Message).ConfigureAwait(false);
                return 2;
            }

            KizunaNode node;
            try
            {
                node = await KizunaNode.StartAsync(settings, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Most often a port in use; Kestrel's message names the address.
                await Console.Error.WriteLineAsync("kizuna serve: cannot start: " + ex.Message).ConfigureAwait(false);
                return 1;
            }
            catch (Exception ex) when (ex is ProfileException or SettingsException)
            {
                // Every problem of a bad profile, each with its line.
                await Console.Error.WriteLineAsync("kizuna serve: cannot start: " + ex.Message).ConfigureAwait(false);
                return 2;
            }

            await using (node.ConfigureAwait(false))
            {
                await node.WaitForShutdownAsync().ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The settings from the file and the environment (<see cref="SettingSources"/>) with no flags.</summary>
    public static NodeSettings Resolve(SettingSources sources) => Resolve(s => sources.Resolve(s, null));

    /// <summary>
    /// Turns resolved strings into typed settings and validates them (<see cref="NodeSettingsValidation"/>);
    /// every problem names its setting.
    /// </summary>
    public static NodeSettings Resolve(Func<SettingDefinition, string> value)
    {
        var logFormat = value(LogFormat).Trim().ToLowerInvariant();
        if (logFormat is not ("text" or "json"))
        {
            throw new SettingsException($"log-format: '{logFormat}' is neither text nor json");
        }

        return NodeSettingsValidation.Checked(new NodeSettings
        {
            DataDir = value(DataDir) is { Length: > 0 } dir ? dir : throw new SettingsException("data-dir: must not be empty"),
            WarningDir = value(WarningDir) is { Length: > 0 } warningDir ? warningDir : null,
            CotTcp = NodeSettings.ParseEndpoint(CotTcp.Name, value(CotTcp)),
            CotTls = NodeSettings.ParseEndpoint(CotTls.Name, value(CotTls)),
            Http = NodeSettings.ParseEndpoint(Http.Name, value(Http)),
            Https = NodeSettings.ParseEndpoint(Https.Name, value(Https)),
            WarningIntake = NodeSettings.ParseEndpoint(WarningIntake.Name, value(WarningIntake)),
            Retention = NodeSettings.ParseDuration(Retention.Name, value(Retention)),
            IdleTimeout = NodeSettings.ParseDuration(IdleTimeout.Name, value(IdleTimeout)) ?? Defaults.IdleTimeout,
            HandshakeTimeout = NodeSettings.ParseDuration(HandshakeTimeout.Name, value(HandshakeTimeout)) ?? Defaults.HandshakeTimeout,
            MaxConnectionsPerAddress = NodeSettings.ParsePositiveInt(MaxConnectionsPerAddress.Name, value(MaxConnectionsPerAddress), Defaults.MaxConnectionsPerAddress),
            IntakeHandshakeSlots = NodeSettings.ParsePositiveInt(IntakeHandshakeSlots.Name, value(IntakeHandshakeSlots), Defaults.IntakeHandshakeSlots),
            MaxEventBytes = NodeSettings.ParsePositiveInt(MaxEventBytes.Name, value(MaxEventBytes), Defaults.MaxEventBytes),
            PictureQueueCapacity = NodeSettings.ParsePositiveInt(PictureQueue.Name, value(PictureQueue), Defaults.PictureQueueCapacity),
            LogFormat = logFormat,
            Profile = value(Profile) is { Length: > 0 } profile ? profile : null,
            WarningResend = NodeSettings.ParseDuration(WarningResend.Name, value(WarningResend)) ?? Defaults.WarningResend,
            WarningEscalate = NodeSettings.ParseDuration(WarningEscalate.Name, value(WarningEscalate)) ?? Defaults.WarningEscalate,
            WarningLease = NodeSettings.ParseDuration(WarningLease.Name, value(WarningLease)) ?? Defaults.WarningLease,
            NodeOrg = value(NodeOrg) is { Length: > 0 } org ? org.Trim() : throw new SettingsException("node-org: must name an organization of the alliance profile"),
            ConsoleDir = value(ConsoleDir) is { Length: > 0 } console ? console : null,
            MetricsLoopback = value(MetricsLoopback).Trim().ToLowerInvariant() switch
            {
                "" or "true" or "yes" or "1" => true,
                "false" or "no" or "0" => false,
                var other => throw new SettingsException($"metrics-loopback: '{other}' is neither true nor false"),
            },
            Federation = NodeSettings.ParseEndpoint(Federation.Name, value(Federation)),
            FederateWith = NodeSettings.ParseTargets(FederateWith.Name, value(FederateWith)),
            Enroll = NodeSettings.ParseEndpoint(Enroll.Name, value(Enroll)),
            Postgres = value(Postgres) is { Length: > 0 } postgres ? postgres.Trim() : null,
            Nats = value(Nats) is { Length: > 0 } nats ? nats.Trim() : null,
            Audit = value(Audit).Trim().ToLowerInvariant() switch
            {
                "" or "true" or "yes" or "1" => true,
                "false" or "no" or "0" => false,
                var other => throw new SettingsException($"audit: '{other}' is neither true nor false"),
            },
            AuditRotateBytes = NodeSettings.ParseSize(AuditRotate.Name, value(AuditRotate), Core.Audit.AuditFile.DefaultRotateBytes),
            MaxPackageBytes = NodeSettings.ParseSize(MaxPackageBytes.Name, value(MaxPackageBytes), Core.DataPackages.DataPackageLimits.DefaultMaxBytes),
            MaxPackageUnpackedBytes = NodeSettings.ParseSize(MaxPackageUnpackedBytes.Name, value(MaxPackageUnpackedBytes), Core.DataPackages.DataPackageLimits.DefaultMaxUnpackedBytes),
        });
    }
}
