namespace Kizuna.Cot;

/// <summary>The CoT control events of the TAK world: protocol negotiation and pings.</summary>
public static class TakControlEvents
{
    public const string ProtocolOfferType = "t-x-takp-v";
    public const string ProtocolRequestType = "t-x-takp-q";
    public const string ProtocolResponseType = "t-x-takp-r";
    public const string PingType = "t-x-c-t";
    public const string PongType = "t-x-c-t-r";

    /// <summary>The version string clients see in the offer's TakServerVersionInfo.</summary>
    public const string ServerVersion = "Kizuna 0.1";

    /// <summary>
    /// The server's offer: <c>&lt;TakControl&gt;&lt;TakProtocolSupport version="1"/&gt;&lt;TakServerVersionInfo
    /// serverVersion="…"/&gt;&lt;/TakControl&gt;</c>. node-tak treats it as control only when the
    /// version info is there.
    /// </summary>
    public static CotEvent CreateProtocolOffer(DateTime utcNow)
        => Control("protouid", ProtocolOfferType, utcNow,
            $"<TakControl><TakProtocolSupport version=\"1\"/><TakServerVersionInfo serverVersion=\"{ServerVersion}\"/></TakControl>");

    /// <summary>True for a t-x-takp-q event; <paramref name="version"/> is its TakRequest/@version.</summary>
    public static bool TryGetProtocolRequest(CotEvent evt, out uint version)
    {
        version = 0;
        if (!string.Equals(evt.Type, ProtocolRequestType, StringComparison.Ordinal))
        {
            return false;
        }

        var text = evt.Detail.Element("TakControl")?.Child("TakRequest")?.Attribute("version");
        return uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
    }

    /// <summary>The server's answer: &lt;TakControl&gt;&lt;TakResponse status="true|false"/&gt;&lt;/TakControl&gt;.</summary>
    public static CotEvent CreateProtocolResponse(bool accepted, DateTime utcNow)
        => Control("protouid", ProtocolResponseType, utcNow, $"<TakControl><TakResponse status=\"{(accepted ? "true" : "false")}\"/></TakControl>");

    /// <summary>The reply to a ping.</summary>
    public static CotEvent CreatePong(CotEvent ping, DateTime utcNow) => Control("takPong", PongType, utcNow, string.Empty);

    private static CotEvent Control(string uid, string type, DateTime utcNow, string detail) => new()
    {
        Uid = uid,
        Type = type,
        How = "m-g",
        Time = utcNow,
        Start = utcNow,
        Stale = utcNow.AddSeconds(20),
        Point = new CotPoint(0, 0, 0, CotPoint.UnknownValue, CotPoint.UnknownValue),
        Detail = detail.Length == 0 ? CotDetail.Empty : CotDetail.FromXml(detail),
    };
}
