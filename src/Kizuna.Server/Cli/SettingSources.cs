using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Kizuna.Server.Cli;

/// <summary>
/// One setting as the command line, the config file and the environment know it.
/// <paramref name="Unset"/> is what the help says an empty default means: "off" for a listener,
/// otherwise what the node does instead (a directory, a built-in file). A limit's
/// <paramref name="Default"/> is written from its home (<see cref="Text(TimeSpan)"/>), never typed twice.
/// </summary>
public sealed record SettingDefinition(string Name, string Description, string Default, string Unset = "off")
{
    public string EnvironmentVariable => "KIZUNA_" + Key.ToUpperInvariant();

    /// <summary>The setting's key in the configuration: its name with '_' for '-', so the environment's <c>KIZUNA_COT_TCP</c> and the file's <c>"cot-tcp"</c> are one key.</summary>
    public string Key => Name.Replace('-', '_');

    public Option<string?> CreateOption() => new("--" + Name)
    {
        Description = $"{Description} [default: {(Default.Length == 0 ? Unset : Default)}; file key \"{Name}\"; env {EnvironmentVariable}]",
    };

    /// <summary>A duration as operators write it and <see cref="NodeSettings.ParseDuration"/> reads it: 90s, 5m, 12h, 30d.</summary>
    public static string Text(TimeSpan span)
        => span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0}d"
            : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0}h"
            : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0}m"
            : span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Text(bool value) => value ? "true" : "false";
}

/// <summary>
/// The node's settings in layers, through <see cref="IConfiguration"/>: the config file, then the
/// environment (<c>KIZUNA_*</c>), then command-line flags (<see cref="Resolve"/>), then the
/// default. The config file is JSON with the setting names as keys (<c>{"cot-tcp": "127.0.0.1:8087"}</c>);
/// a JSON null or empty string turns a setting off, an array (federate-with) is kept as its JSON.
/// </summary>
public sealed class SettingSources
{
    private SettingSources(IConfiguration configuration, string? configFile)
    {
        Configuration = configuration;
        ConfigFile = configFile;
    }

    public string? ConfigFile { get; }

    /// <summary>The file and the environment, the environment winning; keys are <see cref="SettingDefinition.Key"/>.</summary>
    public IConfiguration Configuration { get; }

    /// <param name="environment">The environment to read; null reads the process's (Microsoft.Extensions.Configuration's environment provider).</param>
    public static SettingSources Load(string? configPath, Func<string, string?>? environment = null)
    {
        configPath ??= (environment ?? Environment.GetEnvironmentVariable)("KIZUNA_CONFIG");
        if (configPath is null && File.Exists("kizuna.json"))
        {
            configPath = "kizuna.json";
        }

        var builder = new ConfigurationBuilder();
        if (configPath is not null)
        {
            builder.AddInMemoryCollection(ReadFile(configPath));
        }

        if (environment is null)
        {
            builder.AddEnvironmentVariables("KIZUNA_");
        }
        else
        {
            builder.Add(new FunctionEnvironmentSource(environment));
        }

        return new SettingSources(builder.Build(), configPath);
    }

    public string Resolve(SettingDefinition setting, string? flagValue)
        => flagValue ?? Configuration[setting.Key] ?? setting.Default;

    /// <summary>The file's settings by key: a string as it is, null as empty (off), anything else as its JSON text.</summary>
    private static Dictionary<string, string?> ReadFile(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new SettingsException($"config file '{configPath}' does not exist");
        }

        var file = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                file[property.Name.Replace('-', '_')] = property.Value.ValueKind switch
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
        catch (InvalidOperationException ex)
        {
            throw new SettingsException($"config file '{configPath}' is not a JSON object of settings: {ex.Message}");
        }

        return file;
    }

    /// <summary>An environment given as a function (tests, a supervisor's own): each <c>KIZUNA_*</c> variable of a known setting.</summary>
    private sealed class FunctionEnvironmentSource(Func<string, string?> environment) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(environment);

        private sealed class Provider(Func<string, string?> environment) : ConfigurationProvider
        {
            public override bool TryGet(string key, out string? value)
            {
                value = environment("KIZUNA_" + key.ToUpperInvariant());
                return value is not null;
            }
        }
    }
}
