using System.Buffers.Binary;
using System.Text;
using Kizuna.Core.Storage;

namespace Kizuna.Storage.Sqlite;

/// <summary>
/// One packed row as the writer binds it: numbers, and text as UTF-8 spans over the slab (bound
/// to SQLite as they are, so writing a row allocates nothing).
/// </summary>
internal readonly ref struct RowView(ReadOnlySpan<byte> row)
{
    private readonly ReadOnlySpan<byte> _row = row;

    public long Time => BinaryPrimitives.ReadInt64LittleEndian(_row);
    public long Start => BinaryPrimitives.ReadInt64LittleEndian(_row[8..]);
    public long Stale => BinaryPrimitives.ReadInt64LittleEndian(_row[16..]);
    public long ReceivedAt => BinaryPrimitives.ReadInt64LittleEndian(_row[24..]);
    public double Lat => BinaryPrimitives.ReadDoubleLittleEndian(_row[32..]);
    public double Lon => BinaryPrimitives.ReadDoubleLittleEndian(_row[40..]);
    public long LabelNations => BinaryPrimitives.ReadInt64LittleEndian(_row[48..]);
    public int LabelScheme => BinaryPrimitives.ReadInt32LittleEndian(_row[56..]);
    public int LabelLevel => BinaryPrimitives.ReadInt32LittleEndian(_row[60..]);
    public int LabelCategories => BinaryPrimitives.ReadInt32LittleEndian(_row[64..]);
    public long OriginSequence => BinaryPrimitives.ReadInt64LittleEndian(_row[68..]);
    public ReadOnlySpan<byte> Uid => Text(0);
    public ReadOnlySpan<byte> Type => Text(1);
    public ReadOnlySpan<byte> Sender => Text(2);
    public ReadOnlySpan<byte> Xml => Text(3);
    public ReadOnlySpan<byte> OriginNode => Text(4);
    public ReadOnlySpan<byte> Provenance => Text(5);

    /// <summary>The n-th text (uid, type, sender, xml, origin node, provenance): their lengths follow the numbers, their bytes the lengths.</summary>
    private ReadOnlySpan<byte> Text(int n)
    {
        var start = RowSlabs.HeaderBytes;
        for (var k = 0; k < n; k++)
        {
            start += BinaryPrimitives.ReadInt32LittleEndian(_row[(RowSlabs.LengthsAt + (4 * k))..]);
        }

        return _row.Slice(start, BinaryPrimitives.ReadInt32LittleEndian(_row[(RowSlabs.LengthsAt + (4 * n))..]));
    }
}

/// <summary>
/// The write queue's events, packed as the bytes of their rows into reused 1 MiB slabs instead of
/// being kept as parsed events. Under a saturating feed the queue holds up to
/// <see cref="SqliteStoreOptions.BackpressureThreshold"/> events for seconds; as parsed events (a
/// dozen objects each) they lived long enough to be promoted, and copying and marking them was
/// most of the garbage collector's pauses, which stop the missile warning path too
/// (docs/dev/storage-backpressure.md). Slabs live in the large object heap and are
/// reused, so a backlog costs the collector next to nothing.
/// </summary>
/// <remarks>
/// Many appenders pack under one short lock; the one writer binds each row straight from its
/// slab and releases it once the batch is written. A slab goes back to the pool once it is full
/// and every row in it was released.
/// </remarks>
internal sealed class RowSlabs
{
    internal const int SlabBytes = 1 << 20;

    // time, start, stale, received_at (int64), lat, lon (float64), the label's nations (int64),
    // scheme, level and checked categories (int32), the origin sequence (int64), then the byte
    // lengths of uid, type, sender, xml, origin node, provenance (int32).
    internal const int LengthsAt = (8 * sizeof(long)) + (3 * sizeof(int));
    internal const int HeaderBytes = LengthsAt + (6 * sizeof(int));

    // Free slabs kept for reuse (64 MiB, the swing of a backlog held between half the
    // backpressure threshold and all of it); more are left to the collector after a burst.
    private const int KeptFree = 64;

    private readonly Lock _gate = new();
    private readonly Stack<Slab> _free = new();
    private Slab? _current;

    /// <summary>Where one packed row is.</summary>
    internal readonly record struct Packed(Slab Slab, int Offset, int Length);

    internal sealed class Slab(int size)
    {
        public byte[] Bytes { get; } = new byte[size];
        public int Used { get; set; }
        public int Reserved { get; set; }
        public int Released { get; set; }
        public bool Sealed { get; set; }
    }

