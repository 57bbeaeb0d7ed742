namespace Kizuna.Core.Warnings;

/// <summary>
/// One of Japan's 47 prefectures: its JIS X 0401 code, its names, and where its prefectural
/// office stands (public facts; coordinates to about 100 m).
/// </summary>
/// <param name="Code">JIS X 0401 code, two digits: "01" Hokkaido … "47" Okinawa.</param>
/// <param name="NameJa">Japanese name with its suffix (都, 道, 府, 県): 東京都.</param>
/// <param name="NameEn">English name without suffix: Tokyo.</param>
/// <param name="NameKo">Korean name with its suffix: 도쿄도.</param>
/// <param name="Office">Location of the prefectural office (WGS 84).</param>
public sealed record Prefecture(string Code, string NameJa, string NameEn, string NameKo, GeoPoint Office)
{
    /// <summary>The name in a CAP language: <c>ja-JP</c>, <c>ko-KR</c>, otherwise English.</summary>
    public string NameIn(string language)
        => language.StartsWith("ja", StringComparison.OrdinalIgnoreCase) ? NameJa
            : language.StartsWith("ko", StringComparison.OrdinalIgnoreCase) ? NameKo
            : NameEn;
}

/// <summary>
/// The prefecture table and the rule that names the prefectures a predicted impact area
/// affects. Boundaries are not shipped (no package or data set with a clear license was used):
/// a prefecture is affected when its prefectural office lies within the impact ellipse grown by
/// a margin. See docs/warnings-cap.md for the limits of that rule.
/// </summary>
public static class Prefectures
{
    /// <summary>Mean Earth radius (IUGG), metres.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>All 47, in JIS X 0401 order.</summary>
    public static IReadOnlyList<Prefecture> All { get; } =
    [
        new("01", "北海道", "Hokkaido", "홋카이도", new(43.0642, 141.3469)),
        new("02", "青森県", "Aomori", "아오모리현", new(40.8244, 140.7400)),
        new("03", "岩手県", "Iwate", "이와테현", new(39.7036, 141.1527)),
        new("04", "宮城県", "Miyagi", "미야기현", new(38.2689, 140.8721)),
        new("05", "秋田県", "Akita", "아키타현", new(39.7186, 140.1024)),
        new("06", "山形県", "Yamagata", "야마가타현", new(38.2404, 140.3633)),
        new("07", "福島県", "Fukushima", "후쿠시마현", new(37.7503, 140.4676)),
        new("08", "茨城県", "Ibaraki", "이바라키현", new(36.3418, 140.4468)),
        new("09", "栃木県", "Tochigi", "도치기현", new(36.5657, 139.8836)),
        new("10", "群馬県", "Gunma", "군마현", new(36.3912, 139.0609)),
        new("11", "埼玉県", "Saitama", "사이타마현", new(35.8570, 139.6489)),
        new("12", "千葉県", "Chiba", "지바현", new(35.6051, 140.1233)),
        new("13", "東京都", "Tokyo", "도쿄도", new(35.6895, 139.6917)),
        new("14", "神奈川県", "Kanagawa", "가나가와현", new(35.4478, 139.6425)),
        new("15", "新潟県", "Niigata", "니가타현", new(37.9026, 139.0236)),
        new("16", "富山県", "Toyama", "도야마현", new(36.6953, 137.2113)),
        new("17", "石川県", "Ishikawa", "이시카와현", new(36.5947, 136.6256)),
        new("18", "福井県", "Fukui", "후쿠이현", new(36.0652, 136.2216)),
        new("19", "山梨県", "Yamanashi", "야마나시현", new(35.6642, 138.5684)),
        new("20", "長野県", "Nagano", "나가노현", new(36.6513, 138.1810)),
        new("21", "岐阜県", "Gifu", "기후현", new(35.3912, 136.7223)),
        new("22", "静岡県", "Shizuoka", "시즈오카현", new(34.9769, 138.3831)),
        new("23", "愛知県", "Aichi", "아이치현", new(35.1802, 136.9066)),
        new("24", "三重県", "Mie", "미에현", new(34.7303, 136.5086)),
        new("25", "滋賀県", "Shiga", "시가현", new(35.0045, 135.8686)),
        new("26", "京都府", "Kyoto", "교토부", new(35.0212, 135.7556)),
        new("27", "大阪府", "Osaka", "오사카부", new(34.6863, 135.5200)),
        new("28", "兵庫県", "Hyogo", "효고현", new(34.6913, 135.1830)),
        new("29", "奈良県", "Nara", "나라현", new(34.6851, 135.8329)),
        new("30", "和歌山県", "Wakayama", "와카야마현", new(34.2260, 135.1675)),
        new("31", "鳥取県", "Tottori", "돗토리현", new(35.5039, 134.2377)),
        new("32", "島根県", "Shimane", "시마네현", new(35.4723, 133.0505)),
        new("33", "岡山県", "Okayama", "오카야마현", new(34.6618, 133.9344)),
        new("34", "広島県", "Hiroshima", "히로시마현", new(34.3966, 132.4596)),
        new("35", "山口県", "Yamaguchi", "야마구치현", new(34.1859, 131.4714)),
        new("36", "徳島県", "Tokushima", "도쿠시마현", new(34.0658, 134.5593)),
        new("37", "香川県", "Kagawa", "가가와현", new(34.3401, 134.0434)),
        new("38", "愛媛県", "Ehime", "에히메현", new(33.8417, 132.7661)),
        new("39", "高知県", "Kochi", "고치현", new(33.5597, 133.5311)),
        new("40", "福岡県", "Fukuoka", "후쿠오카현", new(33.6064, 130.4181)),
        new("41", "佐賀県", "Saga", "사가현", new(33.2494, 130.2988)),
        new("42", "長崎県", "Nagasaki", "나가사키현", new(32.7503, 129.8677)),
        new("43", "熊本県", "Kumamoto", "구마모토현", new(32.7898, 130.7417)),
        new("44", "大分県", "Oita", "오이타현", new(33.2382, 131.6126)),
        new("45", "宮崎県", "Miyazaki", "미야자키현", new(31.9111, 131.4239)),
        new("46", "鹿児島県", "Kagoshima", "가고시마현", new(31.5602, 130.5581)),
        new("47", "沖縄県", "Okinawa", "오키나와현", new(26.2124, 127.6809)),
    ];

