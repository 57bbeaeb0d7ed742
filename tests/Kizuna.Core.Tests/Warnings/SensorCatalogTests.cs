using Kizuna.Core.Alliance;
using Kizuna.Core.Warnings;

namespace Kizuna.Core.Tests.Warnings;

public sealed class SensorCatalogTests
{
    [Fact]
    public void The_built_in_catalog_knows_the_sensors_of_all_three_nations()
    {
        var catalog = SensorCatalog.LoadDefault();

        Assert.Equal(SensorCatalog.DefaultName, catalog.Id);
        Assert.True(catalog.TryFind("TPY2-SHARIKI", out var shariki));
        Assert.Equal("USA", shariki.Nation);
        Assert.True(catalog.TryFind("TPY2-KYOGAMISAKI", out _));
        Assert.True(catalog.TryFind("SBIRS", out var sbirs));
        Assert.Equal("space-infrared", sbirs.Kind);
        Assert.True(catalog.TryFind("FPS5-SADO", out var sado));
        Assert.Equal("JPN", sado.Nation);
        Assert.True(catalog.TryFind("DDG-MAYA", out _));
        Assert.True(catalog.TryFind("GREEN-PINE-1", out var greenPine));
        Assert.Equal("KOR", greenPine.Nation);
        Assert.True(catalog.TryFind("DDG-SEJONG", out _));
        Assert.False(catalog.TryFind("fps5-sado", out _));
    }

    [Fact]
    public void The_profile_loader_never_reads_the_sensor_catalog()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.LoadEmbedded(SensorCatalog.DefaultName));
        Assert.Contains("no profile named", ex.Message, StringComparison.Ordinal);
        Assert.Equal("us-jpn-kor", ProfileLoader.LoadDefault().Id);
    }

    [Fact]
    public void The_embedded_catalog_is_the_file_in_profiles()
    {
        var fromFile = SensorCatalog.LoadFile(CatalogFile());
        Assert.Equal(SensorCatalog.LoadDefault().Sensors, fromFile.Sensors);
    }

    [Fact]
    public void The_catalog_file_passed_as_an_alliance_profile_is_refused_by_its_format()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.LoadFile(CatalogFile()));
        Assert.Contains("format", ex.Message, StringComparison.Ordinal);
    }

    private static string CatalogFile()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kizuna.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return Path.Combine(directory.FullName, "profiles", "sensors-us-jpn-kor.json");
    }

    [Theory]
    [InlineData("""{"format": "kizuna-alliance-profile", "formatVersion": 1, "id": "x", "sensors": []}""", "\"format\" must be")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 2, "id": "x", "sensors": []}""", "\"formatVersion\" must be 1")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 1, "id": "x", "sensors": [{"id": "A", "nation": "JPN", "kind": "k", "name": "n"}, {"id": "A", "nation": "JPN", "kind": "k", "name": "n"}]}""", "listed twice")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 1, "id": "x", "sensors": [{"id": "A", "nation": "Japan", "kind": "k", "name": "n"}]}""", "not a trigraph")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 1, "id": "x", "sensors": [{"id": "A", "nation": "JPN"}]}""", "needs \"id\"")]
    [InlineData("""[1]""", "a sensor catalog is a JSON object")]
    [InlineData("""{""", "not JSON")]
    public void A_bad_catalog_is_refused_with_what_is_wrong(string json, string expected)
    {
        var ex = Assert.Throws<SensorCatalogException>(() => SensorCatalog.Parse(json, "bad.json"));
        Assert.StartsWith("bad.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