    /// <summary>Free slabs held for reuse (tests).</summary>
    internal int FreeCount
    {
        get
        {
            lock (_gate)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>Packs one event's row (its XML already encoded) and returns where it is.</summary>
    public Packed Pack(StoredEvent stored, ReadOnlySpan<byte> xml)
    {
        var evt = stored.Event;
        var uidBytes = Encoding.UTF8.GetByteCount(evt.Uid);
        var typeBytes = Encoding.UTF8.GetByteCount(evt.Type);
        var senderBytes = Encoding.UTF8.GetByteCount(stored.Sender);
        var origin = stored.OriginNode ?? string.Empty;
        var provenance = stored.Provenance ?? string.Empty;
        var originBytes = Encoding.UTF8.GetByteCount(origin);
        var provenanceBytes = Encoding.UTF8.GetByteCount(provenance);
        var length = HeaderBytes + uidBytes + typeBytes + senderBytes + xml.Length + originBytes + provenanceBytes;
        lock (_gate)
        {
            var slab = Reserve(length);
            var offset = slab.Used;
            var row = slab.Bytes.AsSpan(offset, length);
            BinaryPrimitives.WriteInt64LittleEndian(row, StoredTime.ToUnixMilliseconds(evt.Time));
            BinaryPrimitives.WriteInt64LittleEndian(row[8..], StoredTime.ToUnixMilliseconds(evt.Start));
            BinaryPrimitives.WriteInt64LittleEndian(row[16..], StoredTime.ToUnixMilliseconds(evt.Stale));
            BinaryPrimitives.WriteInt64LittleEndian(row[24..], StoredTime.ToUnixMilliseconds(stored.ReceivedAt));
            BinaryPrimitives.WriteDoubleLittleEndian(row[32..], evt.Point.Lat);
            BinaryPrimitives.WriteDoubleLittleEndian(row[40..], evt.Point.Lon);
            var label = stored.Label;
            BinaryPrimitives.WriteInt64LittleEndian(row[48..], label.Nations);
            BinaryPrimitives.WriteInt32LittleEndian(row[56..], label.Scheme);
            BinaryPrimitives.WriteInt32LittleEndian(row[60..], label.Level);
            BinaryPrimitives.WriteInt32LittleEndian(row[64..], label.CheckedCategories ? 1 : 0);
            BinaryPrimitives.WriteInt64LittleEndian(row[68..], stored.OriginSequence);
            BinaryPrimitives.WriteInt32LittleEndian(row[LengthsAt..], uidBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[(LengthsAt + 4)..], typeBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[(LengthsAt + 8)..], senderBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[(LengthsAt + 12)..], xml.Length);
            BinaryPrimitives.WriteInt32LittleEndian(row[(LengthsAt + 16)..], originBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[(LengthsAt + 20)..], provenanceBytes);
            var text = row[HeaderBytes..];
            text = text[Encoding.UTF8.GetBytes(evt.Uid, text)..];
            text = text[Encoding.UTF8.GetBytes(evt.Type, text)..];
            text = text[Encoding.UTF8.GetBytes(stored.Sender, text)..];
            xml.CopyTo(text);
            text = text[xml.Length..];
            text = text[Encoding.UTF8.GetBytes(origin, text)..];
            Encoding.UTF8.GetBytes(provenance, text);
            slab.Used += length;
            slab.Reserved++;
            if (slab != _current)
            {
                // A row larger than a slab has one of its own, full at once.
                slab.Sealed = true;
            }

            return new Packed(slab, offset, length);
        }
    }

    /// <summary>The packed row, valid until it is released.</summary>
    public static RowView Read(Packed packed) => new(packed.Slab.Bytes.AsSpan(packed.Offset, packed.Length));

    /// <summary>Gives a packed row's space back: written, or refused by the queue.</summary>
    public void Release(Packed packed)
    {
        lock (_gate)
        {
            var slab = packed.Slab;
            slab.Released++;
            if (slab.Sealed && slab.Released == slab.Reserved)
            {
                Recycle(slab);
            }
        }
    }

    /// <summary>Under the lock: a slab with room for <paramref name="length"/> bytes.</summary>
    private Slab Reserve(int length)
    {
        if (length > SlabBytes)
        {
            return new Slab(length);
        }

        if (_current is { } current && SlabBytes - current.Used >= length)
        {
            return current;
        }

        if (_current is { } full)
        {
            full.Sealed = true;
            if (full.Released == full.Reserved)
            {
                Recycle(full);
            }
        }

        _current = _free.TryPop(out var reused) ? reused : new Slab(SlabBytes);
        return _current;
    }

    private void Recycle(Slab slab)
    {
        if (slab.Bytes.Length != SlabBytes || _free.Count >= KeptFree)
        {
            return;
        }

        slab.Used = 0;
        slab.Reserved = 0;
        slab.Released = 0;
        slab.Sealed = false;
        _free.Push(slab);
    }
}
