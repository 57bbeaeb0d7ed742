using Kizuna.Core.Warnings;

namespace Kizuna.Core.Tests.Cap;

public class PrefecturesTests
{
    [Fact]
    public void There_are_47_prefectures_coded_01_to_47_with_three_names_and_an_office_in_Japan()
    {
        Assert.Equal(47, Prefectures.All.Count);
        for (var i = 0; i < 47; i++)
        {
            var p = Prefectures.All[i];
            Assert.Equal((i + 1).ToString("00", System.Globalization.CultureInfo.InvariantCulture), p.Code);
            Assert.False(string.IsNullOrWhiteSpace(p.NameJa));
            Assert.False(string.IsNullOrWhiteSpace(p.NameEn));
            Assert.False(string.IsNullOrWhiteSpace(p.NameKo));
            Assert.InRange(p.Office.Lat, 24.0, 46.0);
            Assert.InRange(p.Office.Lon, 122.0, 146.0);
        }

        Assert.Equal("東京都", Prefectures.Find("13")!.NameJa);
        Assert.Equal("Okinawa", Prefectures.Find("47")!.NameEn);
        Assert.Equal("홋카이도", Prefectures.Find("01")!.NameKo);
        Assert.Null(Prefectures.Find("48"));
    }

    [Fact]
    public void Distances_between_offices_match_known_great_circle_distances()
    {
        // Tokyo (Shinjuku) to Osaka is about 400 km; Sapporo to Naha about 2,240 km.
        Assert.InRange(Prefectures.DistanceMeters(Prefectures.Find("13")!.Office, Prefectures.Find("27")!.Office), 390_000, 410_000);
        Assert.InRange(Prefectures.DistanceMeters(Prefectures.Find("01")!.Office, Prefectures.Find("47")!.Office), 2_200_000, 2_280_000);
    }

    [Fact]
    public void An_ellipse_over_an_office_affects_that_prefecture_and_a_margin_reaches_the_neighbours()
    {
        var tokyo = Prefectures.Find("13")!.Office;
        var small = new ImpactEllipse(tokyo, 5_000, 3_000, 0);
        Assert.Equal(["13"], Prefectures.AffectedBy(small, 0));

        // Saitama (~19 km) and Kanagawa (~27 km) offices come in with a 30 km margin; Chiba (~40 km) does not.
        Assert.Equal(["11", "13", "14"], Prefectures.AffectedBy(small, 30_000));
    }

    [Fact]
    public void The_orientation_of_the_ellipse_decides_which_offices_it_reaches()
    {
        // Major axis 60 km; the Akita office lies ~47 km from the centre at a bearing of ~115°.
        var center = new GeoPoint(39.90, 139.60);
        Assert.Equal(["05"], Prefectures.AffectedBy(new ImpactEllipse(center, 60_000, 30_000, 115), 0));
        Assert.Empty(Prefectures.AffectedBy(new ImpactEllipse(center, 60_000, 30_000, 25), 0));
        Assert.Equal(["05"], Prefectures.AffectedBy(new ImpactEllipse(center, 60_000, 30_000, 295), 0));
    }

    [Fact]
    public void Ruling_offices_out_by_distance_to_the_centre_finds_the_same_prefectures_as_measuring_every_office()
    {
        var random = new Random(4711);
        for (var i = 0; i < 300; i++)
        {
            var ellipse = new ImpactEllipse(
                new GeoPoint(24 + (random.NextDouble() * 22), 122 + (random.NextDouble() * 24)),
                1_000 + (random.NextDouble() * 400_000), 500 + (random.NextDouble() * 100_000), random.NextDouble() * 360);
            var margin = random.Next(3) * 40_000.0;
            var everyOffice = Prefectures.All.Where(p => Prefectures.DistanceToEllipseMeters(ellipse, p.Office) <= margin).Select(p => p.Code);
            Assert.Equal(everyOffice, Prefectures.AffectedBy(ellipse, margin));
        }
    }

    [Fact]
    public void An_ellipse_far_out_at_sea_affects_none()
        => Assert.Empty(Prefectures.AffectedBy(new ImpactEllipse(new GeoPoint(40.5, 134.5), 40_000, 20_000, 90), 50_000));

    [Fact]
    public void Distance_to_an_ellipse_is_zero_inside_and_grows_outside()
    {
        var ellipse = new ImpactEllipse(new GeoPoint(35, 135), 100_000, 50_000, 90);
        Assert.Equal(0, Prefectures.DistanceToEllipseMeters(ellipse, new GeoPoint(35, 135.5)));
        var east = Prefectures.Destination(ellipse.Center, 90, 150_000);
        Assert.InRange(Prefectures.DistanceToEllipseMeters(ellipse, east), 49_500, 50_500);
        var north = Prefectures.Destination(ellipse.Center, 0, 80_000);
        Assert.InRange(Prefectures.DistanceToEllipseMeters(ellipse, north), 29_500, 30_500);
    }

    [Fact]
    public void The_outline_puts_the_major_axis_along_the_orientation()
    {
        var ellipse = new ImpactEllipse(new GeoPoint(35, 135), 100_000, 50_000, 45);
        var outline = Prefectures.Outline(ellipse, 24);
        Assert.Equal(24, outline.Count);
        Assert.InRange(Prefectures.DistanceMeters(ellipse.Center, outline[0]), 99_900, 100_100);
        Assert.InRange(Prefectures.BearingDegrees(ellipse.Center, outline[0]), 44.5, 45.5);
        Assert.InRange(Prefectures.DistanceMeters(ellipse.Center, outline[6]), 49_900, 50_100);
        Assert.InRange(Prefectures.BearingDegrees(ellipse.Center, outline[6]), 134.5, 135.5);
    }

    [Fact]
    public void Near_Japan_means_within_the_margin_of_some_prefectural_office()
    {
        Assert.True(Prefectures.IsNearJapan(new GeoPoint(35.7, 139.8), 50_000));
        Assert.False(Prefectures.IsNearJapan(new GeoPoint(40.5, 134.5), 100_000));
        Assert.True(Prefectures.IsNearJapan(new GeoPoint(40.5, 134.5), 600_000));
    }
}
