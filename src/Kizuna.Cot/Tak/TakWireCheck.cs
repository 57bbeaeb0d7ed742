using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Kizuna.Cot.Tak;

/// <summary>
/// What the node asks of a TakMessage's bytes before the generated parser reads them, where
/// protobuf itself is lenient: a known field with the wrong wire type is refused (the generated
/// parser would keep it as an unknown field and leave the known one at its default), every string
/// of every message obeys the XML decoder's character rule (<see cref="CotCharacters"/>), and every
/// malformation is a <see cref="CotFormatException"/> with the node's reason. The rules come from
/// the schema's descriptors (schemas/tak/takmessage.proto), so no field number is written twice.
/// </summary>
internal static class TakWireCheck
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private static readonly Rules TakMessageRules = Rules.For(Atakmap.Commoncommo.Protobuf.V1.TakMessage.Descriptor);

    /// <summary>Throws <see cref="CotFormatException"/> unless <paramref name="payload"/> is a TakMessage the node may parse.</summary>
    public static void Check(ReadOnlySpan<byte> payload) => Walk(payload, TakMessageRules);

    private static void Walk(ReadOnlySpan<byte> data, Rules rules)
    {
        var position = 0;
        while (position < data.Length)
        {
            var tag = ReadVarint(data, ref position);
            var field = tag >> 3;
            var wire = (int)(tag & 7);
            if (field == 0 || field > int.MaxValue)
            {
                throw new CotFormatException(CotRejectReason.BadProtobuf, "a field number of 0");
            }

            var rule = rules.Of((int)field);
            if (rule is { } known && known.Wire != wire)
            {
                throw new CotFormatException(CotRejectReason.BadProtobuf, $"wire type {wire} where {known.Wire} was expected");
            }

            switch (wire)
            {
                case Varint:
                    ReadVarint(data, ref position);
                    break;
                case Fixed64:
                    Advance(data, ref position, 8);
                    break;
                case Fixed32:
                    Advance(data, ref position, 4);
                    break;
                case LengthDelimited:
                    var length = ReadVarint(data, ref position);
                    if (length > (ulong)(data.Length - position))
                    {
                        throw new CotFormatException(CotRejectReason.BadProtobuf, "a length-delimited field runs past the message");
                    }

                    var value = data.Slice(position, (int)length);
                    position += (int)length;
                    if (rule?.Nested is { } nested)
                    {
                        Walk(value, nested);
                    }
                    else if (rule?.IsString == true)
                    {
                        CheckCharacters(value);
                    }

                    break;
                default:
                    throw new CotFormatException(CotRejectReason.BadProtobuf, $"unsupported wire type {wire}");
            }
        }
    }

    private static void CheckCharacters(ReadOnlySpan<byte> utf8)
    {
        switch (CotCharacters.Check(utf8))
        {
            case CharacterProblem.None:
                return;
            case CharacterProblem.InvalidUtf8:
                throw new CotFormatException(CotRejectReason.BadProtobuf, "a string is not valid UTF-8");
            default:
                throw new CotFormatException(CotRejectReason.ControlCharacter, "a string field holds control characters (only tab, line feed and carriage return are allowed, as in XML)");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new CotFormatException(CotRejectReason.BadProtobuf, "a varint runs past the message");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new CotFormatException(CotRejectReason.BadVarint, "a varint longer than 10 bytes");
    }

    private static void Advance(ReadOnlySpan<byte> data, ref int position, int n)
    {
        if (data.Length - position < n)
        {
            throw new CotFormatException(CotRejectReason.BadProtobuf, "a field runs past the message");
        }

        position += n;
    }

    /// <summary>A known field: the wire type its declared type is written with, and what to check inside it.</summary>
    private sealed record Rule(int Wire, bool IsString, Rules? Nested);

    /// <summary>One message's known fields by number, built once from its descriptor.</summary>
    private sealed class Rules
    {
        private readonly Rule?[] _byNumber;

        private Rules(int highest) => _byNumber = new Rule?[highest + 1];

        public Rule? Of(int field) => field < _byNumber.Length ? _byNumber[field] : null;

        public static Rules For(MessageDescriptor message)
        {
            var rules = new Rules(message.Fields.InDeclarationOrder().Max(f => f.FieldNumber));
            foreach (var f in message.Fields.InDeclarationOrder())
            {
                if (f.IsRepeated)
                {
                    // TAK protocol v1 has none; a packed repeated field would need its own rule.
                    throw new NotSupportedException($"{message.Name}.{f.Name} is repeated");
                }

                rules._byNumber[f.FieldNumber] = f.FieldType switch
                {
                    FieldType.Message => new Rule(LengthDelimited, false, For(f.MessageType)),
                    FieldType.String => new Rule(LengthDelimited, true, null),
                    FieldType.Bytes => new Rule(LengthDelimited, false, null),
                    FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => new Rule(Fixed64, false, null),
                    FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => new Rule(Fixed32, false, null),
                    _ => new Rule(Varint, false, null),
                };
            }

            return rules;
        }
    }
}
