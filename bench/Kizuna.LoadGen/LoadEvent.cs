using System.Globalization;
using System.Text;

namespace Kizuna.LoadGen;

/// <summary>
/// One publisher's CoT XML event as a byte template, patched in place for each send: the times
/// (refreshed about once a second so the server never sees a stale event), and the marker
/// <c>&lt;loadgen p="P" s="SEQ" t="MICROS"/&gt;</c> inside &lt;detail&gt;. The marker is an
/// element of the detail, so it survives a server that re-encodes the event; subscribers find it
/// by scanning bytes (see <see cref="MarkerScanner"/>), never by decoding XML. With more than
/// one entity per publisher the uid ends in a six-digit entity number, patched per send too.
/// </summary>
internal sealed class LoadEvent
{
    public const int SeqWidth = 10;
    public const int MicrosWidth = 12;
    public const int EntityWidth = 6;
    public const int MaxEntities = 1_000_000;
    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
    private const int TimeWidth = 24;
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    private readonly byte[] _template;
    private readonly int _timeAt;
    private readonly int _startAt;
    private readonly int _staleAt;
    private readonly int _seqAt;
    private readonly int _microsAt;
    private readonly int _entities;
    private readonly int _entityAt;

    private LoadEvent(byte[] template, int entities)
    {
        _template = template;
        _timeAt = Find(template, " time=\"");
        _startAt = Find(template, " start=\"");
        _staleAt = Find(template, " stale=\"");
        _seqAt = Find(template, " s=\"");
        _microsAt = Find(template, " t=\"");
        _entities = entities;
        int uidAt = Find(template, " uid=\"");
        _entityAt = entities > 1 ? uidAt + template.AsSpan(uidAt).IndexOf((byte)'"') - EntityWidth : -1;
    }

    /// <summary>Bytes of one event including its trailing newline.</summary>
    public int Length => _template.Length;

    /// <summary>
    /// Builds the event of publisher <paramref name="publisher"/>, padded with remarks text to
    /// <paramref name="targetBytes"/> (newline included) when the realistic minimum is smaller.
    /// With <paramref name="entities"/> above one, successive sends are the positions of that many
    /// entities in turn (uid <c>loadgen-pub-P-NNNNNN</c>), as a client relaying a unit's tracks.
    /// <paramref name="uidStem"/> starts the uid: a node keeps each uid for the organization that
    /// first sent it, so rows over TLS (an identified sender) use other uids than plain-TCP rows
    /// (anonymous) on the same node.
    /// </summary>
    public static LoadEvent Create(int publisher, int targetBytes, DateTime utcNow, int entities = 1, string? labelAttributes = null, string uidStem = "loadgen")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entities, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entities, MaxEntities);
        string time = utcNow.ToString(TimeFormat, CultureInfo.InvariantCulture);
        double lat = 35.6812 + (publisher % 100) * 0.001;
        double lon = 139.7671 + (publisher / 100) * 0.001;
        var c = CultureInfo.InvariantCulture;
        string head =
            string.Create(c, $"<event version=\"2.0\" uid=\"{uidStem}-pub-{publisher}{(entities > 1 ? "-" + new string('0', EntityWidth) : "")}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{time}\" start=\"{time}\" stale=\"{time}\"{(labelAttributes is null ? "" : " " + labelAttributes)}>")
            + string.Create(c, $"<point lat=\"{lat:F4}\" lon=\"{lon:F4}\" hae=\"42.0\" ce=\"9.9\" le=\"9.9\"/>")
            + string.Create(c, $"<detail><contact callsign=\"LOADGEN-{publisher}\"/><__group name=\"Cyan\" role=\"Team Member\"/>")
            + "<takv platform=\"Kizuna.LoadGen\" version=\"1.0\"/><track course=\"87.5\" speed=\"1.4\"/><status battery=\"88\"/>"
            + string.Create(c, $"<loadgen p=\"{publisher}\" s=\"{new string('0', SeqWidth)}\" t=\"{new string('0', MicrosWidth)}\"/><remarks>");
        const string Tail = "</remarks></detail></event>\n";
        int padding = Math.Max(0, targetBytes - head.Length - Tail.Length);
        var text = new StringBuilder(head.Length + padding + Tail.Length).Append(head);
        const string Filler = "Load generator position report. ";
        while (padding > 0)
        {
            int n = Math.Min(padding, Filler.Length);
            text.Append(Filler, 0, n);
            padding -= n;
        }

        text.Append(Tail);
        var evt = new LoadEvent(Encoding.ASCII.GetBytes(text.ToString()), entities);
        evt.RefreshTimes(utcNow);
        return evt;
    }

    public void RefreshTimes(DateTime utcNow)
    {
        WriteTime(utcNow, _timeAt);
        WriteTime(utcNow, _startAt);
        WriteTime(utcNow + StaleAfter, _staleAt);
    }

    /// <summary>Copies the event into <paramref name="destination"/> with its sequence number and send time.</summary>
    public void WriteTo(Span<byte> destination, long seq, long sendMicros)
    {
        _template.CopyTo(destination);
        WriteDigits(destination.Slice(_seqAt, SeqWidth), seq);
        WriteDigits(destination.Slice(_microsAt, MicrosWidth), sendMicros);
        if (_entityAt >= 0)
        {
            WriteDigits(destination.Slice(_entityAt, EntityWidth), seq % _entities);
        }
    }

    private void WriteTime(DateTime value, int at)
    {
        if (!value.TryFormat(_template.AsSpan(at, TimeWidth), out int written, TimeFormat, CultureInfo.InvariantCulture) || written != TimeWidth)
        {
            throw new InvalidOperationException("Time did not format to its fixed width.");
        }
    }

    private static void WriteDigits(Span<byte> field, long value)
    {
        for (int i = field.Length - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }

    private static int Find(byte[] template, string attributePrefix)
    {
        int at = template.AsSpan().IndexOf(Encoding.ASCII.GetBytes(attributePrefix));
        if (at < 0)
        {
            throw new InvalidOperationException($"Template lacks {attributePrefix}.");
        }

        return at + attributePrefix.Length;
    }
}
