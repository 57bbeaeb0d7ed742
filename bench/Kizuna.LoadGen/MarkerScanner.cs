namespace Kizuna.LoadGen;

/// <summary>
/// Finds <c>&lt;loadgen p=".." s=".." t=".."/&gt;</c> markers in a received byte stream, split
/// anywhere across reads. Attribute order and quote style do not matter, so a server that
/// re-encodes the event is measured the same way as the relay that forwards raw bytes.
/// </summary>
internal static class MarkerScanner
{
    private static ReadOnlySpan<byte> Open => "<loadgen "u8;
    private const int MaxMarkerBytes = 160;

    /// <summary>One marker found: publisher index, sequence number, send time in microseconds.</summary>
    public readonly record struct Marker(int Publisher, long Seq, long SendMicros);

    /// <summary>
    /// Scans <paramref name="data"/>, calls <paramref name="onMarker"/> for each whole marker,
    /// and returns how many leading bytes are done with; the rest must be kept for the next read.
    /// </summary>
    public static int Scan<TSink>(ReadOnlySpan<byte> data, ref TSink sink) where TSink : struct, IMarkerSink
    {
        int pos = 0;
        while (true)
        {
            int found = data[pos..].IndexOf(Open);
            if (found < 0)
            {
                // Keep a tail that could be the start of a marker split across reads.
                return Math.Max(pos, data.Length - (Open.Length - 1));
            }

            int start = pos + found;
            var rest = data[start..];
            int close = rest[..Math.Min(rest.Length, MaxMarkerBytes)].IndexOf((byte)'>');
            if (close < 0)
            {
                if (rest.Length < MaxMarkerBytes)
                {
                    return start; // incomplete: wait for more bytes
                }

                pos = start + Open.Length; // not a marker we understand; skip it
                continue;
            }

            var element = rest[..close];
            if (TryNumber(element, " p="u8, out long p) && TryNumber(element, " s="u8, out long s) && TryNumber(element, " t="u8, out long t))
            {
                sink.OnMarker(new Marker((int)p, s, t));
            }

            pos = start + close + 1;
        }
    }

    private static bool TryNumber(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        int at = element.IndexOf(name);
        if (at < 0)
        {
            return false;
        }

        int i = at + name.Length;
        if (i >= element.Length || (element[i] != (byte)'"' && element[i] != (byte)'\''))
        {
            return false;
        }

        i++;
        int digits = 0;
        for (; i < element.Length && element[i] >= (byte)'0' && element[i] <= (byte)'9'; i++, digits++)
        {
            value = (value * 10) + (element[i] - '0');
        }

        return digits > 0;
    }
}

internal interface IMarkerSink
{
    void OnMarker(MarkerScanner.Marker marker);
}
