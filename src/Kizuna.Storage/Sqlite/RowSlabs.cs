using System.Buffers.Binary;
using System.Text;
using Kizuna.Core.Storage;

namespace Kizuna.Storage.Sqlite;

/// <summary>One event as the history writes it: the values of its row, decoded by the writer.</summary>
internal readonly record struct PendingRow(
    string Uid, string Type, long Time, long Start, long Stale, long ReceivedAt, string Sender, double Lat, double Lon, string Xml);

/// <summary>
/// The write queue's events, packed as the bytes of their rows into reused 1 MiB slabs instead of
/// being kept as parsed events. Under a saturating feed the queue holds up to
/// <see cref="SqliteStoreOptions.BackpressureThreshold"/> events for seconds; as parsed events (a
/// dozen objects each) they lived long enough to be promoted, and copying and marking them was
/// most of the garbage collector's pauses, which stop the missile warning path too
/// (bench/README.md, "The history's backlog as bytes"). Slabs live in the large object heap and are
/// reused, so a backlog costs the collector next to nothing.
/// </summary>
/// <remarks>
/// Many appenders pack under one short lock; the one writer decodes a row and gives its space
/// back. A slab goes back to the pool once it is full and every row in it was taken.
/// </remarks>
internal sealed class RowSlabs
{
    internal const int SlabBytes = 1 << 20;

    // time, start, stale, received_at (int64), lat, lon (float64), then the byte lengths of uid, type, sender, xml (int32).
    private const int HeaderBytes = (6 * sizeof(long)) + (4 * sizeof(int));

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
        public int Taken { get; set; }
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
        var length = HeaderBytes + uidBytes + typeBytes + senderBytes + xml.Length;
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
            BinaryPrimitives.WriteInt32LittleEndian(row[48..], uidBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[52..], typeBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[56..], senderBytes);
            BinaryPrimitives.WriteInt32LittleEndian(row[60..], xml.Length);
            var text = row[HeaderBytes..];
            text = text[Encoding.UTF8.GetBytes(evt.Uid, text)..];
            text = text[Encoding.UTF8.GetBytes(evt.Type, text)..];
            text = text[Encoding.UTF8.GetBytes(stored.Sender, text)..];
            xml.CopyTo(text);
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

    /// <summary>Decodes a packed row and gives its space back.</summary>
    public PendingRow Take(Packed packed)
    {
        var row = packed.Slab.Bytes.AsSpan(packed.Offset, packed.Length);
        var uidBytes = BinaryPrimitives.ReadInt32LittleEndian(row[48..]);
        var typeBytes = BinaryPrimitives.ReadInt32LittleEndian(row[52..]);
        var senderBytes = BinaryPrimitives.ReadInt32LittleEndian(row[56..]);
        var xmlBytes = BinaryPrimitives.ReadInt32LittleEndian(row[60..]);
        var text = row[HeaderBytes..];
        var decoded = new PendingRow(
            Uid: Encoding.UTF8.GetString(text[..uidBytes]),
            Type: Encoding.UTF8.GetString(text.Slice(uidBytes, typeBytes)),
            Time: BinaryPrimitives.ReadInt64LittleEndian(row),
            Start: BinaryPrimitives.ReadInt64LittleEndian(row[8..]),
            Stale: BinaryPrimitives.ReadInt64LittleEndian(row[16..]),
            ReceivedAt: BinaryPrimitives.ReadInt64LittleEndian(row[24..]),
            Sender: Encoding.UTF8.GetString(text.Slice(uidBytes + typeBytes, senderBytes)),
            Lat: BinaryPrimitives.ReadDoubleLittleEndian(row[32..]),
            Lon: BinaryPrimitives.ReadDoubleLittleEndian(row[40..]),
            Xml: Encoding.UTF8.GetString(text.Slice(uidBytes + typeBytes + senderBytes, xmlBytes)));
        Release(packed);
        return decoded;
    }

    /// <summary>Gives a packed row's space back without decoding it (the queue refused it).</summary>
    public void Release(Packed packed)
    {
        lock (_gate)
        {
            var slab = packed.Slab;
            slab.Taken++;
            if (slab.Sealed && slab.Taken == slab.Reserved)
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
            if (full.Taken == full.Reserved)
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
        slab.Taken = 0;
        slab.Sealed = false;
        _free.Push(slab);
    }
}
