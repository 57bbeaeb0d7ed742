using Kizuna.Core.Warnings;
using Kizuna.Cot;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>Sensor reports of distinct launches, and what the warnings clients received say.</summary>
internal static class SensorReports
{
    /// <summary>
    /// A J/FPS-5 (Sado) launch report: <paramref name="launch"/> picks the launch time, so reports
    /// with different numbers are launches too far apart in time to fuse into one warning.
    /// </summary>
    public static string Launch(string reportId, int launch) => ExampleTimes.Resolve(
        $"""
        <event version="2.0" uid="{reportId}" type="b-w-m-r" how="m-f" time="NOW" start="NOW" stale="NOW+10m" opex="o" access="UNCLASSIFIED" releasableTo="USA,JPN,KOR">
          <point lat="39.20" lon="125.67" hae="0" ce="10000" le="9999999"/>
          <detail><__missileReport reportId="{reportId}" sensor="FPS5-SADO" nation="JPN" detectionTime="NOW" launchTime="NOW-{30 + (launch * 150)}s" state="launch" confidence="0.6"/></detail>
        </event>
        """,
        DateTime.UtcNow);

    public static bool IsWarning(CotEvent evt) => evt.Type == WarningCot.WarningType && evt.Detail.Element(WarningCot.WarningElement) is not null;

    /// <summary>The warning id and version a received warning carries.</summary>
    public static (string Id, string Version) Of(CotEvent evt)
    {
        var warning = evt.Detail.Element(WarningCot.WarningElement)!;
        return (warning.Attribute("id")!, warning.Attribute("version")!);
    }
}
