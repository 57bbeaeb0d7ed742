using System.Globalization;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>CoT XML text for tests, shaped like what TAK clients send.</summary>
public static class CotText
{
    public static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Position(string uid, string callsign, double lat = 35.68, double lon = 139.76, TimeSpan? staleIn = null, DateTime? time = null, string type = "a-f-G-U-C")
    {
        var now = time ?? DateTime.UtcNow;
        var stale = now + (staleIn ?? TimeSpan.FromMinutes(5));
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"{type}\" how=\"m-g\" time=\"{Time(now)}\" start=\"{Time(now)}\" stale=\"{Time(stale)}\">"
               + $"<point lat=\"{lat.ToString(CultureInfo.InvariantCulture)}\" lon=\"{lon.ToString(CultureInfo.InvariantCulture)}\" hae=\"10\" ce=\"5\" le=\"9999999\"/>"
               + $"<detail><contact callsign=\"{callsign}\" endpoint=\"*:-1:stcp\"/><__group name=\"Cyan\" role=\"Team Member\"/></detail></event>\n";
    }

    /// <summary>A position report carrying a label in the event attributes (and optionally more detail, such as a label element).</summary>
    public static string Labelled(string uid, string callsign, string? access, string? releasableTo, string? caveat = null, string extraDetail = "", DateTime? time = null)
    {
        var now = time ?? DateTime.UtcNow;
        var attributes = (access is null ? "" : $" access=\"{access}\"")
                         + (releasableTo is null ? "" : $" releasableTo=\"{releasableTo}\"")
                         + (caveat is null ? "" : $" caveat=\"{caveat}\"");
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\"{attributes} time=\"{Time(now)}\" start=\"{Time(now)}\" stale=\"{Time(now.AddMinutes(5))}\">"
               + "<point lat=\"35.68\" lon=\"139.76\" hae=\"10\" ce=\"5\" le=\"9999999\"/>"
               + $"<detail><contact callsign=\"{callsign}\"/>{extraDetail}</detail></event>\n";
    }

    /// <summary>A GeoChat-style message directed by marti/dest to one callsign.</summary>
    public static string Directed(string uid, string toCallsign, string text)
    {
        var now = DateTime.UtcNow;
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"b-t-f\" how=\"h-g-i-g-o\" time=\"{Time(now)}\" start=\"{Time(now)}\" stale=\"{Time(now.AddMinutes(1))}\">"
               + "<point lat=\"0\" lon=\"0\" hae=\"9999999\" ce=\"9999999\" le=\"9999999\"/>"
               + $"<detail><marti><dest callsign=\"{toCallsign}\"/></marti><remarks>{text}</remarks></detail></event>\n";
    }

    public static string Ping(string uid = "ping-1")
    {
        var now = DateTime.UtcNow;
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"t-x-c-t\" how=\"h-g-i-g-o\" time=\"{Time(now)}\" start=\"{Time(now)}\" stale=\"{Time(now.AddSeconds(20))}\">"
               + "<point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"9999999\" le=\"9999999\"/><detail/></event>";
    }

    public static string ProtocolRequest(int version = 1)
    {
        var now = DateTime.UtcNow;
        return $"<event version=\"2.0\" uid=\"protouid\" type=\"t-x-takp-q\" how=\"m-g\" time=\"{Time(now)}\" start=\"{Time(now)}\" stale=\"{Time(now.AddMinutes(1))}\">"
               + $"<point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"999999\" le=\"999999\"/><detail><TakControl><TakRequest version=\"{version}\"/></TakControl></detail></event>";
    }
}
