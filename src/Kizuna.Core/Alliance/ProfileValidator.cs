using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kizuna.Core.Alliance;

/// <summary>
/// Turns a profile's JSON tree into an <see cref="AllianceProfile"/>, collecting every problem
/// with its line instead of stopping at the first. The rules are listed in docs/alliance-profile.md.
/// </summary>
internal sealed partial class ProfileValidator
{
    private const string CombinedCommandKind = "combined-command";

    private static readonly string[] TopLevelProperties =
        ["format", "formatVersion", "id", "name", "version", "policy", "classifications", "nations", "organizations", "relationships", "counterparts", "federation", "readiness"];

    private static readonly string[] NationProperties = ["code", "name"];

    private static readonly string[] OrganizationProperties =
        ["id", "name", "nation", "nations", "kind", "defaultClassification", "mayReleaseTo", "names"];

    private static readonly string[] RelationshipProperties = ["superior", "subordinate", "kind", "from", "until", "note"];

    private static readonly string[] CounterpartProperties = ["a", "b", "note"];

    private readonly string _source;
    private readonly List<ProfileProblem> _problems = [];
    private readonly List<string> _classifications = [];
    private readonly List<Nation> _nations = [];
    private readonly Dictionary<string, int> _nationLines = new(StringComparer.Ordinal);
    private readonly List<Organization> _organizations = [];
    private readonly Dictionary<string, (Organization Organization, int Line)> _organizationIndex = new(StringComparer.Ordinal);
    private readonly List<(CommandRelationship Relationship, int Line)> _relationships = [];
    private readonly List<CounterpartPair> _counterparts = [];

    public ProfileValidator(string source) => _source = source;

    /// <summary>Every problem found, in line order.</summary>
    public IReadOnlyList<ProfileProblem> Problems => [.. _problems.OrderBy(p => p.Line)];

    /// <summary>The profile, or null when there are <see cref="Problems"/>.</summary>
    public AllianceProfile? Validate(ProfileJsonNode root)
    {
        if (root.Kind != JsonValueKind.Object)
        {
            Problem(root.Line, $"a profile is a JSON object, but the file holds {root.Describe()}");
            return null;
        }

        CheckProperties(root, "the profile", TopLevelProperties);
        if (!CheckFormat(root))
        {
            // Another format, or a version this build does not know: its other fields mean something else.
            return null;
        }

        var id = RequiredString(root, "id", "the profile");
        var name = RequiredString(root, "name", "the profile");
        var version = RequiredString(root, "version", "the profile");
        var policy = RequiredString(root, "policy", "the profile");
        ReadClassifications(root);
        ReadNations(root);
        foreach (var item in RequiredArray(root, "organizations", "the profile"))
        {
            ReadOrganization(item);
        }

        foreach (var item in RequiredArray(root, "relationships", "the profile"))
        {
            ReadRelationship(item);
        }

        foreach (var item in RequiredArray(root, "counterparts", "the profile"))
        {
            ReadCounterpart(item);
        }

        CheckCommandAcrossNations();
        CheckTwoCommanders();
        CheckCycles();
        var federation = ReadFederation(root);
        var readinessInterval = ReadReadinessInterval(root);

        if (_problems.Count > 0)
        {
            return null;
        }

        return new AllianceProfile(
            id!, name!, version!, policy!, [.. _classifications], [.. _nations], [.. _organizations],
            [.. _relationships.Select(r => r.Relationship)], [.. _counterparts], _source, federation)
        {
            ReadinessInterval = readinessInterval,
        };
    }

