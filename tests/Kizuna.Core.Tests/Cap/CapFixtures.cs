using System.ComponentModel;
using System.Diagnostics;
using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Core.Warnings;
using Kizuna.Core.Warnings.Cap;

namespace Kizuna.Core.Tests.Cap;

/// <summary>The default profile, public and non-public labels, a warning sequence, and the schema check.</summary>
internal static class CapFixtures
{
    public static readonly AllianceProfile Profile = ProfileLoader.LoadDefault();
    public static readonly LabelPolicy Policy = new(Profile);

    public static ConfidentialityLabel PublicLabel => Policy.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]);

    public static readonly CapOptions Options = new() { Node = "jjoc", Sender = "kizuna@jjoc.kizuna.invalid" };

    public static readonly DateTime Launch = new(2026, 11, 26, 3, 58, 10, DateTimeKind.Utc);

    /// <summary>An impact ellipse off the Oga peninsula reaching the Akita prefectural office.</summary>
    public static readonly ImpactEllipse NearAkita = new(new GeoPoint(39.90, 139.60), 60_000, 30_000, 110);

    /// <summary>An impact ellipse in the Sea of Japan, far from any prefectural office.</summary>
    public static readonly ImpactEllipse OutsideJapan = new(new GeoPoint(40.50, 134.50), 40_000, 20_000, 90);

    public static WarningVersion Version(int number, WarningStage stage, bool exercise = false, ConfidentialityLabel? label = null, ImpactEllipse? impact = null, IReadOnlyList<string>? prefectures = null)
        => new(
            "W-2026-0001",
            number,
            stage,
            exercise,
            Launch.AddSeconds(40 + (number * 60)),
            Launch,
            new GeoPoint(39.0, 125.7),
            impact,
            impact is null ? null : Launch.AddMinutes(10),
            0.9,
            prefectures ?? [],
            ["JPN/SENSOR-1", "USA/SENSOR-2"],
            label ?? PublicLabel);

    /// <summary>The J-Alert sequence of one warning: launch, take shelter, overflight, landed outside Japan.</summary>
    public static IReadOnlyList<WarningVersion> Sequence(bool exercise = false) =>
    [
        Version(1, WarningStage.Launch, exercise),
        Version(2, WarningStage.TakeShelter, exercise, impact: NearAkita, prefectures: ["05", "02"]),
        Version(3, WarningStage.Overflight, exercise, impact: NearAkita, prefectures: ["02", "05"]),
        Version(4, WarningStage.LandedOutsideJapan, exercise, impact: OutsideJapan, prefectures: ["02", "05"]),
    ];

    /// <summary>Writes every version of a sequence in order, each referring to all before it.</summary>
    public static IReadOnlyList<(WarningVersion Version, string Xml)> WriteAll(IEnumerable<WarningVersion> versions)
    {
        var written = new List<(WarningVersion, string)>();
        var earlier = new List<CapReference>();
        foreach (var version in versions)
        {
            var xml = CapAlert.Write(version, Options, Profile, earlier) ?? throw new InvalidOperationException($"version {version.Version} was not written");
            written.Add((version, xml));
            earlier.Add(CapAlert.ReferenceTo(version, Options));
        }

        return written;
    }

    /// <summary>Every stage's alert as the sequence writes it: launch … landed outside Japan, then a correction after a launch.</summary>
    public static IReadOnlyList<(WarningVersion Version, string Xml)> EveryStage(bool exercise)
    {
        var all = new List<(WarningVersion, string)>(WriteAll(Sequence(exercise)));
        all.Add(WriteAll([Version(1, WarningStage.Launch, exercise), Version(2, WarningStage.Cancelled, exercise)])[1]);
        return all;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kizuna.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kizuna.slnx not found above " + AppContext.BaseDirectory);
    }

    public static string SchemaPath => Path.Combine(RepoRoot(), "schemas", "cap-v1.2.xsd");

    /// <summary>
    /// Validates the XML against the OASIS CAP 1.2 schema with xmllint; returns xmllint's
    /// complaints, empty when valid. Fails the test (never skips) when xmllint is missing.
    /// </summary>
    public static string SchemaProblems(string xml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"kizuna-cap-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, xml);
        try
        {
            var start = new ProcessStartInfo("xmllint")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in (string[])["--noout", "--nonet", "--schema", SchemaPath, file])
            {
                start.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("xmllint did not start");
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"xmllint is not installed, so CAP alerts cannot be validated against the schema ({e.Message}). Install the Debian package libxml2-utils (./test.sh does).");
                throw;
            }

            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var stdout = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(30_000))
                {
                    process.Kill();
                    Assert.Fail("xmllint did not finish within 30 s.");
                }

                var output = stderr.GetAwaiter().GetResult() + stdout.GetAwaiter().GetResult();
                return process.ExitCode == 0 ? "" : $"xmllint exit {process.ExitCode}: {output}";
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
