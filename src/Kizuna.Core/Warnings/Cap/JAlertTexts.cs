using System.Globalization;

namespace Kizuna.Core.Warnings.Cap;

/// <summary>The words of one info block: what the public reads for one stage in one language.</summary>
public sealed record CapText(string Headline, string Description, string Instruction);

/// <summary>One of the three languages every alert carries.</summary>
public enum CapLanguage
{
    Japanese,
    English,
    Korean,
}

/// <summary>
/// The public texts of each stage, following the J-Alert messages the Cabinet Secretariat
/// publishes for ballistic missiles (国民保護ポータルサイト, Jアラートによる情報伝達), with English
/// and Korean translations that keep their order and force. The launching state is not named
/// (the warning model does not carry it); a correction has no published text and uses Kizuna's
/// own wording in the same style. See docs/warnings-cap.md.
/// </summary>
public static class JAlertTexts
{
    /// <summary>The CAP language tag of a language.</summary>
    public static string Tag(CapLanguage language) => language switch
    {
        CapLanguage.Japanese => "ja-JP",
        CapLanguage.Korean => "ko-KR",
        _ => "en-US",
    };

    /// <summary>"All of Japan", for a warning that names no prefecture.</summary>
    public static string AllOfJapan(CapLanguage language) => language switch
    {
        CapLanguage.Japanese => "日本全域",
        CapLanguage.Korean => "일본 전역",
        _ => "All of Japan",
    };

    /// <summary>The name of the second area, the predicted impact area.</summary>
    public static string PredictedImpactArea(CapLanguage language) => language switch
    {
        CapLanguage.Japanese => "予測落下区域",
        CapLanguage.Korean => "예상 낙하 구역",
        _ => "Predicted impact area",
    };

    /// <summary>The CAP <c>event</c>.</summary>
    public static string Event(CapLanguage language) => language switch
    {
        CapLanguage.Japanese => "弾道ミサイル情報",
        CapLanguage.Korean => "탄도미사일 정보",
        _ => "Ballistic missile information",
    };

    /// <summary>The names of the prefectures, joined as the language lists them.</summary>
    public static string AreaNames(IReadOnlyList<Prefecture> prefectures, CapLanguage language)
    {
        if (prefectures.Count == 0)
        {
            return AllOfJapan(language);
        }

        var tag = Tag(language);
        return string.Join(language == CapLanguage.Japanese ? "、" : ", ", prefectures.Select(p => p.NameIn(tag)));
    }

    /// <summary>
    /// The texts of one stage. <paramref name="area"/> is the warned area's name in the language
    /// (prefectures, or all of Japan); times are UTC and are shown in Japan Standard Time.
    /// </summary>
    public static CapText For(WarningStage stage, CapLanguage language, string area, DateTime launchTime, DateTime? impactTime, bool exercise)
    {
        var text = language switch
        {
            CapLanguage.Japanese => Japanese(stage, area, impactTime),
            CapLanguage.Korean => Korean(stage, area, impactTime),
            _ => English(stage, area, impactTime),
        };

        var facts = Facts(language, launchTime, stage);
        var description = facts.Length == 0 ? text.Description : text.Description + "\n" + facts;
        if (exercise)
        {
            var (mark, sentence) = language switch
            {
                CapLanguage.Japanese => ("【訓練】", "これは訓練です。"),
                CapLanguage.Korean => ("[훈련] ", "이것은 훈련입니다. "),
                _ => ("[EXERCISE] ", "This is an exercise. "),
            };
            return new CapText(mark + text.Headline, sentence + description, text.Instruction);
        }

        return text with { Description = description };
    }

