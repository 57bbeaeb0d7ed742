using System.CommandLine;
using System.Globalization;
using Kizuna.Core.Alliance;

namespace Kizuna.Server.Cli;

/// <summary><c>kizuna profile show</c> and <c>kizuna profile check</c>: the alliance profile as a tree, and validation of a profile file.</summary>
public static class ProfileCommand
{
    /// <summary>The alliance profile file; empty means the built-in default (US–Japan–ROK).</summary>
    public static readonly SettingDefinition Profile = new("profile", "Alliance profile file", string.Empty);

    public static Command Create(Option<string?> configOption)
    {
        var profile = new Command("profile", "Show or check the alliance profile: nations, chains of command, counterparts.");

        var show = new Command("show", "Print the alliance structure as a tree: each nation's chains with the authority on every edge, combined commands, counterparts.");
        var file = new Option<string?>("--profile")
        {
            HelpName = "FILE",
            Description = $"Alliance profile file [default: the built-in {ProfileLoader.DefaultProfileName}; file key \"{Profile.Name}\"; env {Profile.EnvironmentVariable}]",
        };
        var at = new Option<string?>("--at") { HelpName = "YYYY-MM-DD", Description = "Show the structure as of this day, YYYY-MM-DD [default: today]" };
        var language = new Option<string?>("--lang") { HelpName = "ja|ko|en", Description = "Show local names in this language where the profile has them: ja, ko or en" };
        show.Options.Add(file);
        show.Options.Add(at);
        show.Options.Add(language);
        show.SetAction(parse =>
        {
            var date = DateOnly.FromDateTime(DateTime.Today);
            if (parse.GetValue(at) is { } text && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                Console.Error.WriteLine($"kizuna profile show: --at '{text}' is not a date of the form YYYY-MM-DD");
                return 2;
            }

            try
            {
                var path = SettingSources.Load(parse.GetValue(configOption)).Resolve(Profile, parse.GetValue(file));
                var loaded = path.Length == 0 ? ProfileLoader.LoadDefault() : ProfileLoader.LoadFile(path);
                Console.Write(ProfileTree.Render(loaded, date, parse.GetValue(language)));
                return 0;
            }
            catch (SettingsException ex)
            {
                Console.Error.WriteLine("kizuna profile show: " + ex.Message);
                return 2;
            }
            catch (ProfileException ex)
            {
                WriteProblems("kizuna profile show", ex);
                return 2;
            }
        });

        var check = new Command("check", "Validate a profile file: prints OK and a summary, or every problem with its line (exit code 2).");
        var checkFile = new Argument<string>("FILE") { Description = "The profile file to check" };
        check.Arguments.Add(checkFile);
        check.SetAction(parse =>
        {
            var path = parse.GetValue(checkFile)!;
            try
            {
                var loaded = ProfileLoader.LoadFile(path);
                Console.WriteLine(
                    $"OK: {path}: profile {loaded.Id} {loaded.Version}, {loaded.Nations.Count} nations, {loaded.Organizations.Count} organizations, "
                    + $"{loaded.Relationships.Count} relationships, {loaded.Counterparts.Count} counterpart pairs");
                return 0;
            }
            catch (ProfileException ex)
            {
                WriteProblems("kizuna profile check", ex);
                return 2;
            }
        });

        profile.Subcommands.Add(show);
        profile.Subcommands.Add(check);
        return profile;
    }

    private static void WriteProblems(string command, ProfileException ex)
    {
        var count = ex.Problems.Count;
        Console.Error.WriteLine($"{command}: the profile {ex.ProfileSource} is refused ({count} problem{(count == 1 ? string.Empty : "s")}):");
        Console.Error.WriteLine(ex.Message);
    }
}
