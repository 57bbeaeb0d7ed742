using System.Buffers;

namespace Kizuna.Cot;

/// <summary>What <see cref="CotCharacters.Check"/> found.</summary>
public enum CharacterProblem
{
    None,
    ControlCharacter,
    InvalidUtf8,
}

/// <summary>
/// The one character rule for every string a decoder takes from a client, whatever the wire
/// (CoT XML, TAK protocol v1 protobuf, a protobuf event's xmlDetail): valid UTF-8, and no C0
/// control character other than tab, line feed and carriage return (the characters XML 1.0
/// forbids; NUL and ESC among them, so no client ever receives a control sequence another sent).
/// Character references in XML obey the same rule.
/// </summary>
public static class CotCharacters
{
    private static readonly SearchValues<byte> ControlBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    /// <summary>Whether <paramref name="utf8"/> is text by the rule, and if not, what is wrong with it.</summary>
    public static CharacterProblem Check(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOfAny(ControlBytes) >= 0)
        {
            return CharacterProblem.ControlCharacter;
        }

        return System.Text.Unicode.Utf8.IsValid(utf8) ? CharacterProblem.None : CharacterProblem.InvalidUtf8;
    }

    /// <summary>Whether a character reference (<c>&amp;#N;</c>) may stand for this code point.</summary>
    public static bool IsAllowed(uint codePoint)
        => codePoint <= 0x10FFFF && (codePoint >= 0x20 || codePoint is 9 or 10 or 13) && codePoint is not (>= 0xD800 and <= 0xDFFF);
}
