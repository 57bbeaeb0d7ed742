using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kizuna.Core.Alliance;

/// <summary>
/// A JSON value that remembers the line it starts on. <see cref="ProfileJson.Read"/> builds a
/// tree of these so the validator can point every problem at its line in the profile file.
/// </summary>
internal sealed class ProfileJsonNode
{
    private ProfileJsonNode(JsonValueKind kind, int line)
    {
        Kind = kind;
        Line = line;
    }

    public JsonValueKind Kind { get; }

    /// <summary>1-based line of the value's first character.</summary>
    public int Line { get; }

    /// <summary>The string's value, or a number's or literal's text as written.</summary>
    public string? Text { get; private init; }

    public IReadOnlyList<ProfileJsonNode> Items { get; private init; } = [];

    public IReadOnlyList<ProfileJsonProperty> Properties { get; private init; } = [];

    /// <summary>How a problem message names the kind of value that was found instead of the expected one.</summary>
    public string Describe() => Kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{Text}\"",
        JsonValueKind.Number => $"the number {Text}",
        JsonValueKind.Null => "null",
        _ => Text ?? Kind.ToString(),
    };

    /// <summary>The first property of that name, if this is an object that has it.</summary>
    public ProfileJsonProperty? Property(string name)
    {
        foreach (var property in Properties)
        {
            if (string.Equals(property.Name, name, StringComparison.Ordinal))
            {
                return property;
            }
        }

        return null;
    }

    internal static ProfileJsonNode Scalar(JsonValueKind kind, int line, string? text) => new(kind, line) { Text = text };

    internal static ProfileJsonNode Array(int line, List<ProfileJsonNode> items) => new(JsonValueKind.Array, line) { Items = items };

    internal static ProfileJsonNode Object(int line, List<ProfileJsonProperty> properties) => new(JsonValueKind.Object, line) { Properties = properties };
}

/// <summary>A property of a JSON object: its name, the line the name is on, and its value.</summary>
internal sealed record ProfileJsonProperty(string Name, int Line, ProfileJsonNode Value);

/// <summary>
/// Reads JSON into <see cref="ProfileJsonNode"/>s over <see cref="Utf8JsonReader"/>, keeping each
/// token's line (from <see cref="Utf8JsonReader.TokenStartIndex"/> against the newline offsets).
/// Strict JSON: no comments, no trailing commas, at most 64 levels deep.
/// </summary>
internal static class ProfileJson
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>The tree, or null and the syntax error with its line.</summary>
    public static ProfileJsonNode? Read(ReadOnlySpan<byte> utf8, out ProfileProblem? syntaxError)
    {
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        syntaxError = null;
        var lineStarts = LineStarts(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        try
        {
            if (!reader.Read())
            {
                syntaxError = new ProfileProblem(1, "the file holds no JSON value (it is empty)");
                return null;
            }

            var root = ReadValue(ref reader, lineStarts);

            // Anything but whitespace after the root value makes the reader throw.
            reader.Read();
            return root;
        }
        catch (JsonException ex)
        {
            syntaxError = SyntaxProblem(ex, lineStarts.Length);
            return null;
        }
        catch (InvalidOperationException)
        {
            // GetString on a string that is not valid UTF-8; the reader is still on that token.
            syntaxError = new ProfileProblem(LineOf(lineStarts, reader.TokenStartIndex), "the text is not valid UTF-8");
            return null;
        }
    }

    private static ProfileProblem SyntaxProblem(JsonException ex, int lineCount)
    {
        var text = ex.Message;
        var position = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position >= 0)
        {
            text = text[..position];
        }

        var line = ex.LineNumber is { } zeroBased ? (int)Math.Min(zeroBased + 1, lineCount) : 1;
        var column = ex.BytePositionInLine is { } byteInLine ? string.Create(CultureInfo.InvariantCulture, $" (column {byteInLine + 1})") : string.Empty;
        return new ProfileProblem(line, $"JSON syntax error{column}: {text.TrimEnd()}");
    }

    private static int[] LineStarts(ReadOnlySpan<byte> utf8)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    private static int LineOf(int[] lineStarts, long offset)
    {
        var found = System.Array.BinarySearch(lineStarts, (int)offset);
        return (found >= 0 ? found : ~found - 1) + 1;
    }

    private static ProfileJsonNode ReadValue(ref Utf8JsonReader reader, int[] lineStarts)
    {
        var line = LineOf(lineStarts, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var properties = new List<ProfileJsonProperty>();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var nameLine = LineOf(lineStarts, reader.TokenStartIndex);
                    var name = reader.GetString()!;
                    reader.Read();
                    properties.Add(new ProfileJsonProperty(name, nameLine, ReadValue(ref reader, lineStarts)));
                }

                return ProfileJsonNode.Object(line, properties);
            case JsonTokenType.StartArray:
                var items = new List<ProfileJsonNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, lineStarts));
                }

                return ProfileJsonNode.Array(line, items);
            case JsonTokenType.String:
                return ProfileJsonNode.Scalar(JsonValueKind.String, line, reader.GetString());
            case JsonTokenType.Number:
                return ProfileJsonNode.Scalar(JsonValueKind.Number, line, Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.True:
                return ProfileJsonNode.Scalar(JsonValueKind.True, line, "true");
            case JsonTokenType.False:
                return ProfileJsonNode.Scalar(JsonValueKind.False, line, "false");
            default:
                return ProfileJsonNode.Scalar(JsonValueKind.Null, line, "null");
        }
    }
}
