using Kizuna.Core.Warnings;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>The shipped example reports (docs/examples/warning), their times moved to now as `kizuna send` does.</summary>
internal static class WarningExamples
{
    public static string Read(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
        {
            dir = dir.Parent;
        }

        return ExampleTimes.Resolve(File.ReadAllText(Path.Combine(dir!.FullName, "docs", "examples", "warning", name)), DateTime.UtcNow);
    }
}