    private bool CheckFormat(ProfileJsonNode root)
    {
        var ok = true;
        if (root.Property("format") is not { } format)
        {
            Problem(root.Line, $"the profile has no \"format\": a profile declares \"format\": \"{ProfileLoader.Format}\"");
        }
        else if (format.Value.Kind != JsonValueKind.String || !string.Equals(format.Value.Text, ProfileLoader.Format, StringComparison.Ordinal))
        {
            Problem(format.Value.Line, $"\"format\" is {format.Value.Describe()}, but an alliance profile declares \"format\": \"{ProfileLoader.Format}\"");
            ok = false;
        }

        if (root.Property("formatVersion") is not { } formatVersion)
        {
            Problem(root.Line, $"the profile has no \"formatVersion\": this Kizuna reads \"formatVersion\": {ProfileLoader.FormatVersion}");
        }
        else if (formatVersion.Value.Kind != JsonValueKind.Number
            || !int.TryParse(formatVersion.Value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number != ProfileLoader.FormatVersion)
        {
            Problem(formatVersion.Value.Line, $"\"formatVersion\" is {formatVersion.Value.Describe()}, but this Kizuna reads only formatVersion {ProfileLoader.FormatVersion}");
            ok = false;
        }

        return ok;
    }

    private void ReadClassifications(ProfileJsonNode root)
    {
        var items = RequiredArray(root, "classifications", "the profile");
        if (items.Count == 0 && root.Property("classifications") is { } property)
        {
            Problem(property.Value.Line, "\"classifications\" is empty: list the profile's classifications, lowest first");
        }

        foreach (var item in items)
        {
            if (StringValue(item, "a classification") is not { } classification)
            {
                continue;
            }

            if (_classifications.Contains(classification, StringComparer.Ordinal))
            {
                Problem(item.Line, $"classification {classification} is listed twice");
                continue;
            }

            _classifications.Add(classification);
        }
    }

    private void ReadNations(ProfileJsonNode root)
    {
        var items = RequiredArray(root, "nations", "the profile");
        if (items.Count == 0 && root.Property("nations") is { } property)
        {
            Problem(property.Value.Line, "\"nations\" is empty: a profile has at least one nation");
        }

        foreach (var item in items)
        {
            if (!IsObject(item, "a nation"))
            {
                continue;
            }

            CheckProperties(item, "a nation", NationProperties);
            var code = RequiredString(item, "code", "a nation");
            var name = RequiredString(item, "name", $"nation {code ?? "(no code)"}");
            if (code is null)
            {
                continue;
            }

            var codeLine = item.Property("code")!.Value.Line;
            if (!NationCodePattern().IsMatch(code))
            {
                Problem(codeLine, $"nation code \"{code}\" is not an ISO 3166-1 alpha-3 code: three uppercase letters, such as USA, JPN or KOR");
                continue;
            }

            if (_nationLines.TryGetValue(code, out var firstLine))
            {
                Problem(codeLine, $"nation {code} is defined twice (first on line {firstLine})");
                continue;
            }

            _nationLines[code] = codeLine;
            if (name is not null)
            {
                _nations.Add(new Nation(code, name));
            }
        }
    }

    private void ReadOrganization(ProfileJsonNode item)
    {
        if (!IsObject(item, "an organization"))
        {
            return;
        }

        var id = RequiredString(item, "id", "an organization");
        var context = id is null ? "an organization" : $"organization {id}";
        CheckProperties(item, context, OrganizationProperties);
        var valid = id is not null;
        if (id is not null && !OrganizationIdPattern().IsMatch(id))
        {
            Problem(item.Property("id")!.Value.Line, $"organization id \"{id}\" may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit");
            valid = false;
        }

        var name = RequiredString(item, "name", context);
        var nations = ReadOrganizationNations(item, context);
        var kind = RequiredString(item, "kind", context);
        if (kind is not null && nations is not null)
        {
            var combinedKind = string.Equals(kind, CombinedCommandKind, StringComparison.Ordinal);
            var kindLine = item.Property("kind")!.Value.Line;
            if (combinedKind && nations.Count < 2)
            {
                Problem(kindLine, $"{context} is a combined command but lists one nation: a combined command lists every nation that staffs it in \"nations\"");
            }
            else if (!combinedKind && nations.Count > 1)
            {
                Problem(kindLine, $"{context} lists several nations but its kind is \"{kind}\": an organization of several nations is a \"{CombinedCommandKind}\"");
            }
        }

        var classification = RequiredString(item, "defaultClassification", context);
        if (classification is not null && _classifications.Count > 0 && !_classifications.Contains(classification, StringComparer.Ordinal))
        {
            Problem(
                item.Property("defaultClassification")!.Value.Line,
                $"unknown classification \"{classification}\" as the defaultClassification of {context}: the profile's classifications are {string.Join(", ", _classifications)}");
        }

        var mayReleaseTo = ReadMayReleaseTo(item, context, nations);
        var localNames = ReadLocalNames(item, context);

        if (!valid)
        {
            return;
        }

        if (_organizationIndex.TryGetValue(id!, out var first))
        {
            Problem(item.Property("id")!.Value.Line, $"organization id {id} is used twice (first on line {first.Line})");
            return;
        }

        var organization = new Organization(
            id!, name ?? id!, nations ?? [], kind ?? string.Empty, classification ?? string.Empty,
            mayReleaseTo ?? [.. _nations.Select(n => n.Code)], localNames);
        _organizationIndex[id!] = (organization, item.Property("id")!.Value.Line);
        _organizations.Add(organization);
    }

    private List<string>? ReadOrganizationNations(ProfileJsonNode item, string context)
    {
        var single = item.Property("nation");
        var several = item.Property("nations");
        if (single is not null && several is not null)
        {
            Problem(several.Line, $"{context} has both \"nation\" and \"nations\": give one nation, or \"nations\" for a combined command");
            return null;
        }

        if (single is null && several is null)
        {
            Problem(item.Line, $"{context} has no \"nation\" (or \"nations\" for a combined command)");
            return null;
        }

        if (single is not null)
        {
            return StringValue(single.Value, $"the \"nation\" of {context}") is { } code && NationReference(code, single.Value.Line, $"the nation of {context}")
                ? [code]
                : null;
        }

        if (several!.Value.Kind != JsonValueKind.Array || several.Value.Items.Count == 0)
        {
            Problem(several.Value.Line, $"\"nations\" of {context} must be a non-empty array of nation codes, but it is {several.Value.Describe()}");
            return null;
        }

        return NationList(several.Value, $"the nations of {context}");
    }

    private List<string>? ReadMayReleaseTo(ProfileJsonNode item, string context, List<string>? ownNations)
    {
        if (item.Property("mayReleaseTo") is not { } property)
        {
            return null;
        }

        if (property.Value.Kind != JsonValueKind.Array)
        {
            Problem(property.Value.Line, $"\"mayReleaseTo\" of {context} must be an array of nation codes, but it is {property.Value.Describe()}");
            return null;
        }

        var codes = NationList(property.Value, $"mayReleaseTo of {context}");
        if (codes is not null && ownNations is not null)
        {
            foreach (var own in ownNations.Where(own => !codes.Contains(own, StringComparer.Ordinal)))
            {
                Problem(property.Value.Line, $"mayReleaseTo of {context} leaves out its own nation {own}: an organization's data is always releasable to its own nation");
            }
        }

        return codes;
    }

    private Dictionary<string, string> ReadLocalNames(ProfileJsonNode item, string context)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.Property("names") is not { } property)
        {
            return names;
        }

