using System.Net;
using Kizuna.Core.Sessions;
using Kizuna.Cot;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;

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
    public void The_plain_tcp_listener_is_off_unless_configured_and_the_node_is_hosted_by_JJOC()
    {
        var sources = SettingSources.Load(null, _ => null);
        var settings = ServeCommand.Resolve(s => sources.Resolve(s, null));
        Assert.Null(settings.CotTcp);
        Assert.Equal("JJOC", settings.NodeOrg);
        Assert.Null(settings.Profile);
    }

    [Fact]
    public void The_warning_store_shares_the_data_directory_unless_a_warning_directory_is_set()
    {
        var unset = SettingSources.Load(null, _ => null);
        Assert.Null(ServeCommand.Resolve(s => unset.Resolve(s, null)).WarningDir);

        var env = new Dictionary<string, string> { ["KIZUNA_WARNING_DIR"] = "/srv/kizuna-warnings" };
        var set = SettingSources.Load(null, name => env.GetValueOrDefault(name));
        Assert.Equal("/srv/kizuna-warnings", ServeCommand.Resolve(s => set.Resolve(s, null)).WarningDir);
    }

    [Fact]
    public void The_help_says_what_an_unset_setting_means_off_for_a_listener_else_what_the_node_does_instead()
    {
        Assert.Contains("[default: off;", ServeCommand.CotTcp.CreateOption().Description, StringComparison.Ordinal);
        Assert.Contains("[default: the data directory;", ServeCommand.WarningDir.CreateOption().Description, StringComparison.Ordinal);
        Assert.Contains("[default: keep everything;", ServeCommand.Retention.CreateOption().Description, StringComparison.Ordinal);
        Assert.Contains("[default: 127.0.0.1:8089;", ServeCommand.CotTls.CreateOption().Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_refuses_to_start_on_a_bad_profile_listing_every_problem_by_line()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """
            {
              "format": "kizuna-alliance-profile",
              "formatVersion": 1,
              "id": "bad", "name": "Bad", "version": "1", "policy": "urn:bad",
              "classifications": ["LOW", "HIGH"],
              "nations": [{"code": "USA", "name": "United States"}],
              "organizations": [
                {"id": "A", "name": "A", "nation": "XYZ", "kind": "unit", "defaultClassification": "LOW"},
                {"id": "B", "name": "B", "nation": "USA", "kind": "unit", "defaultClassification": "LOW"}
              ],
              "relationships": [{"superior": "B", "subordinate": "GHOST", "kind": "OPCON"}],
              "counterparts": []
            }
            """);
        try
        {
            var refused = Assert.Throws<Kizuna.Core.Alliance.ProfileException>(() => Kizuna.Server.Hosting.KizunaNode.LoadLabelPolicy(file, "B"));
            Assert.Contains($"{file}:8:", refused.Message, StringComparison.Ordinal);
            Assert.Contains($"{file}:11:", refused.Message, StringComparison.Ordinal);
            Assert.Contains("XYZ", refused.Message, StringComparison.Ordinal);
            Assert.Contains("GHOST", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_hosting_organization_missing_from_the_profile_is_refused_naming_the_setting()
    {
        var refused = Assert.Throws<SettingsException>(() => Kizuna.Server.Hosting.KizunaNode.LoadLabelPolicy(null, "NO-SUCH-HQ"));
        Assert.StartsWith("node-org: 'NO-SUCH-HQ'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_value_turns_a_listener_off()
    {
        var sources = SettingSources.Load(null, _ => null);
        var settings = ServeCommand.Resolve(s => sources.Resolve(s, s == ServeCommand.Https ? string.Empty : null));
        Assert.Null(settings.Https);
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

    [Fact]
    public void An_unset_limit_takes_its_default_from_its_one_home_and_the_help_says_the_same()
    {
        var settings = ServeCommand.Resolve(SettingSources.Load(null, _ => null));

        Assert.Equal(ConnectionOptions.Default.IdleTimeout, settings.IdleTimeout);
        Assert.Equal(ConnectionOptions.Default.PictureQueueCapacity, settings.PictureQueueCapacity);
        Assert.Equal(CotLimits.Default.MaxEventBytes, settings.MaxEventBytes);
        Assert.Equal(ListenerLimits.Default.HandshakeTimeout, settings.HandshakeTimeout);
        Assert.Equal(ListenerLimits.Default.MaxConnectionsPerAddress, settings.MaxConnectionsPerAddress);
        Assert.Equal(ListenerLimits.Default.IntakeHandshakeSlots, settings.IntakeHandshakeSlots);
        Assert.Equal(NodeSettings.Defaults, settings with { CotTls = null, Http = null, Https = null });
        // The help's default reads back as the same value.
        Assert.Equal(ConnectionOptions.Default.IdleTimeout, NodeSettings.ParseDuration("idle-timeout", ServeCommand.IdleTimeout.Default));
        Assert.Equal(ListenerLimits.Default.HandshakeTimeout, NodeSettings.ParseDuration("handshake-timeout", ServeCommand.HandshakeTimeout.Default));
        Assert.Equal(CotLimits.Default.MaxEventBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), ServeCommand.MaxEventBytes.Default);
        Assert.Equal(ConnectionOptions.Default.PictureQueueCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture), ServeCommand.PictureQueue.Default);
    }

    [Fact]
    public async Task Settings_made_in_code_that_cannot_be_used_fail_at_start_naming_every_setting()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kizuna-test-" + Guid.NewGuid().ToString("N"));
        var settings = new NodeSettings { DataDir = dataDir, PictureQueueCapacity = 0, IntakeHandshakeSlots = 64, IdleTimeout = TimeSpan.Zero };

        var refused = await Assert.ThrowsAsync<SettingsException>(() => KizunaNode.StartAsync(settings, CancellationToken.None));

        Assert.Contains("picture-queue: 0 is less than 1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("intake-handshake-slots: 64 would leave no slot", refused.Message, StringComparison.Ordinal);
        Assert.Contains("idle-timeout:", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDir));
    }

    [Fact]
    public void A_file_key_and_an_environment_variable_are_one_setting_and_the_environment_wins()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{ "picture-queue": 10, "max-event-bytes": "2048" }""");
        var env = new Dictionary<string, string> { ["KIZUNA_PICTURE_QUEUE"] = "20" };
        try
        {
            var settings = ServeCommand.Resolve(SettingSources.Load(file, name => env.GetValueOrDefault(name)));

            Assert.Equal(20, settings.PictureQueueCapacity);
            Assert.Equal(2048, settings.MaxEventBytes);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_config_file_that_is_not_an_object_of_settings_is_refused_naming_the_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "[1, 2]");
        try
        {
            var refused = Assert.Throws<SettingsException>(() => SettingSources.Load(file, _ => null));
            Assert.StartsWith($"config file '{file}' is not a JSON object of settings", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
