namespace Kizuna.Core.Alliance;

// STUB: replaced by the real loader (line-tracking JSON reader, validation).
public static class ProfileLoader
{
    public const string DefaultProfileName = "us-jpn-kor";

    public static AllianceProfile LoadFile(string path) => throw new ProfileException(path + ": stub loader");

    public static AllianceProfile LoadDefault()
    {
        string[] all = ["USA", "JPN", "KOR"];
        Organization Org(string id, string name, string nation, string kind = "headquarters")
            => new(id, name, [nation], kind, "UNCLASSIFIED", all, new Dictionary<string, string>());
        return new AllianceProfile(
            "us-jpn-kor", "United States - Japan - Republic of Korea", "stub", "urn:kizuna:policy:us-jpn-kor",
            ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"],
            [new("USA", "United States"), new("JPN", "Japan"), new("KOR", "Republic of Korea")],
            [
                Org("JPN-MOD", "Ministry of Defense", "JPN"), Org("JJOC", "JSDF Joint Operations Command", "JPN"),
                Org("INDOPACOM", "US Indo-Pacific Command", "USA"), Org("USFJ", "US Forces Japan", "USA"),
                Org("USFK", "US Forces Korea", "USA"), Org("ROK-JCS", "ROK Joint Chiefs of Staff", "KOR"),
                new("CFC", "ROK-US Combined Forces Command", ["KOR", "USA"], "combined-command", "UNCLASSIFIED", all, new Dictionary<string, string>()),
            ],
            [
                new("JPN-MOD", "JJOC", RelationshipKind.Opcon, null, null, null),
                new("INDOPACOM", "USFJ", RelationshipKind.Opcon, null, null, null),
                new("INDOPACOM", "USFK", RelationshipKind.Opcon, null, null, null),
            ],
            [new("JJOC", "USFJ", null), new("ROK-JCS", "USFK", null)],
            "embedded:stub");
    }
}

// STUB: replaced by the real loader.
public sealed class ProfileException(string message) : Exception(message);
