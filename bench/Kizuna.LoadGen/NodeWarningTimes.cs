using System.Globalization;
using System.Text.RegularExpressions;

namespace Kizuna.LoadGen;

/// <summary>
/// The node's own timing of the warning versions it issued, read back from its log (event 1011:
/// "stored in X ms, then queued to N clients Y ms after its report was accepted"), so a run can
/// tell the durable append from the rest without timers of its own in the node.
/// </summary>
internal sealed partial class NodeWarningTimes
{
    public LatencyHistogram Stored { get; } = new();
    public LatencyHistogram Issued { get; } = new();

    /// <summary>The last <paramref name="versions"/> versions the node logged (the phase under load is the last one).</summary>
    public static NodeWarningTimes Read(string logPath, int versions)
    {
        var times = new NodeWarningTimes();
        if (!File.Exists(logPath))
        {
            return times;
        }

        // The log is the node's console output, copied line by line by the harness: read it shared.
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        // Only the last ones are kept while reading: a long run logs thousands.
        var last = new Queue<Match>(versions);
        while (reader.ReadLine() is { } line)
        {
            var m = Issued1011().Match(line);
            if (m.Success)
            {
                if (last.Count == versions)
                {
                    last.Dequeue();
                }

                last.Enqueue(m);
            }
        }

        foreach (var m in last)
        {
            times.Stored.Record(Micros(m.Groups["stored"].Value));
            times.Issued.Record(Micros(m.Groups["issued"].Value));
        }

        return times;
    }

    private static long Micros(string ms) => (long)(double.Parse(ms, CultureInfo.InvariantCulture) * 1000);

    [GeneratedRegex(@"\[1011\].*stored in (?<stored>[0-9.]+) ms, then queued to [0-9]+ clients (?<issued>[0-9.]+) ms after")]
    private static partial Regex Issued1011();
}
