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
    public void Every_sensor_of_the_built_in_catalog_is_operated_by_an_organization_of_its_nation_in_the_default_profile()
    {
        var catalog = SensorCatalog.LoadDefault();

        Assert.Empty(catalog.ProblemsWith(ProfileLoader.LoadDefault()));
        Assert.True(catalog.TryFind("FPS5-SADO", out var sado));
        Assert.Equal("JASDF-ADC", sado.Operator);
        Assert.True(catalog.TryFind("DDG-MAYA", out var maya));
        Assert.Equal("JMSDF-SDF", maya.Operator);
        Assert.True(catalog.TryFind("TPY2-SHARIKI", out var shariki));
        Assert.Equal("USFJ", shariki.Operator);
    }

    [Fact]
    public void A_sensor_whose_operator_is_not_of_its_nation_does_not_fit_the_profile()
    {
        var catalog = new SensorCatalog("x", [new Sensor("A", "JPN", "ground-radar", "a", "ROK-JCS"), new Sensor("B", "JPN", "ground-radar", "b", "NOWHERE")]);

        var problems = catalog.ProblemsWith(ProfileLoader.LoadDefault());

        Assert.Equal(2, problems.Count);
        Assert.Contains("not an organization of JPN", problems[0], StringComparison.Ordinal);
        Assert.Contains("'NOWHERE' is not an organization", problems[1], StringComparison.Ordinal);
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
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 1, "id": "x", "sensors": []}""", "\"formatVersion\" must be 2")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 2, "id": "x", "sensors": [{"id": "A", "nation": "JPN", "kind": "k", "name": "n", "operator": "JJOC"}, {"id": "A", "nation": "JPN", "kind": "k", "name": "n", "operator": "JJOC"}]}""", "listed twice")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 2, "id": "x", "sensors": [{"id": "A", "nation": "Japan", "kind": "k", "name": "n", "operator": "JJOC"}]}""", "not a trigraph")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 2, "id": "x", "sensors": [{"id": "A", "nation": "JPN"}]}""", "needs \"id\"")]
    [InlineData("""{"format": "kizuna-sensor-catalog", "formatVersion": 2, "id": "x", "sensors": [{"id": "A", "nation": "JPN", "kind": "k", "name": "n"}]}""", "\"operator\"")]
    [InlineData("""[1]""", "a sensor catalog is a JSON object")]
    [InlineData("""{""", "not JSON")]
    public void A_bad_catalog_is_refused_with_what_is_wrong(string json, string expected)
    {
        var ex = Assert.Throws<SensorCatalogException>(() => SensorCatalog.Parse(json, "bad.json"));
        Assert.StartsWith("bad.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
