using System.CommandLine;
using System.Text.Json;

namespace Kizuna.Server.Cli;

/// <summary>
/// One setting as the command line, the config file and the environment know it.
/// <paramref name="Unset"/> is what the help says an empty default means: "off" for a listener,
/// otherwise what the node does instead (a directory, a built-in file).
/// </summary>
public sealed record SettingDefinition(string Name, string Description, string Default, string Unset = "off")
{
    public string EnvironmentVariable => "KIZUNA_" + Name.Replace('-', '_').ToUpperInvariant();

    public Option<string?> CreateOption() => new("--" + Name)
    {
        Description = $"{Description} [default: {(Default.Length == 0 ? Unset : Default)}; file key \"{Name}\"; env {EnvironmentVariable}]",
    };
}

/// <summary>
/// Resolves settings in layers: flag, then environment variable, then config file, then default.
/// The config file is JSON with the setting names as keys (<c>{"cot-tcp": "127.0.0.1:8087"}</c>).
/// </summary>
public sealed class SettingSources
{
    private readonly IReadOnlyDictionary<string, string?> _file;
    private readonly Func<string, string?> _environment;

    private SettingSources(IReadOnlyDictionary<string, string?> file, Func<string, string?> environment)
    {
        _file = file;
        _environment = environment;
    }

    public string? ConfigFile { get; private init; }

    public static SettingSources Load(string? configPath, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        configPath ??= environment("KIZUNA_CONFIG");
        if (configPath is null && File.Exists("kizuna.json"))
        {
            configPath = "kizuna.json";
        }

        var file = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                throw new SettingsException($"config file '{configPath}' does not exist");
            }

            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    file[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Null => string.Empty,
                        _ => property.Value.GetRawText(),
                    };
                }
            }
            catch (JsonException ex)
            {
                throw new SettingsException($"config file '{configPath}' is not a JSON object of settings: {ex.Message}");
            }
        }

        return new SettingSources(file, environment) { ConfigFile = configPath };
    }

    public string Resolve(SettingDefinition setting, string? flagValue)
        => flagValue
           ?? _environment(setting.EnvironmentVariable)
           ?? (_file.TryGetValue(setting.Name, out var fromFile) ? fromFile : null)
           ?? setting.Default;
}
