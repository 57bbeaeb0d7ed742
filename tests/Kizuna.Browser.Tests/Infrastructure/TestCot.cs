using System.Globalization;
using System.Security;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Browser.Tests.Infrastructure;

/// <summary>CoT XML for the browser tests: a position report with a label, the callsign escaped as XML requires.</summary>
public static class TestCot
{
    public const string Everyone = "USA,JPN,KOR";

    public static string Position(string uid, string callsign, double lat, double lon, DateTime time, string releasableTo = Everyone, string access = "UNCLASSIFIED", string type = "a-f-G-U-C")
    {
        static string N(double v) => v.ToString(CultureInfo.InvariantCulture);
        return $"<event version=\"2.0\" uid=\"{uid}\" type=\"{type}\" how=\"m-g\" access=\"{access}\" releasableTo=\"{releasableTo}\""
               + $" time=\"{CotText.Time(time)}\" start=\"{CotText.Time(time)}\" stale=\"{CotText.Time(time.AddMinutes(30))}\">"
               + $"<point lat=\"{N(lat)}\" lon=\"{N(lon)}\" hae=\"10\" ce=\"5\" le=\"9999999\"/>"
               + $"<detail><contact callsign=\"{SecurityElement.Escape(callsign)}\"/></detail></event>\n";
    }

    /// <summary>What the console's detail panel shows for a position (web/src/dom.js latLon).</summary>
    public static string LatLon(double lat, double lon)
        => string.Create(CultureInfo.InvariantCulture, $"{Math.Abs(lat):0.0000}°{(lat >= 0 ? 'N' : 'S')} {Math.Abs(lon):0.0000}°{(lon >= 0 ? 'E' : 'W')}");

    /// <summary>
    /// Sends a ping after whatever was sent and waits for its pong: everything before it has
    /// been routed (and queued for storage) by the time this returns.
    /// </summary>
    public static async Task BarrierAsync(CotTestClient client, string uid)
    {
        await client.SendAsync(CotText.Ping(uid)).ConfigureAwait(false);
        await client.ExpectAsync(e => e.Type == "t-x-c-t-r", "pong").ConfigureAwait(false);
    }
}
