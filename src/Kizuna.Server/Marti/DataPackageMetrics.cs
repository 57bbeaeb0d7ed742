using System.Diagnostics.Metrics;
using Kizuna.Core.DataPackages;

namespace Kizuna.Server.Marti;

/// <summary>
/// Counts of the Marti sync endpoints, on a meter of the node's factory named <c>Kizuna.DataPackages</c>
/// (so /metrics shows them beside the others): files kept, and uploads refused by reason. No count
/// follows what a caller looked for: a lookup of a hidden file counts nothing.
/// </summary>
public sealed class DataPackageMetrics
{
    public const string MeterName = "Kizuna.DataPackages";
    private static readonly string[] Refusals = Enum.GetNames<PackageRefusal>();
    private readonly Counter<long> _stored;
    private readonly Counter<long> _storedBytes;
    private readonly Counter<long> _refused;

    public DataPackageMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _stored = meter.CreateCounter<long>("kizuna.packages.stored", description: "Files uploaded and kept (a new record; content already held is kept once).");
        _storedBytes = meter.CreateCounter<long>("kizuna.packages.stored.bytes", unit: "By", description: "Bytes of the files uploaded and kept.");
        _refused = meter.CreateCounter<long>("kizuna.packages.refusals", description: "Uploads refused, by reason; nothing of them is kept.");
        foreach (var reason in Refusals)
        {
            _refused.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void Stored(long bytes)
    {
        _stored.Add(1);
        _storedBytes.Add(bytes);
    }

    public void Refused(PackageRefusal refusal) => _refused.Add(1, new KeyValuePair<string, object?>("reason", Refusals[(int)refusal]));
}
