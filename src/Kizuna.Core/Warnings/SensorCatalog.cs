using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Kizuna.Core.Alliance;

namespace Kizuna.Core.Warnings;

/// <summary>
/// One known missile warning sensor: its id as reports name it, its nation, what kind of sensor
/// it is, its public name, and the organization of the alliance profile that operates it (whose
/// sensor feeds may report for it).
/// </summary>
public sealed record Sensor(string Id, string Nation, string Kind, string Name, string Operator);

/// <summary>A sensor catalog that cannot be used; the message names the source and what is wrong.</summary>
public sealed class SensorCatalogException(string message) : Exception(message);

/// <summary>
/// The sensors whose reports the node accepts (<c>profiles/sensors-*.json</c>, format
/// <c>kizuna-sensor-catalog</c>). A report naming a sensor that is not here, or naming it with
/// another nation than the catalog's, is refused (see docs/warnings.md). The US–Japan–ROK
/// catalog is embedded in this assembly under its own resource names, apart from the alliance
/// profiles, so the profile loader never reads it.
/// </summary>
public sealed class SensorCatalog
{
    public const string DefaultName = "sensors-us-jpn-kor";

    /// <summary>The value of a catalog's <c>"format"</c>.</summary>
    public const string Format = "kizuna-sensor-catalog";

    /// <summary>The <c>"formatVersion"</c> this build reads: 2 added each sensor's <c>"operator"</c>.</summary>
    public const int FormatVersion = 2;

    private const string ResourcePrefix = "Kizuna.Core.Warnings.Sensors.";

    private readonly Dictionary<string, Sensor> _byId;

    public SensorCatalog(string id, IEnumerable<Sensor> sensors)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(sensors);
        Id = id;
        _byId = new Dictionary<string, Sensor>(StringComparer.Ordinal);
        foreach (var sensor in sensors)
        {
            if (!_byId.TryAdd(sensor.Id, sensor))
            {
                throw new ArgumentException($"Sensor '{sensor.Id}' is listed twice.", nameof(sensors));
            }
        }

        Sensors = [.. _byId.Values];
    }

    public string Id { get; }

    /// <summary>Every sensor, in the catalog's order.</summary>
    public IReadOnlyList<Sensor> Sensors { get; }

    /// <summary>A sensor by its id (exact, case-sensitive).</summary>
    public bool TryFind(string id, [NotNullWhen(true)] out Sensor? sensor) => _byId.TryGetValue(id, out sensor);

    /// <summary>The US–Japan–ROK catalog built into Kizuna.</summary>
    public static SensorCatalog LoadDefault() => LoadEmbedded(DefaultName);

    /// <summary>A catalog built into Kizuna, by name (<see cref="DefaultName"/>).</summary>
    public static SensorCatalog LoadEmbedded(string name)
    {
        using var stream = typeof(SensorCatalog).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new SensorCatalogException($"embedded:{name}: no sensor catalog of that name is built into Kizuna (built in: {DefaultName})");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "embedded:" + name);
    }

    /// <summary>A catalog from a file; the path names it in problem messages.</summary>
    public static SensorCatalog LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SensorCatalogException($"{path}: cannot read the sensor catalog: {ex.Message}");
        }

        return Parse(json, path);
    }

    /// <summary>A catalog from JSON text; <paramref name="source"/> names it in problem messages.</summary>
    public static SensorCatalog Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new SensorCatalogException($"{source}: not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Problem(source, "a sensor catalog is a JSON object");
            }

            if (String(root, "format") != Format)
            {
                throw Problem(source, $"\"format\" must be \"{Format}\" (is this an alliance profile?)");
            }

            if (!root.TryGetProperty("formatVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != FormatVersion)
            {
                throw Problem(source, $"\"formatVersion\" must be {FormatVersion}");
            }

            var id = String(root, "id") ?? throw Problem(source, "\"id\" is missing");
            if (!root.TryGetProperty("sensors", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw Problem(source, "\"sensors\" must be an array");
            }

            var sensors = new List<Sensor>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"sensors[{index++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Problem(source, $"{where} must be an object");
                }

                var sensorId = String(item, "id");
                var nation = String(item, "nation");
                var kind = String(item, "kind");
                var name = String(item, "name");
                var @operator = String(item, "operator");
                if (string.IsNullOrWhiteSpace(sensorId) || string.IsNullOrWhiteSpace(nation) || string.IsNullOrWhiteSpace(kind) || string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(@operator))
                {
                    throw Problem(source, $"{where} needs \"id\", \"nation\", \"kind\", \"name\" and \"operator\"");
                }

                if (nation.Length != 3 || !nation.All(char.IsAsciiLetterUpper))
                {
                    throw Problem(source, $"{where}: nation '{nation}' is not a trigraph such as JPN");
                }

                if (!seen.Add(sensorId))
                {
                    throw Problem(source, $"{where}: sensor id '{sensorId}' is listed twice");
                }

                sensors.Add(new Sensor(sensorId, nation, kind, name, @operator));
            }

            return new SensorCatalog(id, sensors);
        }
    }

    /// <summary>
    /// What does not fit <paramref name="profile"/>: each sensor whose operator is not an
    /// organization of the profile of the sensor's nation. Such a sensor can be fed only by an
    /// identity holding its <c>sensor:ID</c> authorization. Empty when everything fits.
    /// </summary>
    public IReadOnlyList<string> ProblemsWith(AllianceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problems = new List<string>();
        foreach (var sensor in Sensors)
        {
            if (profile.FindOrganization(sensor.Operator) is not { } organization)
            {
                problems.Add($"sensor {sensor.Id}: operator '{sensor.Operator}' is not an organization of the alliance profile {profile.Id}");
            }
            else if (!organization.Nations.Contains(sensor.Nation, StringComparer.Ordinal))
            {
                problems.Add($"sensor {sensor.Id}: operator {organization.Id} is not an organization of {sensor.Nation}");
            }
        }

        return problems;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static SensorCatalogException Problem(string source, string message) => new($"{source}: {message}");
}
