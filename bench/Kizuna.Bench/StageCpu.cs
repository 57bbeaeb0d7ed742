using System.Runtime.InteropServices;
using Kizuna.Cot;

namespace Kizuna.Bench;

/// <summary>
/// <see cref="PerEventCost"/>'s stages timed by the thread's own CPU clock instead of the wall
/// clock, so that a machine shared with other work (whose time BenchmarkDotNet's wall-clock
/// figures include) does not inflate them: each stage runs in rounds after a warm-up, and the
/// cheapest round is kept. <c>dotnet run -c Release --project bench/Kizuna.Bench -- cpu</c>.
/// </summary>
internal static class StageCpu
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054 // a blittable out struct: no marshalling to generate, and no unsafe code in the bench
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
#pragma warning restore SYSLIB1054

    private static long ThreadNanos()
    {
        _ = ClockGetTime(ThreadCpuClock, out var t);
        return (t.Seconds * 1_000_000_000) + t.Nanoseconds;
    }

    /// <summary>The cheapest round's CPU nanoseconds per operation.</summary>
    private static double Measure(Action op, int perRound, int rounds = 7)
    {
        for (var i = 0; i < perRound; i++)
        {
            op();
        }

        var best = double.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var start = ThreadNanos();
            for (var i = 0; i < perRound; i++)
            {
                op();
            }

            best = Math.Min(best, (ThreadNanos() - start) / (double)perRound);
        }

        return best;
    }

    /// <summary>The whole process's CPU nanoseconds per operation (for a stage that hands work to a thread of its own).</summary>
    private static double ProcessCpu(Action op, int count)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        op();
        self.Refresh();
        var start = self.TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            op();
        }

        self.Refresh();
        return (self.TotalProcessorTime - start).TotalNanoseconds / count;
    }

    public static async Task RunAsync()
    {
        var xml = SampleEvents.PositionReportUtf8();
        var decode = Measure(() => CotXml.Decode(xml), 20_000);
        var evt = SampleEvents.PositionReport();
        var encode = Measure(() => CotXml.Encode(evt), 20_000);
        Console.WriteLine($"| Stage | Sessions | CPU ns per operation | per event | per copy |");
        Console.WriteLine($"|---|--:|--:|--:|--:|");
        Console.WriteLine($"| CoT XML decode (one event) | | {decode:F0} | {decode:F0} | |");
        Console.WriteLine($"| CoT XML encode (one event, once for all XML readers and the history) | | {encode:F0} | {encode:F0} | |");
        foreach (var sessions in new[] { 10, 100 })
        {
            var bench = new PerEventCost { Sessions = sessions };
            await bench.Setup();
            try
            {
                var label = Measure(() => bench.Label_door_per_event(), 20_000);
                var publish = Measure(() => bench.Publish_one_read_and_dequeue(), sessions == 10 ? 2_000 : 400);
                var pack = Measure(() => bench.Writer_packs_64_copies(), 5_000);
                var history = Measure(() => bench.History_appends_512().GetAwaiter().GetResult(), 20, rounds: 5);
                var process = ProcessCpu(() => bench.History_appends_512().GetAwaiter().GetResult(), 40);
                Console.WriteLine($"| Label door | {sessions} | {label:F0} | {label:F0} | |");
                Console.WriteLine($"| Publish one read of {PerEventCost.Run} and dequeue | {sessions} | {publish:F0} | {publish / PerEventCost.Run:F0} | {publish / PerEventCost.Run / sessions:F0} |");
                Console.WriteLine($"| Writer packs 64 copies | {sessions} | {pack:F0} | | {pack / 64:F0} |");
                Console.WriteLine($"| History appends 512: the appending thread | {sessions} | {history:F0} | {history / 512:F0} | |");
                Console.WriteLine($"| History appends 512 and commits: the whole process (the SQLite writer's thread too) | {sessions} | {process:F0} | {process / 512:F0} | |");
            }
            finally
            {
                await bench.Cleanup();
            }
        }
    }
}
