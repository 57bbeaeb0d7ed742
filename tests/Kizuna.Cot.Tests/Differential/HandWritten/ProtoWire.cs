using System.Buffers.Binary;
using System.Text;

namespace Kizuna.Cot.Tests.Differential.HandWritten;

/// <summary>Protocol buffers wire format, the few pieces TAK protocol v1 needs, written by hand.</summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity = 512) => _buffer = new byte[capacity];

    public int Length => _length;
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Reset() => _length = 0;

    private Span<byte> Reserve(int n)
    {
        if (_length + n > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        }

        return _buffer.AsSpan(_length, n);
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void Varint(ulong value)
    {
        var span = Reserve(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _length += n;
    }

    public void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    public void String(int field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Tag(field, 2);
        var count = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
        _length += count;
    }

    public void UInt64(int field, ulong value)
    {
        if (value == 0)
        {
            return;
        }

        Tag(field, 0);
        Varint(value);
    }

    public void Double(int field, double value, bool always = false)
    {
        if (value == 0 && !always && !double.IsNegative(value))
        {
            return;
        }

        Tag(field, 1);
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
        _length += 8;
    }

    public void Message(int field, ProtoWriter nested)
    {
        Tag(field, 2);
        Varint((ulong)nested.Length);
        Raw(nested.Written);
    }

    public static int VarintSize(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }
}

/// <summary>Reads protobuf fields from a span; every malformation is a <see cref="CotFormatException"/>.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field == 0 || tag >> 3 > int.MaxValue)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a field number of 0");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new CotFormatException(CotRejectReason.BadProtobuf, "a varint runs past the message");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new CotFormatException(CotRejectReason.BadVarint, "a varint longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a length-delimited field runs past the message");
        }

        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    public string ReadString()
    {
        // Every string field of every message (event attributes, typed detail, xmlDetail, control)
        // obeys the same character rule as the XML decoder.
        var bytes = ReadBytes();
        switch (CotCharacters.Check(bytes))
        {
            case CharacterProblem.None:
                break;
            case CharacterProblem.InvalidUtf8:
                throw new CotFormatException(CotRejectReason.BadProtobuf, "a string is not valid UTF-8");
            default:
                throw new CotFormatException(CotRejectReason.ControlCharacter, "a string field holds control characters (only tab, line feed and carriage return are allowed, as in XML)");
        }

        return Encoding.UTF8.GetString(bytes);
    }

    public double ReadDouble()
    {
        if (_data.Length - _position < 8)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a double runs past the message");
        }

        var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: ReadBytes(); break;
            case 5: Advance(4); break;
            default: throw new CotFormatException(CotRejectReason.BadProtobuf, $"unsupported wire type {wireType}");
        }
    }

    private void Advance(int n)
    {
        if (_data.Length - _position < n)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a field runs past the message");
        }

        _position += n;
    }

    public static void Expect(int wireType, int expected)
    {
        if (wireType != expected)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, $"wire type {wireType} where {expected} was expected");
        }
    }
}
