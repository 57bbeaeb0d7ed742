using Kizuna.Core.Alliance;

namespace Kizuna.Federation;

/// <summary>
/// The partner trust bundles this node's operator imported: <c>{dataDir}/federation/partners/{nodeId}.json</c>,
/// the folder 0700 and each file 0600 (who can write there decides whom the node federates with).
/// </summary>
public sealed class FederationPartners(string dataDir)
{
    public string Directory { get; } = Path.GetFullPath(Path.Combine(dataDir, "federation", "partners"));

    /// <summary>
    /// Imports <paramref name="bundle"/> for the node hosted by <paramref name="hostOrganization"/>
    /// with its own node id <paramref name="ownNodeId"/>. Refused when it is this node's own
    /// bundle, or the profile has no federation link between the two organizations. Returns the
    /// stored file; a bundle of the same node id is replaced.
    /// </summary>
    public string Import(TrustBundle bundle, AllianceProfile profile, string hostOrganization, string ownNodeId)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(profile);
        if (string.Equals(bundle.NodeId, ownNodeId, StringComparison.Ordinal))
        {
            throw new TrustBundleException($"this is the bundle of this node itself ({ownNodeId}); import the bundle your partner's operator exported");
        }

        if (profile.FindOrganization(bundle.Organization) is null)
        {
            throw new TrustBundleException($"the bundle's organization '{bundle.Organization}' is not in the alliance profile {profile.Id}");
        }

        if (profile.Federation.Find(hostOrganization, bundle.Organization) is null)
        {
            var allowed = profile.Federation.PartnersOf(hostOrganization).ToList();
            var which = allowed.Count == 0 ? "with no organization" : "only with " + string.Join(", ", allowed);
            throw new TrustBundleException(
                $"the alliance profile {profile.Id} has no federation link between {hostOrganization} (this node) and {bundle.Organization} (the bundle's node): "
                + $"{hostOrganization}'s node may link {which}. Links are listed in the profile's \"federation\" section (docs/alliance-profile.md).");
        }

        CreatePrivateDirectory(Path.GetDirectoryName(Directory)!);
        CreatePrivateDirectory(Directory);
        var path = Path.Combine(Directory, bundle.NodeId + ".json");
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(bundle.ToJson()));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>Every imported bundle. A file that no longer reads is skipped and named in <paramref name="problems"/>.</summary>
    public IReadOnlyList<TrustBundle> Load(List<string>? problems = null)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var bundles = new List<TrustBundle>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                bundles.Add(TrustBundle.Parse(File.ReadAllText(file), file));
            }
            catch (Exception ex) when (ex is TrustBundleException or IOException)
            {
                problems?.Add(ex.Message);
            }
        }

        return bundles;
    }

    /// <summary>When the folder last changed (an import or a removal), to reload lazily.</summary>
    internal DateTime LastChange()
        => System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(File.GetLastWriteTimeUtc).Append(System.IO.Directory.GetLastWriteTimeUtc(Directory)).Max()
            : DateTime.MinValue;

    private static void CreatePrivateDirectory(string directory)
    {
        if (System.IO.Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
