namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>Where the repository, the npm package of real TAK clients and the built node are.</summary>
public static class InteropPaths
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The directory holding Kizuna.slnx, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>tests/interop: the npm package with node-tak and node-cot.</summary>
    public static string NpmPackage => Path.Combine(RepositoryRoot, "tests", "interop");

    /// <summary>The node host built from src/Kizuna.Server, copied beside the tests by the project reference.</summary>
    public static string KizunaDll => Path.Combine(AppContext.BaseDirectory, "kizuna.dll");

    /// <summary>The dotnet host that runs these tests, so the child node runs on the same runtime.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";

    /// <summary>Fails with instructions when tests/interop/node_modules has not been installed.</summary>
    public static void RequireNodeModules()
    {
        foreach (var package in new[] { "@tak-ps/node-tak", "@tak-ps/node-cot" })
        {
            var manifest = Path.Combine(NpmPackage, "node_modules", package, "package.json");
            if (!File.Exists(manifest))
            {
                throw new InvalidOperationException(
                    $"{package} is not installed in {NpmPackage}/node_modules: " +
                    "run ./test.sh (it installs tests/interop/node_modules), or `npm ci` in tests/interop.");
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Kizuna.slnx above {AppContext.BaseDirectory}.");
    }
}
