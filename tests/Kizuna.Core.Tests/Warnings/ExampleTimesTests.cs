using Kizuna.Core.Warnings;

namespace Kizuna.Core.Tests.Warnings;

public sealed class ExampleTimesTests
{
    private static readonly DateTime Now = new(2026, 11, 26, 3, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Now_and_offsets_in_seconds_minutes_and_hours_become_utc_times()
    {
        var xml = """<event time="NOW" start="NOW-30s" stale="NOW+10m"><detail><x detectionTime="NOW+90s" launchTime='NOW-1h'><impact time="NOW+5m"/></x></detail></event>""";

        var resolved = ExampleTimes.Resolve(xml, Now);

        Assert.Equal(
            """<event time="2026-11-26T03:00:00.000Z" start="2026-11-26T02:59:30.000Z" stale="2026-11-26T03:10:00.000Z"><detail><x detectionTime="2026-11-26T03:01:30.000Z" launchTime='2026-11-26T02:00:00.000Z'><impact time="2026-11-26T03:05:00.000Z"/></x></detail></event>""",
            resolved);
    }

    [Fact]
    public void Other_attributes_text_and_real_times_are_left_as_they_are()
    {
        var xml = """<event uid="NOW" time="2026-01-01T00:00:00Z" callsign="NOW+5m"><remarks>launched NOW</remarks><x runtime="NOW" Timezone="NOW"/></event>""";
        Assert.Equal(xml, ExampleTimes.Resolve(xml, Now));
    }

    [Fact]
    public void A_local_now_is_written_as_utc()
    {
        var local = Now.ToLocalTime();
        Assert.Equal("""<e time="2026-11-26T03:00:00.000Z"/>""", ExampleTimes.Resolve("""<e time="NOW"/>""", local));
    }
}
