using System.Runtime.InteropServices;

namespace Kizuna.LoadGen;

/// <summary>
/// Optional real-time priority for the warning benchmark's clients (<c>warning --clients
/// realtime</c>). The sensor and the receivers stand for clients on machines of their own; here
/// they share two cores with the node and with the picture load's own clients, and a receiver
/// that the picture generator keeps off the CPU reads its socket late (measured: up to 700 KB
/// waiting in a receiver's socket when the warning arrived). At real-time priority they run when
/// their bytes arrive, so the latency measured is the node's, not the generator's scheduling.
/// </summary>
internal static class ClientPriority
{
    private const int SchedRoundRobin = 2;
    private const int Priority = 5; // below the node's warning threads (10)

    /// <summary>Raises the calling thread; null on success, else why not.</summary>
    public static string? TryRaiseCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "real-time scheduling is only used on Linux";
        }

        var priority = Priority;
        return SchedSetScheduler(0, SchedRoundRobin, ref priority) == 0
            ? null
            : $"sched_setscheduler failed (errno {Marshal.GetLastPInvokeError()}; needs root or CAP_SYS_NICE)";
    }

#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int priority);
#pragma warning restore SYSLIB1054
}
