using System.Runtime.InteropServices;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Puts the calling thread (the warning issuer, a warning intake reader) under the OS's real-time round-robin policy where
/// the node is allowed to (Linux, root or CAP_SYS_NICE): a woken real-time thread runs at once
/// instead of taking its turn among the threads a saturating picture load keeps busy
/// (docs/dev/warning-issuing-thread.md has the measured wait). The issuer sleeps between reports
/// and does little work per report, so it cannot starve the rest of the machine; Linux also caps
/// real-time threads below a whole core by default.
/// </summary>
public static class IssuerPriority
{
    private const int SchedRoundRobin = 2;
    private const int Priority = 10; // low among real-time priorities: above every normal thread, below kernel helpers

    /// <summary>Raises the calling thread; returns null on success, else why it stays at normal priority.</summary>
    public static string? TryRaiseCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "real-time scheduling is only used on Linux";
        }

        try
        {
            var priority = Priority;
            if (SchedSetScheduler(0, SchedRoundRobin, ref priority) == 0)
            {
                return null;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == 1 ? "not permitted (grant the node CAP_SYS_NICE, e.g. AmbientCapabilities=CAP_SYS_NICE in its systemd unit)" : $"sched_setscheduler failed (errno {errno})";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return "sched_setscheduler is not available: " + ex.Message;
        }
    }

    // DllImport rather than LibraryImport: the generated marshaller needs unsafe code, and an int by reference needs none.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int priority);
#pragma warning restore SYSLIB1054
}
