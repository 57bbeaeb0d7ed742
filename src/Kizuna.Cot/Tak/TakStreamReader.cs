using System.Buffers;

namespace Kizuna.Cot;

/// <summary>
/// Reads TAK protocol v1 stream frames: 0xBF, a varint length, a TakMessage. Resynchronisation:
/// <list type="bullet">
/// <item>One stray byte before a frame is skipped silently (some clients write one after each frame);
/// more bytes up to the next 0xBF are refused once as <c>BinaryGarbage</c>. Until a run reaches a 0xBF
/// or <see cref="CotLimits.GarbageHoldBytes"/>, nothing is consumed, so the run is judged whole however it was split.</item>
/// <item>A length varint longer than 5 bytes or over 32 bits is <c>BadVarint</c>; a length over
/// <see cref="CotLimits.MaxEventBytes"/> is <c>BadLength</c>. Either way the claimed payload is not
/// trusted: the reader skips the 0xBF and looks for the next one.</item>
/// <item>A payload that is not a valid TakMessage is refused with its reason and skipped whole.</item>
/// <item>More than <see cref="CotLimits.MaxSkipBytes"/> skipped without a good frame is <c>Fatal</c>.</item>
/// </list>
/// </summary>
public sealed class TakStreamReader(CotLimits? limits = null) : ICotStreamReader
{
    private long _skipped;

    public CotLimits Limits { get; } = limits ?? CotLimits.Default;

    public Func<DateTime> Clock { get; init; } = static () => DateTime.UtcNow;

    public ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject)
    {
        evt = null;
        control = null;
        reject = default;
        if (buffer.IsEmpty)
        {
            return ReadStatus.NeedMoreData;
        }

        var status = Step(ref buffer, out evt, out control, out reject, out var skipped);
        _skipped = status is ReadStatus.Event or ReadStatus.Control ? 0 : _skipped + skipped;
        if (_skipped > Limits.MaxSkipBytes)
        {
            reject = new CotReject(CotRejectReason.BinaryGarbage, $"more than {Limits.MaxSkipBytes} bytes without a valid frame");
            return ReadStatus.Fatal;
        }

        return status;
    }

    private ReadStatus Step(ref ReadOnlySequence<byte> buffer, out CotEvent? evt, out TakControl? control, out CotReject reject, out long skipped)
    {
        evt = null;
        control = null;
        reject = default;
        skipped = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (reader.IsNext(TakProto.Magic) is false)
        {
            // Out of step: find the next magic byte.
            if (!reader.TryAdvanceTo(TakProto.Magic, advancePastDelimiter: false))
            {
                if (buffer.Length < Limits.GarbageHoldBytes)
                {
                    // One stray byte or the start of a run: wait until it ends to tell which.
                    return ReadStatus.NeedMoreData;
                }

                reader.AdvanceToEnd();
            }

            skipped = reader.Consumed;
            buffer = buffer.Slice(reader.Position);
            if (skipped == 1)
            {
                // One stray byte (a newline after the switch, or a client's habit): skip it quietly.
                return reader.End ? ReadStatus.NeedMoreData : Step(ref buffer, out evt, out control, out reject, out _);
            }

            reject = new CotReject(CotRejectReason.BinaryGarbage, $"{skipped} bytes outside a frame");
            return ReadStatus.Rejected;
        }

        reader.Advance(1);
        ulong length = 0;
        var shift = 0;
        while (true)
        {
            if (!reader.TryRead(out var b))
            {
                return ReadStatus.NeedMoreData;
            }

            length |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }

            shift += 7;
            if (shift >= 35)
            {
                buffer = buffer.Slice(1);
                skipped = 1;
                reject = new CotReject(CotRejectReason.BadVarint, "a frame length varint longer than 5 bytes");
                return ReadStatus.Rejected;
            }
        }

        if (length > uint.MaxValue)
        {
            buffer = buffer.Slice(1);
            skipped = 1;
            reject = new CotReject(CotRejectReason.BadVarint, "a frame length over 32 bits");
            return ReadStatus.Rejected;
        }

        if (length > (ulong)Limits.MaxEventBytes)
        {
            buffer = buffer.Slice(1);
            skipped = 1;
            reject = new CotReject(CotRejectReason.BadLength, $"a frame claims {length} bytes, more than the limit of {Limits.MaxEventBytes}");
            return ReadStatus.Rejected;
        }

        if (reader.Remaining < (long)length)
        {
            return ReadStatus.NeedMoreData;
        }

        var payload = buffer.Slice(reader.Position, (long)length);
        var end = payload.End;
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            if (payload.IsSingleSegment)
            {
                span = payload.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)length);
                payload.CopyTo(rented);
                span = rented.AsSpan(0, (int)length);
            }

            buffer = buffer.Slice(end);
            var (e, c) = TakProto.DecodeMessage(span, Limits, Clock());
            evt = e;
            control = c;
            return e is not null ? ReadStatus.Event : ReadStatus.Control;
        }
        catch (CotFormatException ex)
        {
            skipped = (long)length;
            reject = new CotReject(ex.Reason, ex.Message);
            return ReadStatus.Rejected;
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
