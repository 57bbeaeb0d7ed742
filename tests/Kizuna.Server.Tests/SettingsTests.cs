using System.Net;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void Flags_beat_the_environment_which_beats_the_config_file_which_beats_the_default()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{ "cot-tcp": "127.0.0.1:1001", "http": "127.0.0.1:1002", "https": "127.0.0.1:1003" }""");
        var env = new Dictionary<string, string> { ["KIZUNA_HTTP"] = "127.0.0.1:2002", ["KIZUNA_HTTPS"] = "127.0.0.1:2003" };
        var sources = SettingSources.Load(file, name => env.GetValueOrDefault(name));

        var settings = ServeCommand.Resolve(s => sources.Resolve(s, s == ServeCommand.Https ? "127.0.0.1:3003" : null));

        Assert.Equal(IPEndPoint.Parse("127.0.0.1:1001"), settings.CotTcp);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:2002"), settings.Http);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:3003"), settings.Https);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:8089"), settings.CotTls);
        Assert.Equal("./data", settings.DataDir);
        File.Delete(file);
    }

    [Fact]
    public void An_empty_value_turns_a_listener_off()
    {
        var sources = SettingSources.Load(null, _ => null);
        var settings = ServeCommand.Resolve(s => sources.Resolve(s, s == ServeCommand.CotTcp ? string.Empty : null));
        Assert.Null(settings.CotTcp);
        Assert.NotNull(settings.CotTls);
    }

    [Theory]
    [InlineData("cot-tls", "localhost", "cot-tls: 'localhost' is not HOST:PORT")]
    [InlineData("cot-tls", "example.org:8089", "cot-tls: 'example.org' is not an IP address")]
    [InlineData("idle-timeout", "soon", "idle-timeout: 'soon' is not a duration")]
    [InlineData("max-event-bytes", "-5", "max-event-bytes: '-5' is not a positive whole number")]
    [InlineData("log-format", "xml", "log-format: 'xml' is neither text nor json")]
    public void A_bad_setting_is_refused_with_a_message_that_names_it(string name, string value, string message)
    {
        var sources = SettingSources.Load(null, _ => null);
        var error = Assert.Throws<SettingsException>(() => ServeCommand.Resolve(s => sources.Resolve(s, s.Name == name ? value : null)));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("12h", 43200)]
    [InlineData("30d", 2592000)]
    [InlineData("00:01:00", 60)]
    public void Durations_read_as_operators_write_them(string text, int seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), NodeSettings.ParseDuration("retention", text));
}
