using System.Xml.Linq;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Core.Warnings.Cap;
using static Kizuna.Core.Tests.Cap.CapFixtures;

namespace Kizuna.Core.Tests.Cap;

public class CapAlertTests
{
    private static readonly XNamespace Cap = CapAlert.Namespace;

    public static TheoryData<WarningStage, bool> Stages()
    {
        var data = new TheoryData<WarningStage, bool>();
        foreach (var exercise in (bool[])[false, true])
        {
            foreach (var stage in (WarningStage[])[WarningStage.Launch, WarningStage.TakeShelter, WarningStage.Overflight, WarningStage.LandedOutsideJapan, WarningStage.Cancelled])
            {
                data.Add(stage, exercise);
            }
        }

        return data;
    }

    private static (WarningVersion Version, string Xml) Alert(WarningStage stage, bool exercise)
        => EveryStage(exercise).Single(a => a.Version.Stage == stage);

    private static IEnumerable<XElement> Infos(string xml) => XDocument.Parse(xml).Root!.Elements(Cap + "info");

    private static string Info(string xml, string language, string element)
        => Infos(xml).Single(i => i.Element(Cap + "language")!.Value == language).Element(Cap + element)!.Value;

    [Theory]
    [MemberData(nameof(Stages))]
    public void Every_stage_validates_against_the_CAP_1_2_schema(WarningStage stage, bool exercise)
    {
        var (_, xml) = Alert(stage, exercise);
        Assert.Equal("", SchemaProblems(xml));
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void Every_stage_passes_the_CAP_rules_the_schema_cannot_check(WarningStage stage, bool exercise)
    {
        var (_, xml) = Alert(stage, exercise);
        Assert.Empty(CapRules.Check(xml));
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void Every_stage_has_Japanese_English_and_Korean_info_blocks_in_that_order(WarningStage stage, bool exercise)
    {
        var (_, xml) = Alert(stage, exercise);
        Assert.Equal(["ja-JP", "en-US", "ko-KR"], Infos(xml).Select(i => i.Element(Cap + "language")!.Value));
        foreach (var info in Infos(xml))
        {
            foreach (var name in (string[])["category", "event", "urgency", "severity", "certainty", "headline", "description", "instruction", "senderName", "expires"])
            {
                Assert.False(string.IsNullOrWhiteSpace(info.Element(Cap + name)?.Value), $"{name} missing in {info.Element(Cap + "language")!.Value}");
            }
        }
    }

    [Theory]
    [InlineData(WarningStage.Launch, "ミサイル発射。ミサイル発射。", "建物の中、又は地下に避難して下さい。", "Missile launch. Missile launch.", "Take shelter inside a building or underground.", "미사일 발사. 미사일 발사.", "건물 안 또는 지하로 대피하십시오.")]
    [InlineData(WarningStage.TakeShelter, "直ちに避難。直ちに避難。直ちに建物の中、又は地下に避難して下さい。", "青森県、秋田県周辺に落下する可能性があります。", "Take shelter now. Take shelter now.", "may fall in or near Aomori, Akita", "즉시 대피. 즉시 대피.", "아오모리현, 아키타현 주변에 낙하할 가능성이 있습니다.")]
    [InlineData(WarningStage.Overflight, "ミサイル通過。ミサイル通過。", "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。", "Missile passed over. Missile passed over.", "contact the police or fire department immediately", "미사일 통과. 미사일 통과.", "즉시 경찰이나 소방서 등에 연락하십시오.")]
    [InlineData(WarningStage.LandedOutsideJapan, "日本の領域外の海域に落下した模様です。", "決して近寄らず", "fallen into the sea outside Japan's territory", "never go near it", "일본 영역 밖의 해역에 낙하한 것으로 보입니다.", "절대 가까이 가지 말고")]
    [InlineData(WarningStage.Cancelled, "訂正。訂正。", "避難の呼びかけを解除します。", "Correction. Correction.", "The call to take shelter is lifted.", "정정. 정정.", "대피 요청을 해제합니다.")]
    public void Every_stage_speaks_the_J_Alert_wording_in_three_languages(WarningStage stage, string ja1, string ja2, string en1, string en2, string ko1, string ko2)
    {
        var (_, xml) = Alert(stage, exercise: false);
        var ja = Info(xml, "ja-JP", "description") + Info(xml, "ja-JP", "instruction");
        var en = Info(xml, "en-US", "description") + Info(xml, "en-US", "instruction");
        var ko = Info(xml, "ko-KR", "description") + Info(xml, "ko-KR", "instruction");
        Assert.Contains(ja1, ja, StringComparison.Ordinal);
        Assert.Contains(ja2, ja, StringComparison.Ordinal);
        Assert.Contains(en1, en, StringComparison.Ordinal);
        Assert.Contains(en2, en, StringComparison.Ordinal);
        Assert.Contains(ko1, ko, StringComparison.Ordinal);
        Assert.Contains(ko2, ko, StringComparison.Ordinal);
    }

    [Fact]
    public void Take_shelter_gives_the_expected_area_and_time_in_Japan_time()
    {
        var (_, xml) = Alert(WarningStage.TakeShelter, exercise: false);

        // Launch 03:58:10 UTC, impact ten minutes later: 13:08 JST.
        Assert.Contains("落下は13時08分（日本時間）頃と予想されます。", Info(xml, "ja-JP", "description"), StringComparison.Ordinal);
        Assert.Contains("13:08 JST (04:08 UTC)", Info(xml, "en-US", "description"), StringComparison.Ordinal);
        Assert.Contains("일본 시간 13시 08분", Info(xml, "ko-KR", "description"), StringComparison.Ordinal);
        Assert.Equal("2026-11-26T04:08:10-00:00", Info(xml, "en-US", "onset"));
        Assert.Equal("Immediate", Info(xml, "en-US", "urgency"));
        Assert.Equal("Extreme", Info(xml, "en-US", "severity"));
    }

    [Fact]
    public void Areas_name_the_prefectures_with_JIS_X_0401_geocodes_and_the_impact_area_as_a_closed_polygon()
    {
        var (_, xml) = Alert(WarningStage.TakeShelter, exercise: false);
        foreach (var info in Infos(xml))
        {
            var areas = info.Elements(Cap + "area").ToList();
            Assert.Equal(2, areas.Count);
            var geocodes = areas[0].Elements(Cap + "geocode").ToList();
            Assert.All(geocodes, g => Assert.Equal("JIS X 0401", g.Element(Cap + "valueName")!.Value));
            Assert.Equal(["02", "05"], geocodes.Select(g => g.Element(Cap + "value")!.Value));
            Assert.Empty(areas[0].Elements(Cap + "polygon"));

            var polygon = areas[1].Element(Cap + "polygon")!.Value.Split(' ');
            Assert.Equal(Options.PolygonPoints + 1, polygon.Length);
            Assert.Equal(polygon[0], polygon[^1]);
        }

        Assert.Equal("青森県、秋田県", Infos(xml).First().Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value);
        Assert.Equal("Aomori, Akita", Infos(xml).ElementAt(1).Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value);
        Assert.Equal("아오모리현, 아키타현", Infos(xml).ElementAt(2).Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value);
    }

    [Fact]
    public void A_launch_without_an_impact_estimate_warns_all_of_Japan_with_no_polygon()
    {
        var (_, xml) = Alert(WarningStage.Launch, exercise: false);
        Assert.Equal(["日本全域", "All of Japan", "일본 전역"], Infos(xml).Select(i => i.Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value));
        Assert.Empty(XDocument.Parse(xml).Descendants(Cap + "polygon"));
        Assert.Empty(XDocument.Parse(xml).Descendants(Cap + "geocode"));
    }

    [Fact]
    public void The_first_alert_is_an_Alert_later_ones_Updates_and_a_correction_a_Cancel_each_referencing_every_earlier_alert()
    {
        var written = WriteAll(Sequence());
        var root = XDocument.Parse(written[0].Xml).Root!;
        Assert.Equal("Alert", root.Element(Cap + "msgType")!.Value);
        Assert.Null(root.Element(Cap + "references"));

        for (var i = 1; i < written.Count; i++)
        {
            root = XDocument.Parse(written[i].Xml).Root!;
            Assert.Equal("Update", root.Element(Cap + "msgType")!.Value);
            var expected = written.Take(i).Select(w => $"kizuna@jjoc.kizuna.invalid,{CapAlert.Identifier(w.Version, Options)},{CapTime.Format(w.Version.IssuedAt)}");
            Assert.Equal(string.Join(' ', expected), root.Element(Cap + "references")!.Value);
        }

        var cancel = XDocument.Parse(Alert(WarningStage.Cancelled, exercise: false).Xml).Root!;
        Assert.Equal("Cancel", cancel.Element(Cap + "msgType")!.Value);
        Assert.Equal(
            $"kizuna@jjoc.kizuna.invalid,urn:kizuna:jjoc:warning:W-2026-0001:1,2026-11-26T03:59:50-00:00",
            cancel.Element(Cap + "references")!.Value);
    }

    [Fact]
    public void Identifier_is_stable_per_version_and_sent_is_written_with_minus_zero_offset()
    {
        var version = Version(2, WarningStage.TakeShelter, impact: NearAkita, prefectures: ["05"]);
        var first = CapAlert.Write(version, Options, Profile, [])!;
        var again = CapAlert.Write(version, Options, Profile, [])!;
        Assert.Equal(first, again);
        var root = XDocument.Parse(first).Root!;
        Assert.Equal("urn:kizuna:jjoc:warning:W-2026-0001:2", root.Element(Cap + "identifier")!.Value);
        Assert.Equal("2026-11-26T04:00:50-00:00", root.Element(Cap + "sent")!.Value);
        Assert.DoesNotContain("Z<", first, StringComparison.Ordinal);
        Assert.Equal("Public", root.Element(Cap + "scope")!.Value);
    }

    [Fact]
    public void A_warning_id_with_spaces_or_commas_is_percent_encoded_in_the_identifier()
    {
        var version = Version(1, WarningStage.Launch) with { WarningId = "W 1,ä" };
        Assert.Equal("urn:kizuna:jjoc:warning:W%201%2C%C3%A4:1", CapAlert.Identifier(version, Options));
        Assert.Empty(CapRules.Check(CapAlert.Write(version, Options, Profile, [])!));
    }

    [Fact]
    public void An_exercise_is_sent_with_status_Exercise_and_says_so_in_every_language()
    {
        var (_, xml) = Alert(WarningStage.TakeShelter, exercise: true);
        Assert.Equal("Exercise", XDocument.Parse(xml).Root!.Element(Cap + "status")!.Value);
        Assert.StartsWith("【訓練】", Info(xml, "ja-JP", "headline"), StringComparison.Ordinal);
        Assert.StartsWith("[EXERCISE]", Info(xml, "en-US", "headline"), StringComparison.Ordinal);
        Assert.StartsWith("[훈련]", Info(xml, "ko-KR", "headline"), StringComparison.Ordinal);
        Assert.StartsWith("これは訓練です。", Info(xml, "ja-JP", "description"), StringComparison.Ordinal);

        var (_, actual) = Alert(WarningStage.TakeShelter, exercise: false);
        Assert.Equal("Actual", XDocument.Parse(actual).Root!.Element(Cap + "status")!.Value);
    }

    public static TheoryData<string> NonPublicLabels() => ["CONFIDENTIAL REL USA,JPN,KOR", "SECRET REL USA,JPN,KOR", "UNCLASSIFIED REL USA,KOR", "UNCLASSIFIED REL JPN restrictive", "UNCLASSIFIED REL JPN permissive"];

    private static ConfidentialityLabel NonPublic(string which) => which switch
    {
        "CONFIDENTIAL REL USA,JPN,KOR" => Policy.Create("CONFIDENTIAL", ["USA", "JPN", "KOR"]),
        "SECRET REL USA,JPN,KOR" => Policy.Create("SECRET", ["USA", "JPN", "KOR"]),
        "UNCLASSIFIED REL USA,KOR" => Policy.Create("UNCLASSIFIED", ["USA", "KOR"]),
        "UNCLASSIFIED REL JPN restrictive" => Policy.Create("UNCLASSIFIED", ["JPN"], [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])]),
        _ => Policy.Create("UNCLASSIFIED", ["JPN"], [new LabelCategory("ORG", CategoryType.Permissive, ["JJOC"])]),
    };

