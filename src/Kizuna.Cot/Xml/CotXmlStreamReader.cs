using System.Buffers;
using Kizuna.Cot.Xml;

namespace Kizuna.Cot;

/// <summary>
/// Reads CoT XML events back to back from a stream: with or without newlines, XML declarations
/// or comments between them, split anywhere across reads. Resynchronisation rules:
/// <list type="bullet">
/// <item>Bytes between events that are not whitespace, a declaration or a comment are skipped up
/// to the next <c>&lt;</c> and refused once as <c>BinaryGarbage</c> (control bytes or invalid UTF-8)
/// or <c>MalformedXml</c> (stray text or elements). A run shorter than <see cref="CotLimits.GarbageHoldBytes"/>
/// is judged whole once its end arrives, however it was split; a longer one is refused at once and
/// the rest of it skipped quietly.</item>
/// <item>A DOCTYPE is refused (<c>DtdForbidden</c>) and everything up to the next <c>&lt;event</c> is skipped.</item>
/// <item>An event that grows past <see cref="CotLimits.MaxEventBytes"/> is refused (<c>Oversize</c>) and
/// discarded through its <c>&lt;/event&gt;</c>, however long that takes.</item>
/// <item>An event that is whole but invalid is refused with its reason and skipped.</item>
/// <item>More than <see cref="CotLimits.MaxSkipBytes"/> skipped without a single good event is <c>Fatal</c>.</item>
/// </list>
/// </summary>
public sealed class CotXmlStreamReader(CotLimits? limits = null) : ICotStreamReader
{
    private enum Mode
    {
        Normal,
        DiscardThroughEventEnd,
        SkipToEventStart,
        SkipGarbage,
    }

    private Mode _mode;
    private long _skipped;

    public CotLimits Limits { get; } = limits ?? CotLimits.Default;

    /// <summary>The clock used to refuse events from the future. Tests may replace it.</summary>
    public Func<DateTime> Clock { get; init; } = static () => DateTime.UtcNow;