    private static readonly Dictionary<string, Prefecture> ByCode = All.ToDictionary(p => p.Code, StringComparer.Ordinal);

    /// <summary>The prefecture with this JIS X 0401 code, or null.</summary>
    public static Prefecture? Find(string code) => ByCode.GetValueOrDefault(code);

    /// <summary>
    /// JIS X 0401 codes, in code order, of the prefectures whose office lies within the ellipse
    /// or within <paramref name="marginMeters"/> of it.
    /// </summary>
    public static IReadOnlyList<string> AffectedBy(ImpactEllipse ellipse, double marginMeters)
    {
        ArgumentNullException.ThrowIfNull(ellipse);
        ArgumentOutOfRangeException.ThrowIfNegative(marginMeters);
        var codes = new List<string>();
        foreach (var prefecture in All)
        {
            // No point is nearer the ellipse than its distance to the centre less the semi-major
            // axis: most offices are ruled out before the costly nearest-boundary search.
            if (DistanceMeters(ellipse.Center, prefecture.Office) - Math.Max(ellipse.SemiMajorMeters, ellipse.SemiMinorMeters) > marginMeters)
            {
                continue;
            }

            if (DistanceToEllipseMeters(ellipse, prefecture.Office) <= marginMeters)
            {
                codes.Add(prefecture.Code);
            }
        }

        return codes;
    }

