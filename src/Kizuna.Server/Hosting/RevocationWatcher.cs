using Kizuna.Core.Identity;
using Kizuna.Core.Routing;
using Kizuna.Server.WebConsole;

namespace Kizuna.Server.Hosting;

/// <summary>
/// Closes open connections whose certificate has been revoked. The handshake refuses revoked
/// certificates; this makes <c>kizuna certs revoke</c> also end a session that is already open,
/// within <see cref="Interval"/>, and ends browser console sessions signed in as it (their live
/// feeds are router sessions too, so they close with the rest). The revocation list is a file, so
/// the check is a stat per tick (and, on a node that shares its records in PostgreSQL, one read of its revocations).
/// </summary>
public sealed class RevocationWatcher(NodeCertificateAuthority authority, EventRouter router, ConsoleSessions consoles, TimeProvider time, ILogger<RevocationWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seen = authority.Registry.RevocationVersion();
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // Scale-out: revocations made through another instance or the CLI, from the node's database.
                authority.Registry.PullShared();
                var version = authority.Registry.RevocationVersion();
                if (version == seen)
                {
                    continue;
                }

                seen = version;
                foreach (var ended in await consoles.EndRevokedAsync(stoppingToken).ConfigureAwait(false))
                {
                    ServerLog.ConsoleSessionRevoked(logger, ended);
                }

                foreach (var session in router.Sessions)
                {
                    if (session.Principal.CertificateSerial is { } serial && authority.Registry.RevocationOf(serial) is { } revoked)
                    {
                        ServerLog.SessionRevoked(logger, session.Id, session.Identity, revoked.Reason);
                        session.Close("certificate revoked: " + revoked.Reason);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }
}
