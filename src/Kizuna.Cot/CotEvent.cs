namespace Kizuna.Cot;

/// <summary>
/// One Cursor-on-Target event, every field kept. Times are UTC. The detail is kept losslessly
/// (see <see cref="CotDetail"/>), and unknown attributes of &lt;event&gt; survive a round trip.
/// </summary>
public sealed class CotEvent
{
    public string Version { get; set; } = "2.0";
    public required string Uid { get; set; }
    public required string Type { get; set; }
    public string? How { get; set; }
    public DateTime Time { get; set; }
    public DateTime Start { get; set; }
    public DateTime Stale { get; set; }

    /// <summary>Event attribute <c>access</c> (protobuf field 2); carries the classification.</summary>
    public string? Access { get; set; }
    public string? Qos { get; set; }
    public string? Opex { get; set; }
    /// <summary>Event attribute <c>caveat</c> (protobuf field 16).</summary>
    public string? Caveat { get; set; }
    /// <summary>Event attribute <c>releasableTo</c> (protobuf field 17), nation trigraphs separated by commas.</summary>
    public string? ReleasableTo { get; set; }

    public CotPoint Point { get; set; } = CotPoint.Unknown;
    public CotDetail Detail { get; set; } = CotDetail.Empty;

    /// <summary>Attributes of &lt;event&gt; that the model has no field for, in document order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraAttributes { get; set; } = [];

    public bool IsStaleAt(DateTime utcNow) => Stale <= utcNow;
}

/// <summary>The &lt;point&gt; of an event. 9999999 in ce, le or hae means unknown, as TAK clients write it.</summary>
public readonly record struct CotPoint(double Lat, double Lon, double Hae, double Ce, double Le)
{
    public const double UnknownValue = 9999999.0;
    public static CotPoint Unknown => new(0, 0, UnknownValue, UnknownValue, UnknownValue);
}
