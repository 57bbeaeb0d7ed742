using System.Text;

namespace Kizuna.Cot.Tests;

/// <summary>Protobuf bytes built and read by hand, independent of the codec under test.</summary>
internal static class ProtoBytes
{
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    public static byte[] Tag(int field, int wire) => Varint((ulong)((field << 3) | wire));

    public static byte[] Str(int field, string text) => Bytes(field, Encoding.UTF8.GetBytes(text));

    public static byte[] Bytes(int field, byte[] payload) => [.. Tag(field, 2), .. Varint((ulong)payload.Length), .. payload];

    public static byte[] UInt(int field, ulong value) => [.. Tag(field, 0), .. Varint(value)];

    public static byte[] Double(int field, double value) => [.. Tag(field, 1), .. BitConverter.GetBytes(value)];

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public static byte[] Frame(byte[] payload) => [0xBF, .. Varint((ulong)payload.Length), .. payload];

    /// <summary>The top-level fields of a message, in order: number, wire type and raw value bytes.</summary>
    public static List<(int Field, int Wire, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, int, byte[])>();
        var i = 0;
        while (i < message.Length)
        {
            var tag = ReadVarint(message, ref i);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    var start = i;
                    ReadVarint(message, ref i);
                    fields.Add((field, wire, message[start..i]));
                    break;
                case 1:
                    fields.Add((field, wire, message[i..(i + 8)]));
                    i += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    fields.Add((field, wire, message[i..(i + length)]));
                    i += length;
                    break;
                default:
                    throw new InvalidOperationException($"wire type {wire}");
            }
        }

        return fields;
    }

    /// <summary>The value of the first field with this number, or null.</summary>
    public static byte[]? Field(byte[] message, int field) => Fields(message).Where(f => f.Field == field).Select(f => f.Value).FirstOrDefault();

    /// <summary>TakMessage.cotEvent (2) → detail (15).</summary>
    public static byte[] DetailOf(byte[] takMessage) => Field(Field(takMessage, 2)!, 15) ?? [];

    /// <summary>TakMessage.cotEvent (2) → detail (15) → xmlDetail (1), as text.</summary>
    public static string XmlDetailOf(byte[] takMessage) => Encoding.UTF8.GetString(Field(DetailOf(takMessage), 1) ?? []);

    private static ulong ReadVarint(byte[] bytes, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
