using System.Globalization;

namespace Kizuna.LoadGen;

/// <summary>Another process's resident memory and CPU time, from /proc (Linux).</summary>
internal static class ProcStats
{
    /// <summary>VmRSS in MiB, or null when the process or /proc is not there.</summary>
    public static double? RssMiB(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>The process's thread count (Threads: in /proc/PID/status), or null.</summary>
    public static int? Threads(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    return int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>
    /// The process's threads by name (/proc/PID/task/*/comm), e.g. ".NET TP Worker" for the
    /// thread pool's workers: "name count, …", most first; null when /proc is not there.
    /// </summary>
    public static string? ThreadNames(int pid)
    {
        try
        {
            var names = Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(task => { try { return File.ReadAllText(Path.Combine(task, "comm")).Trim(); } catch (IOException) { return "?"; } })
                .GroupBy(n => n)
                .OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key} {g.Count()}");
            return string.Join(", ", names);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>User plus system CPU time of the process, or null.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