    /// <summary>
    /// True when some prefectural office is within <paramref name="marginMeters"/> of the point.
    /// A coarse test: offices stand on the main islands and Okinawa Island, so remote islands
    /// (Sakishima, Ogasawara, Daito) need a margin of several hundred kilometres to count.
    /// </summary>
    public static bool IsNearJapan(GeoPoint point, double marginMeters)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(marginMeters);
        foreach (var prefecture in All)
        {
            if (DistanceMeters(point, prefecture.Office) <= marginMeters)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Great-circle distance (haversine, spherical Earth), metres.</summary>
    public static double DistanceMeters(GeoPoint a, GeoPoint b)
    {
        var lat1 = Radians(a.Lat);
        var lat2 = Radians(b.Lat);
        var dLat = lat2 - lat1;
        var dLon = Radians(b.Lon - a.Lon);
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>Initial great-circle bearing from <paramref name="a"/> to <paramref name="b"/>, degrees clockwise from true north.</summary>
    public static double BearingDegrees(GeoPoint a, GeoPoint b)
    {
        var lat1 = Radians(a.Lat);
        var lat2 = Radians(b.Lat);
        var dLon = Radians(b.Lon - a.Lon);
        var y = Math.Sin(dLon) * Math.Cos(lat2);
        var x = (Math.Cos(lat1) * Math.Sin(lat2)) - (Math.Sin(lat1) * Math.Cos(lat2) * Math.Cos(dLon));
        return (Degrees(Math.Atan2(y, x)) + 360) % 360;
    }

    /// <summary>The point reached from <paramref name="start"/> along a great circle at a bearing and distance.</summary>
    public static GeoPoint Destination(GeoPoint start, double bearingDegrees, double distanceMeters)
    {
        var lat1 = Radians(start.Lat);
        var lon1 = Radians(start.Lon);
        var theta = Radians(bearingDegrees);
        var delta = distanceMeters / EarthRadiusMeters;
        var lat2 = Math.Asin((Math.Sin(lat1) * Math.Cos(delta)) + (Math.Cos(lat1) * Math.Sin(delta) * Math.Cos(theta)));
        var lon2 = lon1 + Math.Atan2(Math.Sin(theta) * Math.Sin(delta) * Math.Cos(lat1), Math.Cos(delta) - (Math.Sin(lat1) * Math.Sin(lat2)));
        var lon = ((Degrees(lon2) + 540) % 360) - 180;
        return new GeoPoint(Degrees(lat2), lon);
    }

    /// <summary>
    /// The boundary of the ellipse as <paramref name="count"/> points, clockwise from the end of
    /// the major axis, each placed by distance and bearing from the centre (azimuthal
    /// equidistant plane around the centre, so the semi-axes keep their length on the ground).
    /// </summary>
    public static IReadOnlyList<GeoPoint> Outline(ImpactEllipse ellipse, int count)
    {
        ArgumentNullException.ThrowIfNull(ellipse);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 3);
        var points = new GeoPoint[count];
        for (var i = 0; i < count; i++)
        {
            var (east, north) = EllipsePoint(ellipse, 2 * Math.PI * i / count);
            points[i] = Destination(ellipse.Center, (Degrees(Math.Atan2(east, north)) + 360) % 360, Math.Sqrt((east * east) + (north * north)));
        }

        return points;
    }

    /// <summary>
    /// Distance in metres from the point to the ellipse: 0 inside it, otherwise to its nearest
    /// boundary point. Computed in the azimuthal equidistant plane around the ellipse's centre
    /// (exact distance and bearing from the centre; good to a fraction of a percent for the
    /// few hundred kilometres that matter here).
    /// </summary>
    public static double DistanceToEllipseMeters(ImpactEllipse ellipse, GeoPoint point)
    {
        ArgumentNullException.ThrowIfNull(ellipse);
        var d = DistanceMeters(ellipse.Center, point);
        var bearing = Radians(BearingDegrees(ellipse.Center, point));
        var east = d * Math.Sin(bearing);
        var north = d * Math.Cos(bearing);

        // Coordinates along the major (u) and minor (v) axes.
        var phi = Radians(ellipse.OrientationDegrees);
        var u = (east * Math.Sin(phi)) + (north * Math.Cos(phi));
        var v = (east * Math.Cos(phi)) - (north * Math.Sin(phi));
        var a = Math.Max(ellipse.SemiMajorMeters, 1e-6);
        var b = Math.Max(ellipse.SemiMinorMeters, 1e-6);
        if (((u / a) * (u / a)) + ((v / b) * (v / b)) <= 1)
        {
            return 0;
        }

        // Nearest boundary point: a fine sweep, then refine around the best sample.
        const int Samples = 720;
        var best = double.MaxValue;
        var bestT = 0.0;
        for (var i = 0; i < Samples; i++)
        {
            var t = 2 * Math.PI * i / Samples;
            var dist = Hypot(u - (a * Math.Cos(t)), v - (b * Math.Sin(t)));
            if (dist < best)
            {
                best = dist;
                bestT = t;
            }
        }

        var step = 2 * Math.PI / Samples;
        for (var round = 0; round < 20; round++)
        {
            foreach (var t in (ReadOnlySpan<double>)[bestT - step, bestT + step])
            {
                var dist = Hypot(u - (a * Math.Cos(t)), v - (b * Math.Sin(t)));
                if (dist < best)
                {
                    best = dist;
                    bestT = t;
                }
            }

            step /= 2;
        }

        return best;
    }

    private static (double East, double North) EllipsePoint(ImpactEllipse e, double t)
    {
        var u = e.SemiMajorMeters * Math.Cos(t);
        var v = e.SemiMinorMeters * Math.Sin(t);
        var phi = Radians(e.OrientationDegrees);

        // The major axis points along bearing phi; the minor axis 90° clockwise of it.
        return ((u * Math.Sin(phi)) + (v * Math.Cos(phi)), (u * Math.Cos(phi)) - (v * Math.Sin(phi)));
    }

    private static double Hypot(double x, double y) => Math.Sqrt((x * x) + (y * y));

    private static double Radians(double degrees) => degrees * Math.PI / 180;

    private static double Degrees(double radians) => radians * 180 / Math.PI;
}