        if (property.Value.Kind != JsonValueKind.Object)
        {
            Problem(property.Value.Line, $"\"names\" of {context} must be an object of local names by language (\"ja\", \"ko\", \"en\"), but it is {property.Value.Describe()}");
            return names;
        }

        foreach (var name in property.Value.Properties)
        {
            if (!LanguagePattern().IsMatch(name.Name))
            {
                Problem(name.Line, $"\"{name.Name}\" in the names of {context} is not a language code such as ja, ko or en");
                continue;
            }

            if (names.ContainsKey(name.Name))
            {
                Problem(name.Line, $"the {name.Name} name of {context} is given twice");
                continue;
            }

            if (StringValue(name.Value, $"the {name.Name} name of {context}") is { } text)
            {
                names[name.Name] = text;
            }
        }

        return names;
    }

    private void ReadRelationship(ProfileJsonNode item)
    {
        if (!IsObject(item, "a relationship"))
        {
            return;
        }

        const string Context = "a relationship";
        CheckProperties(item, Context, RelationshipProperties);
        var superior = OrganizationReference(item, "superior", Context);
        var subordinate = OrganizationReference(item, "subordinate", Context);
        var kindText = RequiredString(item, "kind", Context);
        RelationshipKind? kind = null;
        if (kindText is not null)
        {
            if (RelationshipKinds.TryParse(kindText, out var parsed))
            {
                kind = parsed;
            }
            else
            {
                Problem(
                    item.Property("kind")!.Value.Line,
                    $"unknown relationship kind \"{kindText}\": use one of {string.Join(", ", Enum.GetValues<RelationshipKind>().Select(k => k.ToProfileName()))}");
            }
        }

        var from = OptionalDate(item, "from");
        var until = OptionalDate(item, "until");
        var datesOk = from.Ok && until.Ok;
        if (from.Date is { } start && until.Date is { } end && end <= start)
        {
            Problem(item.Property("until")!.Value.Line, $"the relationship ends (until {Day(end)}) on or before the day it starts (from {Day(start)}): \"until\" is exclusive and must come after \"from\"");
            datesOk = false;
        }

        string? note = null;
        if (item.Property("note") is { } noteProperty)
        {
            note = StringValue(noteProperty.Value, "the note of a relationship");
        }

        if (superior is null || subordinate is null || kind is null || !datesOk)
        {
            return;
        }

        if (string.Equals(superior, subordinate, StringComparison.Ordinal))
        {
            Problem(item.Line, $"{superior} cannot hold {kind.Value.ToProfileName()} over itself");
            return;
        }

        _relationships.Add((new CommandRelationship(superior, subordinate, kind.Value, from.Date, until.Date, note), item.Line));
    }

    private void ReadCounterpart(ProfileJsonNode item)
    {
        if (!IsObject(item, "a counterpart pair"))
        {
            return;
        }

        const string Context = "a counterpart pair";
        CheckProperties(item, Context, CounterpartProperties);
        var a = OrganizationReference(item, "a", Context);
        var b = OrganizationReference(item, "b", Context);
        string? note = null;
        if (item.Property("note") is { } noteProperty)
        {
            note = StringValue(noteProperty.Value, "the note of a counterpart pair");
        }

        if (a is null || b is null)
        {
            return;
        }

        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            Problem(item.Line, $"{a} is paired with itself: counterparts are two organizations of different nations");
            return;
        }

        var shared = _organizationIndex[a].Organization.Nations.Intersect(_organizationIndex[b].Organization.Nations, StringComparer.Ordinal).ToList();
        if (shared.Count > 0)
        {
            Problem(item.Line, $"counterparts {a} and {b} are both of {string.Join(", ", shared)}: counterparts are organizations of different nations (within a nation, use the chain of command)");
            return;
        }

        if (_counterparts.Any(p => (string.Equals(p.A, a, StringComparison.Ordinal) && string.Equals(p.B, b, StringComparison.Ordinal))
            || (string.Equals(p.A, b, StringComparison.Ordinal) && string.Equals(p.B, a, StringComparison.Ordinal))))
        {
            Problem(item.Line, $"counterparts {a} and {b} are paired twice");
            return;
        }

        _counterparts.Add(new CounterpartPair(a, b, note));
    }

    private (bool Ok, DateOnly? Date) OptionalDate(ProfileJsonNode item, string name)
    {
        if (item.Property(name) is not { } property)
        {
            return (true, null);
        }

        if (property.Value.Kind == JsonValueKind.String
            && DateOnly.TryParseExact(property.Value.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return (true, date);
        }

        Problem(property.Value.Line, $"\"{name}\" is {property.Value.Describe()}, which is not a date of the form YYYY-MM-DD");
        return (false, null);
    }

    /// <summary>The id an organization reference names, or null (and a problem) when it names none of the profile's organizations.</summary>
    private string? OrganizationReference(ProfileJsonNode item, string name, string context)
    {
        var id = RequiredString(item, name, context);
        if (id is null)
        {
            return null;
        }

        if (!_organizationIndex.ContainsKey(id))
        {
            Problem(item.Property(name)!.Value.Line, $"\"{name}\" of {context} names \"{id}\", which is not an organization of this profile");
            return null;
        }

        return id;
    }

    private List<string>? NationList(ProfileJsonNode array, string context)
    {
        var codes = new List<string>();
        var ok = true;
        foreach (var item in array.Items)
        {
            if (StringValue(item, $"an entry of {context}") is not { } code || !NationReference(code, item.Line, context))
            {
                ok = false;
                continue;
            }

            if (codes.Contains(code, StringComparer.Ordinal))
            {
                Problem(item.Line, $"{code} is listed twice in {context}");
                continue;
            }

            codes.Add(code);
        }

        return ok ? codes : null;
    }

    private bool NationReference(string code, int line, string context)
    {
        if (_nationLines.ContainsKey(code))
        {
            return true;
        }

        Problem(
            line,
            NationCodePattern().IsMatch(code)
                ? $"unknown nation {code} in {context}: the profile's nations are {string.Join(", ", _nationLines.Keys)}"
                : $"\"{code}\" in {context} is not a nation code: nations are ISO 3166-1 alpha-3 codes, three uppercase letters (the profile's are {string.Join(", ", _nationLines.Keys)})");
        return false;
    }

    private void CheckProperties(ProfileJsonNode item, string context, string[] known)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in item.Properties)
        {
            if (seen.TryGetValue(property.Name, out var firstLine))
            {
                Problem(property.Line, $"\"{property.Name}\" appears twice in {context} (first on line {firstLine})");
                continue;
            }

            seen[property.Name] = property.Line;
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                Problem(property.Line, $"unknown property \"{property.Name}\" in {context}: it may have {string.Join(", ", known)}");
            }
        }
    }

    private bool IsObject(ProfileJsonNode item, string what)
    {
        if (item.Kind == JsonValueKind.Object)
        {
            return true;
        }

        Problem(item.Line, $"{what} must be a JSON object, but this is {item.Describe()}");
        return false;
    }

    private IReadOnlyList<ProfileJsonNode> RequiredArray(ProfileJsonNode item, string name, string context)
    {
        if (item.Property(name) is not { } property)
        {
            Problem(item.Line, $"{context} has no \"{name}\"");
            return [];
        }

        if (property.Value.Kind != JsonValueKind.Array)
        {
            Problem(property.Value.Line, $"\"{name}\" of {context} must be an array, but it is {property.Value.Describe()}");
            return [];
        }

        return property.Value.Items;
    }

    private string? RequiredString(ProfileJsonNode item, string name, string context)
    {
        if (item.Property(name) is not { } property)
        {
            Problem(item.Line, $"{context} has no \"{name}\"");
            return null;
        }

        return StringValue(property.Value, $"the \"{name}\" of {context}");
    }

    private string? StringValue(ProfileJsonNode value, string what)
    {
        if (value.Kind != JsonValueKind.String)
        {
            Problem(value.Line, $"{what} must be a string, but it is {value.Describe()}");
            return null;
        }

        if (string.IsNullOrWhiteSpace(value.Text))
        {
            Problem(value.Line, $"{what} is empty");
            return null;
        }

        return value.Text;
    }

    private void Problem(int line, string message) => _problems.Add(new ProfileProblem(line, message));

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex NationCodePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex OrganizationIdPattern();

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguagePattern();
}