    public ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject)
    {
        evt = null;
        control = null;
        reject = default;
        while (true)
        {
            if (buffer.IsEmpty)
            {
                return ReadStatus.NeedMoreData;
            }

            // A window large enough for the biggest legal event; copying only when the bytes are split.
            var windowLength = (int)Math.Min(buffer.Length, Limits.MaxEventBytes + 1024L);
            byte[]? rented = null;
            ReadOnlySpan<byte> w;
            if (buffer.FirstSpan.Length >= windowLength)
            {
                w = buffer.FirstSpan[..windowLength];
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(windowLength);
                buffer.Slice(0, windowLength).CopyTo(rented);
                w = rented.AsSpan(0, windowLength);
            }

            try
            {
                var status = Step(w, out var consumed, out evt, out reject);
                buffer = buffer.Slice(consumed);
                if (status == ReadStatus.NeedMoreData && consumed > 0)
                {
                    // Discarding made progress; bytes beyond the window may already be here.
                    status = ReadStatus.Control;
                }

                if (status == ReadStatus.Rejected || (status == ReadStatus.Control && _mode != Mode.Normal))
                {
                    _skipped += consumed;
                    if (_skipped > Limits.MaxSkipBytes)
                    {
                        reject = new CotReject(status == ReadStatus.Rejected ? reject.Reason : CotRejectReason.Oversize, $"more than {Limits.MaxSkipBytes} bytes without a valid event");
                        return ReadStatus.Fatal;
                    }
                }

                if (status == ReadStatus.Event)
                {
                    _skipped = 0;
                }

                if (status != ReadStatus.Control)
                {
                    return status;
                }

                // Control here means "consumed filler, look again".
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
    }

    /// <summary>One step over the window. Control means "skipped whitespace or filler; call again".</summary>
    private ReadStatus Step(ReadOnlySpan<byte> w, out int consumed, out CotEvent? evt, out CotReject reject)
    {
        evt = null;
        reject = default;
        consumed = 0;
        switch (_mode)
        {
            case Mode.DiscardThroughEventEnd:
                {
                    // The same end tag FindEventEnd accepts: "</event", optional whitespace, ">".
                    var from = 0;
                    while (true)
                    {
                        var k = w[from..].IndexOf("</event"u8);
                        if (k < 0)
                        {
                            consumed = Math.Max(from, w.Length - 7);
                            return ReadStatus.NeedMoreData;
                        }

                        var j = from + k + 7;
                        XmlScanner.SkipWhitespace(w, ref j);
                        if (j >= w.Length)
                        {
                            consumed = from + k;
                            return ReadStatus.NeedMoreData;
                        }

                        if (w[j] == '>')
                        {
                            consumed = j + 1;
                            _mode = Mode.Normal;
                            return ReadStatus.Control;
                        }

                        from = j;
                    }
                }

            case Mode.SkipGarbage:
                {
                    // The rest of a long garbage run, already refused: skip it quietly up to the next '<'.
                    var lt = w.IndexOf((byte)'<');
                    if (lt < 0)
                    {
                        consumed = w.Length;
                        return ReadStatus.NeedMoreData;
                    }

                    consumed = lt;
                    _mode = Mode.Normal;
                    return ReadStatus.Control;
                }

            case Mode.SkipToEventStart:
                {
                    var start = IndexOfEventStart(w);
                    if (start < 0)
                    {
                        consumed = Math.Max(0, w.Length - 6);
                        return ReadStatus.NeedMoreData;
                    }

                    consumed = start;
                    _mode = Mode.Normal;
                    return ReadStatus.Control;
                }
        }

        var i = 0;
        XmlScanner.SkipWhitespace(w, ref i);
        if (i > 0)
        {
            consumed = i;
            return ReadStatus.Control;
        }

        if (w[0] == '<')
        {
            if (w.Length < 7)
            {
                if ("<event "u8.StartsWith(w) || "<?"u8.StartsWith(w) || "<!--"u8.StartsWith(w[..Math.Min(w.Length, 4)]))
                {
                    return ReadStatus.NeedMoreData;
                }
            }

            if (XmlScanner.At(w, 0, "<?"u8))
            {
                return SkipFiller(w, "?>"u8, out consumed, out reject);
            }

            if (XmlScanner.At(w, 0, "<!--"u8))
            {
                return SkipFiller(w, "-->"u8, out consumed, out reject);
            }

            if (XmlScanner.At(w, 0, "<!"u8))
            {
                _mode = Mode.SkipToEventStart;
                consumed = 2;
                reject = new CotReject(CotRejectReason.DtdForbidden, "document type declarations are refused");
                return ReadStatus.Rejected;
            }

            if (IsEventStart(w, 0))
            {
                return ReadEvent(w, out consumed, out evt, out reject);
            }
        }

        // Garbage: skip to the next '<' and say what kind it was.
        var next = w[1..].IndexOf((byte)'<');
        if (next < 0 && w.Length < Limits.GarbageHoldBytes)
        {
            // The run may go on in the next read: judge it whole when it ends.
            return ReadStatus.NeedMoreData;
        }

        if (next < 0)
        {
            _mode = Mode.SkipGarbage;
        }

        consumed = next < 0 ? w.Length : next + 1;
        var skipped = w[..consumed];
        var binary = false;
        try
        {
            XmlScanner.CheckIsText(skipped);
        }
        catch (CotFormatException)
        {
            binary = true;
        }

        reject = binary
            ? new CotReject(CotRejectReason.BinaryGarbage, $"{consumed} bytes of binary data outside an event")
            : new CotReject(CotRejectReason.MalformedXml, $"{consumed} bytes of text or markup outside an event");
        return ReadStatus.Rejected;
    }

    private ReadStatus ReadEvent(ReadOnlySpan<byte> w, out int consumed, out CotEvent? evt, out CotReject reject)
    {
        evt = null;
        reject = default;
        consumed = 0;
        var end = FindEventEnd(w);
        if (end < 0 || end > Limits.MaxEventBytes)
        {
            if (end < 0 && w.Length <= Limits.MaxEventBytes)
            {
                return ReadStatus.NeedMoreData;
            }

            if (end < 0)
            {
                _mode = Mode.DiscardThroughEventEnd;
                consumed = 6;
            }
            else
            {
                consumed = end;
            }

            reject = new CotReject(CotRejectReason.Oversize, $"an event is larger than {Limits.MaxEventBytes} bytes");
            return ReadStatus.Rejected;
        }

        consumed = end;
        try
        {
            var slice = w[..end];
            XmlScanner.CheckIsText(slice);
            var i = 0;
            evt = Xml.CotXmlParser.ParseEvent(slice, ref i, Limits, Clock());
            return ReadStatus.Event;
        }
        catch (CotFormatException ex)
        {
            reject = new CotReject(ex.Reason, ex.Message);
            return ReadStatus.Rejected;
        }
    }

    private static ReadStatus SkipFiller(ReadOnlySpan<byte> w, ReadOnlySpan<byte> terminator, out int consumed, out CotReject reject)
    {
        reject = default;
        var end = w.IndexOf(terminator);
        if (end < 0)
        {
            if (w.Length < 4096)
            {
                consumed = 0;
                return ReadStatus.NeedMoreData;
            }

            consumed = 2;
            reject = new CotReject(CotRejectReason.MalformedXml, "a declaration or comment between events is not closed");
            return ReadStatus.Rejected;
        }

        consumed = end + terminator.Length;
        return ReadStatus.Control;
    }

    private static bool IsEventStart(ReadOnlySpan<byte> w, int i)
        => XmlScanner.At(w, i, "<event"u8) && w.Length > i + 6 && (XmlScanner.IsWhitespace(w[i + 6]) || w[i + 6] == '>' || w[i + 6] == '/');

    private static int IndexOfEventStart(ReadOnlySpan<byte> w)
    {
        var from = 0;
        while (true)
        {
            var k = w[from..].IndexOf("<event"u8);
            if (k < 0)
            {
                return -1;
            }

            if (IsEventStart(w, from + k))
            {
                return from + k;
            }

            from += k + 1;
        }
    }

    /// <summary>The index just after the event's end (<c>&lt;/event&gt;</c>, or <c>/&gt;</c> of a self-closing one), or -1.</summary>
    private static int FindEventEnd(ReadOnlySpan<byte> w)
    {
        // The start tag ends at the first '>' outside quotes.
        byte quote = 0;
        var i = 6;
        for (; i < w.Length; i++)
        {
            var b = w[i];
            if (quote != 0)
            {
                if (b == quote)
                {
                    quote = 0;
                }
            }
            else if (b is (byte)'"' or (byte)'\'')
            {
                quote = b;
            }
            else if (b == '>')
            {
                break;
            }
        }

        if (i >= w.Length)
        {
            return -1;
        }

        if (w[i - 1] == '/')
        {
            return i + 1;
        }

        var from = i + 1;
        while (true)
        {
            var k = w[from..].IndexOf("</event"u8);
            if (k < 0)
            {
                return -1;
            }

            var j = from + k + 7;
            while (j < w.Length && XmlScanner.IsWhitespace(w[j]))
            {
                j++;
            }

            if (j >= w.Length)
            {
                return -1;
            }

            if (w[j] == '>')
            {
                return j + 1;
            }

            from = j;
        }
    }
}
