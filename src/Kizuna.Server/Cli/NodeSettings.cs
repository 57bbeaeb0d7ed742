using System.Globalization;
using System.Net;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Cli;

/// <summary>
/// The node's settings after layering: built-in default, then the config file, then the
/// environment (KIZUNA_*), then command-line flags. Every setting has one name used in all
/// three places: flag <c>--cot-tcp</c>, file key <c>"cot-tcp"</c>, variable <c>KIZUNA_COT_TCP</c>.
/// An empty value turns a listener off. A limit's default is read from its home
/// (<see cref="ConnectionOptions"/>, <see cref="CotLimits"/>, <see cref="ListenerLimits"/>), never
/// written here again; the rest have theirs here (<see cref="Defaults"/>).
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Every setting at its default: what an unset setting means, and what the help says.</summary>
    public static NodeSettings Defaults { get; } = new();

    public string DataDir { get; init; } = "./data";

    /// <summary>
    /// Where the warning store lives; null: <see cref="DataDir"/>. Every warning version waits for
    /// a disk flush before anyone is told of it, and on a disk shared with the event history that
    /// flush waits behind the history's writes (docs/dev/warning-issuing-thread.md), so a deployment with a volume to
    /// spare puts the warnings on it.
    /// </summary>
    public string? WarningDir { get; init; }

    /// <summary>The directory the warning store is in: <see cref="WarningDir"/>, else <see cref="DataDir"/>.</summary>
    public string WarningStoreDir => WarningDir ?? DataDir;
    public IPEndPoint? CotTcp { get; init; }
    public IPEndPoint? CotTls { get; init; }
    public IPEndPoint? Http { get; init; }
    public IPEndPoint? Https { get; init; }

    /// <summary>The warning intake (sensor reports and acknowledgements only, TLS); null: off.</summary>
    public IPEndPoint? WarningIntake { get; init; }

    /// <summary>History older than this is deleted; null keeps everything.</summary>
    public TimeSpan? Retention { get; init; }

    public TimeSpan IdleTimeout { get; init; } = ConnectionOptions.Default.IdleTimeout;

    /// <summary>A TLS handshake (CoT TLS, HTTPS, the warning intake) must finish within this, whole, however its bytes trickle.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = ListenerLimits.Default.HandshakeTimeout;

    /// <summary>Connections one remote address may have open at once on each CoT listener, the HTTPS listener and the warning intake.</summary>
    public int MaxConnectionsPerAddress { get; init; } = ListenerLimits.Default.MaxConnectionsPerAddress;

    /// <summary>
    /// Of the warning intake's connection slots, at most this many may be still handshaking; when
    /// they are all taken, the oldest unfinished handshake gives way to a new connection, so
    /// trickling handshakes never lock an authenticated sensor out.
    /// </summary>
    public int IntakeHandshakeSlots { get; init; } = ListenerLimits.Default.IntakeHandshakeSlots;
    public int MaxEventBytes { get; init; } = CotLimits.Default.MaxEventBytes;
    public int PictureQueueCapacity { get; init; } = ConnectionOptions.Default.PictureQueueCapacity;
    public string LogFormat { get; init; } = "text";

    /// <summary>The alliance profile file; null uses the embedded US–Japan–ROK profile.</summary>
    public string? Profile { get; init; }

    /// <summary>A warning a connected client has not acknowledged is sent to it again after this long.</summary>
    public TimeSpan WarningResend { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An organization that has not acknowledged a warning after this long is escalated up its national chain.</summary>
    public TimeSpan WarningEscalate { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether <c>/metrics</c> is served to loopback callers without an identity. Either way an
    /// identity of the hosting organization with the role <c>node-operator</c> may read it over HTTPS;
    /// nobody else may.
    /// </summary>
    public bool MetricsLoopback { get; init; } = true;

    /// <summary>
    /// Whether the node keeps its audit trail under <c>DATA/audit/</c>. Off only to measure what it
    /// costs (bench/warning.sh); an operational node keeps it on.
    /// </summary>
    public bool Audit { get; init; } = true;

    /// <summary>The size at which the audit trail's current file rotates (it also rotates at each new UTC day); the chain goes on across files.</summary>
    public long AuditRotateBytes { get; init; } = Core.Audit.AuditFile.DefaultRotateBytes;

    /// <summary>The organization of the profile that hosts this node; it gives the node its nation.</summary>
    public string NodeOrg { get; init; } = "JJOC";

    /// <summary>
    /// The console's files (the build output of web/); null serves the copy built into the
    /// node's output directory (<c>console/</c>), or a placeholder page when there is none.
    /// </summary>
    public string? ConsoleDir { get; init; }

    /// <summary>The federation listener (TAK federation v2, gRPC over TLS with partner node certificates); null: off.</summary>
    public IPEndPoint? Federation { get; init; }

    /// <summary>TAK certificate enrollment (HTTPS, no client certificate; 8446 is customary); null: off.</summary>
    public IPEndPoint? Enroll { get; init; }

    /// <summary>The largest file a TAK client may upload (Marti sync), in bytes.</summary>
    public long MaxPackageBytes { get; init; } = Core.DataPackages.DataPackageLimits.DefaultMaxBytes;

    /// <summary>What a zip upload may unpack to in all, in bytes; more is refused as a zip bomb.</summary>
    public long MaxPackageUnpackedBytes { get; init; } = Core.DataPackages.DataPackageLimits.DefaultMaxUnpackedBytes;

    /// <summary>Partner nodes this node dials and keeps linked (redialled with backoff for ever).</summary>
    public IReadOnlyList<DnsEndPoint> FederateWith { get; init; } = [];

    /// <summary>PostgreSQL connection string: the history and the warnings there instead of SQLite files (scale-out).</summary>
    public string? Postgres { get; init; }

    /// <summary>NATS server URL: with it this instance is a member of its node's cluster (scale-out, docs/scale-out.md).</summary>
    public string? Nats { get; init; }

    /// <summary>How long the warning lease (one issuer of warnings per clustered node) lasts without renewal: the longest a dead issuer's reports wait for the next.</summary>
    public TimeSpan WarningLease { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Parses a list of HOST:PORT (host names allowed), separated by commas or spaces, or a JSON array of them; empty means none.</summary>
    public static IReadOnlyList<DnsEndPoint> ParseTargets(string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }

        string[] items;
        if (value.TrimStart().StartsWith('['))
        {
            try
            {
                items = System.Text.Json.JsonSerializer.Deserialize<string[]>(value) ?? [];
            }
            catch (System.Text.Json.JsonException)
            {
                throw new SettingsException($"{setting}: '{value}' is not a JSON array of HOST:PORT strings");
            }
        }
        else
        {
            items = value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var targets = new List<DnsEndPoint>();
        foreach (var item in items)
        {
            var colon = item.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
            {
                throw new SettingsException($"{setting}: '{item}' is not HOST:PORT (for example usfj-node.example:9001)");
            }

            var host = item[..colon].Trim('[', ']');
            if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw new SettingsException($"{setting}: '{host}' is not a host name or IP address");
            }

            targets.Add(new DnsEndPoint(host, port));
        }

        return targets;
    }

    /// <summary>Parses "HOST:PORT" ("localhost", "*" and IPv6 "[::1]:PORT" accepted); empty means off.</summary>
    public static IPEndPoint? ParseEndpoint(string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new SettingsException($"{setting}: '{value}' is not HOST:PORT (for example 127.0.0.1:8087; empty turns it off)");
        }

        var host = value[..colon].Trim('[', ']');
        IPAddress? address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "0.0.0.0" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        return address is null
            ? throw new SettingsException($"{setting}: '{host}' is not an IP address, 'localhost' or '*'")
            : new IPEndPoint(address, port);
    }

    /// <summary>Parses a duration: "90s", "5m", "12h", "30d", or a TimeSpan such as "00:05:00"; empty is null.</summary>
    public static TimeSpan? ParseDuration(string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        var unit = value[^1];
        if (char.IsLetter(unit) && double.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (unit)
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new SettingsException($"{setting}: '{value}' is not a duration (for example 90s, 5m, 12h, 30d)");
    }

    /// <summary>Parses a size in bytes: "65536", or with a binary suffix "64K", "64M", "1G" (a trailing "iB" or "B" is allowed); empty is the fallback.</summary>
    public static long ParseSize(string setting, string? value, long fallback)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        var text = value.Trim().ToUpperInvariant();
        text = text.EndsWith("IB", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('B') ? text[..^1] : text;
        var shift = text.Length > 0 ? text[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 } : 0;
        var digits = shift == 0 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= (long.MaxValue >> shift)
            ? n << shift
            : throw new SettingsException($"{setting}: '{value}' is not a size (for example 65536, 64M or 1G)");
    }

    public static int ParsePositiveInt(string setting, string? value, int fallback)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new SettingsException($"{setting}: '{value}' is not a positive whole number");
    }
}

/// <summary>A setting that cannot be used; the message names the setting and says what is expected.</summary>
public sealed class SettingsException(string message) : Exception(message);
