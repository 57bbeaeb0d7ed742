using System.Globalization;
using System.Text;
using Kizuna.Cot;

namespace Kizuna.Bench;

/// <summary>
/// A realistic ATAK position report of about 400 bytes (a-f-G-U-C with point, contact, __group,
/// takv, track, status, remarks), timed now so that no limit refuses it.
/// </summary>
internal static class SampleEvents
{
    public static byte[] PositionReportUtf8()
    {
        var now = DateTime.UtcNow;
        string t = now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string stale = now.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes(
            $"<event version=\"2.0\" uid=\"ANDROID-3f1a9c2b7d4e\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">"
            + "<point lat=\"35.681236\" lon=\"139.767125\" hae=\"42.5\" ce=\"9.9\" le=\"9999999.0\"/>"
            + "<detail><contact callsign=\"KIZUNA-1\" endpoint=\"*:-1:stcp\"/><__group name=\"Cyan\" role=\"Team Member\"/>"
            + "<takv device=\"Pixel 7\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.1.0\"/><track course=\"87.5\" speed=\"1.4\"/>"
            + "<status battery=\"88\"/><remarks>Patrol</remarks></detail></event>");
    }

    public static CotEvent PositionReport() => CotXml.Decode(PositionReportUtf8());
}
