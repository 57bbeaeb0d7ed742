using Kizuna.Core.Warnings;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Hosting;

/// <summary>
/// Runs the warning desk's sweep on a timer: unacknowledged warnings go again to connected
/// clients after <c>--warning-resend</c>, and an organization silent after
/// <c>--warning-escalate</c> is escalated up its national chain. The timer runs on the node's
/// <see cref="TimeProvider"/>, so a test on a manual clock escalates when it moves the clock.
/// </summary>
public sealed class WarningSweeper(WarningDesk desk, NodeSettings settings, TimeProvider time, ILogger<WarningSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var shortest = settings.WarningResend < settings.WarningEscalate ? settings.WarningResend : settings.WarningEscalate;
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 100, 5000));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await desk.SweepAsync(settings.WarningResend, settings.WarningEscalate, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ServerLog.WarningSweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }
}