    /// <summary>The Japanese stage messages (J-Alert wording).</summary>
    private static CapText Japanese(WarningStage stage, string area, DateTime? impactTime) => stage switch
    {
        WarningStage.Launch => new(
            "ミサイル発射",
            "ミサイル発射。ミサイル発射。ミサイルが発射された模様です。建物の中、又は地下に避難して下さい。",
            "建物の中、又は地下に避難して下さい。"),
        WarningStage.TakeShelter => new(
            "直ちに避難",
            "直ちに避難。直ちに避難。直ちに建物の中、又は地下に避難して下さい。"
            + $"ミサイルが{area}周辺に落下する可能性があります。"
            + (impactTime is { } t ? $"落下は{Clock(t, CapLanguage.Japanese)}頃と予想されます。" : "")
            + "直ちに避難して下さい。",
            "直ちに建物の中、又は地下に避難して下さい。近くに適当な建物がない場合は、物陰に身を隠すか地面に伏せ頭部を守って下さい。"),
        WarningStage.Overflight => new(
            "ミサイル通過",
            $"ミサイル通過。ミサイル通過。先程、ミサイルが{area}の上空を通過した模様です。"
            + "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。",
            "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。"),
        WarningStage.LandedOutsideJapan => new(
            "ミサイルは日本の領域外に落下",
            "先程のミサイルは、日本の領域外の海域に落下した模様です。"
            + "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。",
            "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。"),
        WarningStage.LandedInJapan => new(
            "ミサイル落下",
            $"ミサイル落下。ミサイル落下。ミサイルが{area}周辺に落下した可能性があります。続報を伝えます。引き続き屋内に避難して下さい。",
            "引き続き屋内に避難して下さい。不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡して下さい。"),
        _ => new(
            "訂正：ミサイル情報の取り消し",
            "訂正。訂正。先程のミサイルに関する情報は誤りでした。この情報を取り消します。避難の呼びかけを解除します。",
            "避難の呼びかけを解除します。通常の生活に戻って下さい。"),
    };

    /// <summary>The English stage messages (translations of the J-Alert wording).</summary>
    private static CapText English(WarningStage stage, string area, DateTime? impactTime) => stage switch
    {
        WarningStage.Launch => new(
            "Missile launch",
            "Missile launch. Missile launch. A missile appears to have been launched. Take shelter inside a building or underground.",
            "Take shelter inside a building or underground."),
        WarningStage.TakeShelter => new(
            "Take shelter now",
            "Take shelter now. Take shelter now. Take shelter inside a building or underground immediately. "
            + $"A missile may fall in or near {area}. "
            + (impactTime is { } t ? $"It is expected at about {Clock(t, CapLanguage.English)}. " : "")
            + "Take shelter now.",
            "Take shelter inside a building or underground immediately. If there is no suitable building nearby, take cover behind something solid or lie flat on the ground and protect your head."),
        WarningStage.Overflight => new(
            "Missile passed over",
            $"Missile passed over. Missile passed over. The missile appears to have just passed over {area}. "
            + "If you find a suspicious object, never go near it; contact the police or fire department immediately.",
            "If you find a suspicious object, never go near it; contact the police or fire department immediately."),
        WarningStage.LandedOutsideJapan => new(
            "The missile landed outside Japan",
            "The missile appears to have fallen into the sea outside Japan's territory. "
            + "If you find a suspicious object, never go near it; contact the police or fire department immediately.",
            "If you find a suspicious object, never go near it; contact the police or fire department immediately."),
        WarningStage.LandedInJapan => new(
            "Missile landed",
            $"Missile landed. Missile landed. A missile may have fallen in or near {area}. Further information will follow. Stay sheltered indoors.",
            "Stay sheltered indoors. If you find a suspicious object, never go near it; contact the police or fire department immediately."),
        _ => new(
            "Correction: missile information withdrawn",
            "Correction. Correction. The earlier missile information was wrong. It is withdrawn. The call to take shelter is lifted.",
            "The call to take shelter is lifted. You may return to normal activities."),
    };