    [Theory]
    [MemberData(nameof(NonPublicLabels))]
    public void A_version_whose_label_is_not_public_produces_no_alert(string which)
    {
        var label = NonPublic(which);
        Assert.False(PublicRelease.IsPublic(label, Profile));
        foreach (var stage in Enum.GetValues<WarningStage>())
        {
            var version = Version(2, stage, label: label, impact: NearAkita, prefectures: ["05"]);
            Assert.Null(CapAlert.Write(version, Options, Profile, [new CapReference(Options.Sender, "urn:kizuna:jjoc:warning:W-2026-0001:1", Launch)]));
        }
    }

    [Fact]
    public void A_public_label_may_carry_a_caveat_and_informative_categories()
    {
        Assert.True(PublicRelease.IsPublic(PublicLabel, Profile));
        Assert.True(PublicRelease.IsPublic(Policy.Create("UNCLASSIFIED", ["JPN"], [new LabelCategory("NOTE", CategoryType.Informative, ["X"])], "EXERCISE"), Profile));
    }

    [Fact]
    public void A_correction_of_a_warning_the_public_never_saw_produces_no_alert()
        => Assert.Null(CapAlert.Write(Version(2, WarningStage.Cancelled), Options, Profile, []));

    [Fact]
    public void Landed_in_Japan_keeps_people_sheltered()
    {
        var xml = CapAlert.Write(Version(3, WarningStage.LandedInJapan, impact: NearAkita, prefectures: ["05"]), Options, Profile, [new CapReference(Options.Sender, "urn:kizuna:jjoc:warning:W-2026-0001:2", Launch)])!;
        Assert.Equal("", SchemaProblems(xml));
        Assert.Empty(CapRules.Check(xml));
        Assert.Contains("ミサイルが秋田県周辺に落下した可能性があります。", Info(xml, "ja-JP", "description"), StringComparison.Ordinal);
        Assert.Contains("引き続き屋内に避難して下さい。", Info(xml, "ja-JP", "instruction"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_prefecture_code_is_refused()
        => Assert.Throws<ArgumentException>(() => CapAlert.Write(Version(1, WarningStage.TakeShelter, prefectures: ["48"]), Options, Profile, []));
}
