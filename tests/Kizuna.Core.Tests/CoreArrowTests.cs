using System.Text.RegularExpressions;

namespace Kizuna.Core.Tests;

/// <summary>
/// The arrows inside Kizuna.Core run one way (docs/architecture.md, "Arrows inside Kizuna.Core"):
/// Sessions and Warnings depend on Routing, never Routing on them, nor they on each other. Read
/// from the source, so a method body that names a session counts as much as a signature.
/// </summary>
public sealed partial class CoreArrowTests
{
    [Theory]
    [InlineData("Routing", "Sessions")]
    [InlineData("Routing", "Warnings")]
    [InlineData("Sessions", "Warnings")]
    [InlineData("Warnings", "Sessions")]
    [InlineData("Labels", "Routing")]
    [InlineData("Labels", "Sessions")]
    [InlineData("Labels", "Warnings")]
    public void A_room_of_the_core_does_not_name_a_room_its_arrows_do_not_reach(string room, string forbidden)
    {
        var offending = SourcesOf(room).Where(f => File.ReadAllText(f).Contains("Kizuna.Core." + forbidden, StringComparison.Ordinal)).ToList();

        Assert.True(offending.Count == 0, $"{room} names {forbidden}: {string.Join(", ", offending.Select(Path.GetFileName))}");
    }

    [Fact]
    public void No_class_of_the_warnings_names_a_session_a_queue_or_a_writer()
    {
        var offending = new List<string>();
        foreach (var file in SourcesOf("Warnings"))
        {
            foreach (Match match in SessionTypes().Matches(File.ReadAllText(file)))
            {
                offending.Add($"{Path.GetFileName(file)}: {match.Value}");
            }
        }

        Assert.True(offending.Count == 0, "Warnings names " + string.Join(", ", offending));
    }

    [GeneratedRegex(@"\b(ClientSession|OutboundQueue|OutboundItem|IExpressWriter|ConnectionWriter|CotConnection|SessionLifecycle)\b")]
    private static partial Regex SessionTypes();

    private static IEnumerable<string> SourcesOf(string room)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kizuna.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var files = Directory.GetFiles(Path.Combine(directory.FullName, "src", "Kizuna.Core", room), "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        return files;
    }
}