    /// <summary>The Korean stage messages (translations of the J-Alert wording).</summary>
    private static CapText Korean(WarningStage stage, string area, DateTime? impactTime) => stage switch
    {
        WarningStage.Launch => new(
            "미사일 발사",
            "미사일 발사. 미사일 발사. 미사일이 발사된 것으로 보입니다. 건물 안 또는 지하로 대피하십시오.",
            "건물 안 또는 지하로 대피하십시오."),
        WarningStage.TakeShelter => new(
            "즉시 대피",
            "즉시 대피. 즉시 대피. 즉시 건물 안 또는 지하로 대피하십시오. "
            + $"미사일이 {area} 주변에 낙하할 가능성이 있습니다. "
            + (impactTime is { } t ? $"낙하 예상 시각은 {Clock(t, CapLanguage.Korean)}경입니다. " : "")
            + "즉시 대피하십시오.",
            "즉시 건물 안 또는 지하로 대피하십시오. 근처에 적당한 건물이 없으면 물체 뒤에 몸을 숨기거나 땅에 엎드려 머리를 보호하십시오."),
        WarningStage.Overflight => new(
            "미사일 통과",
            $"미사일 통과. 미사일 통과. 조금 전 미사일이 {area} 상공을 통과한 것으로 보입니다. "
            + "수상한 물체를 발견하면 절대 가까이 가지 말고 즉시 경찰이나 소방서 등에 연락하십시오.",
            "수상한 물체를 발견하면 절대 가까이 가지 말고 즉시 경찰이나 소방서 등에 연락하십시오."),
        WarningStage.LandedOutsideJapan => new(
            "미사일은 일본 영역 밖에 낙하",
            "조금 전의 미사일은 일본 영역 밖의 해역에 낙하한 것으로 보입니다. "
            + "수상한 물체를 발견하면 절대 가까이 가지 말고 즉시 경찰이나 소방서 등에 연락하십시오.",
            "수상한 물체를 발견하면 절대 가까이 가지 말고 즉시 경찰이나 소방서 등에 연락하십시오."),
        WarningStage.LandedInJapan => new(
            "미사일 낙하",
            $"미사일 낙하. 미사일 낙하. 미사일이 {area} 주변에 낙하했을 가능성이 있습니다. 후속 정보를 전하겠습니다. 계속 실내에 대피하십시오.",
            "계속 실내에 대피하십시오. 수상한 물체를 발견하면 절대 가까이 가지 말고 즉시 경찰이나 소방서 등에 연락하십시오."),
        _ => new(
            "정정: 미사일 정보 취소",
            "정정. 정정. 조금 전의 미사일 관련 정보는 잘못된 것이었습니다. 이 정보를 취소합니다. 대피 요청을 해제합니다.",
            "대피 요청을 해제합니다. 평소 생활로 돌아가셔도 됩니다."),
    };

    /// <summary>The launch time, after the message; the expected impact time is in the take-shelter message itself.</summary>
    private static string Facts(CapLanguage language, DateTime launchTime, WarningStage stage)
    {
        if (stage == WarningStage.Cancelled)
        {
            return "";
        }

        var launch = Clock(launchTime, language);
        return language switch
        {
            CapLanguage.Japanese => $"発射時刻：{launch}頃",
            CapLanguage.Korean => $"발사 시각: {launch}경",
            _ => $"Launch time: about {launch}",
        };
    }

    /// <summary>A UTC time as people in Japan read it: "13時05分（日本時間）", "13:05 JST", "일본 시간 13시 05분".</summary>
    public static string Clock(DateTime utc, CapLanguage language)
    {
        var jst = CapTime.InJapan(utc);
        return language switch
        {
            CapLanguage.Japanese => jst.ToString("H'時'mm'分（日本時間）'", CultureInfo.InvariantCulture),
            CapLanguage.Korean => "일본 시간 " + jst.ToString("H'시 'mm'분'", CultureInfo.InvariantCulture),
            _ => jst.ToString("HH:mm", CultureInfo.InvariantCulture) + " JST (" + CapTime.AsUtc(utc).ToString("HH:mm", CultureInfo.InvariantCulture) + " UTC)",
        };
    }
}
