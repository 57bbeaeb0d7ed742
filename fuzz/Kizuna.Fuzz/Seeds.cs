using System.Text;
using Kizuna.Cot;

namespace Kizuna.Fuzz;

/// <summary>The seed corpus: the test samples (tests/Kizuna.Cot.Tests/Sample.cs) as XML events and as TAK frames.</summary>
internal static class Seeds
{
    private static readonly string[] Events =
    [
        // Sample.Position
        "<event version=\"2.0\" uid=\"ANDROID-1\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"2026-11-22T09:00:00.123Z\" start=\"2026-11-22T09:00:00.123Z\" stale=\"2026-11-22T09:05:00Z\" access=\"SECRET\" caveat=\"NOFORN\" releasableTo=\"USA,JPN\" qos=\"1-r-c\" opex=\"e-EXERCISE\" x-unit=\"7\">"
        + "<point lat=\"35.6812\" lon=\"139.7671\" hae=\"40.5\" ce=\"9.9\" le=\"9999999\"/>"
        + "<detail><contact endpoint=\"*:-1:stcp\" callsign=\"さくら-1\"/><__group name=\"Cyan\" role=\"Team Member\"/>"
        + "<takv device=\"Pixel\" platform=\"ATAK-CIV\" os=\"34\" version=\"5.3\"/><track speed=\"1.5\" course=\"270.25\"/><status battery=\"88\"/>"
        + "<remarks>서울 → 東京 → الرياض</remarks><custom a=\"1\"><nested b=\"2\">text</nested></custom></detail></event>",
        // Sample.Minimal
        "<event version=\"2.0\" uid=\"u-1\" type=\"a-f-G\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\"><point lat=\"1\" lon=\"2\" hae=\"3\" ce=\"4\" le=\"5\"/></event>",
        // A directed chat with marti, an XML declaration and node-cot's unescaped & in an attribute
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><event version=\"2.0\" uid=\"GeoChat.u-1\" type=\"b-t-f\" how=\"h-g-i-g-o\" time=\"2026-01-01T00:00:00.000Z\" start=\"2026-01-01T00:00:00.000Z\" stale=\"2026-01-02T00:00:00.000Z\">"
        + "<point lat=\"0\" lon=\"0\" hae=\"9999999\" ce=\"9999999\" le=\"9999999\"/><detail><__chat chatroom=\"A & B\" senderCallsign=\"X\"/><marti><dest callsign=\"BRAVO\"/></marti><remarks source=\"x\">hi &amp; bye</remarks></detail></event>",
        // A ping (t-x-c-t) with an empty detail
        "<event version=\"2.0\" uid=\"ping\" type=\"t-x-c-t\" how=\"h-g-i-g-o\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:00:10Z\"><point lat=\"0\" lon=\"0\" hae=\"0\" ce=\"0\" le=\"0\"/><detail/></event>",
    ];

    public static void Write(string directory)
    {
        var xml = Directory.CreateDirectory(Path.Combine(directory, "xml")).FullName;
        var tak = Directory.CreateDirectory(Path.Combine(directory, "tak")).FullName;
        for (var i = 0; i < Events.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(Events[i]);
            File.WriteAllBytes(Path.Combine(xml, $"event{i}.xml"), bytes);
            var evt = CotXml.Decode(bytes, CotLimits.NodeWritten);
            File.WriteAllBytes(Path.Combine(tak, $"frame{i}.bin"), TakProto.EncodeStreamFrame(evt));
            File.WriteAllBytes(Path.Combine(tak, $"mesh{i}.bin"), TakProto.EncodeMeshDatagram(evt));
        }

        // Two events back to back with a newline between, as node-tak sends them, and two frames.
        File.WriteAllBytes(Path.Combine(xml, "two-events.xml"), Encoding.UTF8.GetBytes(Events[1] + "\n" + Events[3] + "\n"));
        File.WriteAllBytes(Path.Combine(tak, "control.bin"), [TakProto.Magic, .. Varint(TakProto.EncodeMessage(null, new TakControl(1, 1, "ANDROID-1")))]);
    }

    private static byte[] Varint(byte[] payload) => [(byte)payload.Length, .. payload];
}
