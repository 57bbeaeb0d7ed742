using Kizuna.Core.Labels;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.DataPackages;

/// <summary>
/// The file-share event (<c>b-f-t-r</c>, with <c>&lt;fileshare sha256 senderUrl .../&gt;</c>) a client
/// sends to tell others where to download a file goes only to those who may see the file: its
/// label becomes the combination (<see cref="LabelPolicy.Combine"/>) of the label the sender gave it
/// and the label of the file it names, so the router's one access decision keeps it from everyone
/// else, live, replayed and from history. The file's label is the one of a record the sender may
/// see (its own organization's first); of a file the sender may not see, the combination of all its
/// records. A file this node does not hold leaves the label as it was. The sender is told nothing
/// either way: what it learns does not depend on files hidden from it.
/// </summary>
public sealed class FileShareLabels(DataPackageStore store, LabelPolicy labels, ILogger<FileShareLabels> logger)
{
    /// <summary>The CoT types of file transfers (<c>b-f-t-r</c> request, and the others of the family).</summary>
    public const string TypePrefix = "b-f-t-";

    /// <summary>The verdict for <paramref name="evt"/>, narrowed to the files it names; any other event's verdict unchanged.</summary>
    public LabelVerdict Narrow(CotEvent evt, Principal sender, LabelVerdict verdict)
    {
        if (!verdict.Accepted || !evt.Type.StartsWith(TypePrefix, StringComparison.Ordinal) || evt.Detail.Element("fileshare") is not { } share)
        {
            return verdict;
        }

        var combined = new List<ConfidentialityLabel> { verdict.Label };
        foreach (var hash in Hashes(share))
        {
            var records = store.Records(hash);
            if (records.Count == 0)
            {
                continue;
            }

            var seen = records.Where(r => AccessControl.Permits(sender, r.Label)).ToList();
            var own = seen.FirstOrDefault(r => string.Equals(r.Organization, sender.Organization, StringComparison.Ordinal)) ?? seen.FirstOrDefault();
            combined.Add(own?.Label ?? labels.Combine(records.Select(r => r.Label)));
        }

        if (combined.Count == 1)
        {
            return verdict;
        }

        var narrowed = labels.Combine(combined);
        if (narrowed.Equals(verdict.Label))
        {
            return verdict;
        }

        labels.Stamp(evt, narrowed);
        DataPackageLog.FileShareNarrowed(logger, sender.Name, verdict.Label.Banner, narrowed.Banner);
        return new LabelVerdict(narrowed, default, null);
    }

    /// <summary>The files a share names: its <c>sha256</c>, and the <c>hash</c> of a <c>senderUrl</c> on a Marti sync path.</summary>
    private static IEnumerable<string> Hashes(CotElement share)
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        if (PackageInspection.TryNormalizeHash(share.Attribute("sha256"), out var named))
        {
            hashes.Add(named);
        }

        if (share.Attribute("senderUrl") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                if (pair.StartsWith("hash=", StringComparison.OrdinalIgnoreCase) && PackageInspection.TryNormalizeHash(Uri.UnescapeDataString(pair[5..]), out var linked))
                {
                    hashes.Add(linked);
                }
            }
        }

        return hashes;
    }
}
