using System.Text;

namespace Kizuna.Core.Alliance;

/// <summary>
/// Loads alliance profiles (<c>profiles/*.json</c>, format <c>kizuna-alliance-profile</c>) and refuses a bad
/// one with every problem listed by line (<see cref="ProfileException"/>). The default profile,
/// US–Japan–ROK, is embedded in this assembly so a node works from any directory.
/// See <c>docs/alliance-profile.md</c> for the format and the rules.
/// </summary>
public static class ProfileLoader
{
    public const string DefaultProfileName = "us-jpn-kor";

    /// <summary>The value of a profile's <c>"format"</c>.</summary>
    public const string Format = "kizuna-alliance-profile";

    /// <summary>The <c>"formatVersion"</c> this build reads.</summary>
    public const int FormatVersion = 1;

    private const string ResourcePrefix = "Kizuna.Core.Alliance.Profiles.";

    /// <summary>The US–Japan–ROK profile built into Kizuna.</summary>
    public static AllianceProfile LoadDefault() => LoadEmbedded(DefaultProfileName);

    /// <summary>A profile built into Kizuna, by name (<see cref="DefaultProfileName"/>).</summary>
    public static AllianceProfile LoadEmbedded(string name)
    {
        var source = "embedded:" + name;
        using var stream = typeof(ProfileLoader).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new ProfileException(source, [new ProfileProblem(0, $"no profile named '{name}' is built into Kizuna (built in: {DefaultProfileName})")]);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), source);
    }

    /// <summary>A profile from a file; the path is the source that problems are reported against.</summary>
    public static AllianceProfile LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ProfileException(path, [new ProfileProblem(0, "cannot read the profile: " + ex.Message)]);
        }

        return Parse(bytes, path);
    }

    /// <summary>A profile from JSON text; <paramref name="source"/> names it in problem messages.</summary>
    public static AllianceProfile Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json.TrimStart('\uFEFF')), source);
    }

    /// <summary>A profile from UTF-8 JSON; <paramref name="source"/> names it in problem messages.</summary>
    public static AllianceProfile Parse(ReadOnlySpan<byte> utf8Json, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var root = ProfileJson.Read(utf8Json, out var syntaxError);
        if (root is null)
        {
            throw new ProfileException(source, [syntaxError!]);
        }

        var validator = new ProfileValidator(source);
        var profile = validator.Validate(root);
        if (profile is null)
        {
            throw new ProfileException(source, validator.Problems);
        }

        return profile;
    }
}
