using System.Globalization;

namespace Kizuna.LoadGen;

/// <summary>
/// A Kizuna node's own counters, read from its Prometheus endpoint (<c>/metrics</c>): events it
/// accepted from clients and outbound copies it dropped. A difference of two readings over a
/// window, divided by its length, gives per-second figures (<see cref="PerSecondSince"/>).
/// </summary>
internal sealed record NodeCounters(double EventsIn, double Dropped)
{
    public static async Task<NodeCounters?> ReadAsync(HttpClient? http, Uri? url, CancellationToken ct)
    {
        if (http is null || url is null)
        {
            return null;
        }

        try
        {
            var text = await http.GetStringAsync(url, ct).ConfigureAwait(false);
            double eventsIn = 0, dropped = 0;
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("kizuna_events_in_total ", StringComparison.Ordinal))
                {
                    eventsIn = Value(line);
                }
                else if (line.StartsWith("kizuna_drops_total", StringComparison.Ordinal) && !line.StartsWith('#'))
                {
                    dropped += Value(line);
                }
            }

            return new NodeCounters(eventsIn, dropped);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public NodeCounters PerSecondSince(NodeCounters before, double seconds) =>
        new((EventsIn - before.EventsIn) / seconds, (Dropped - before.Dropped) / seconds);

    private static double Value(string line) =>
        double.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
}
