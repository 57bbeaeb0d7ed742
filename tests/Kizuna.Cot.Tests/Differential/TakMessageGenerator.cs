using System.Text;
using Gen = Atakmap.Commoncommo.Protobuf.V1;

namespace Kizuna.Cot.Tests.Differential;

/// <summary>
/// Random TAK messages, seeded: strings in several scripts with XML's special characters, numbers
/// at their edges (NaN, infinities, -0, the extremes, out-of-range coordinates), times from 0 to
/// past the last DateTime, sub-messages present, empty or absent, and an xmlDetail of valid detail
/// XML that sometimes holds an element a typed message holds too.
/// </summary>
internal sealed class TakMessageGenerator(int seed)
{
    private static readonly string[] Texts =
    [
        "", "a", "ANDROID-3f1a9c2b", "a-f-G-U-C", "m-g", "さくら", "東京", "統合作戦司令部", "서울", "합동참모본부", "الرياض", "مرحبا",
        "A&B", "<tag>", "\"quoted\"", "it's", "tab\there", "line\nbreak", "cr\rhere", "a > b", "&amp;", "🇯🇵", "e\u0301", "   ", "\u00A0", "\uFFFD",
        "*:-1:stcp", "10.0.0.1:4242:tcp", "SECRET", "USA,JPN",
    ];

    private static readonly string[] ElementNames = ["remarks", "link", "marti", "usericon", "x-custom", "_flow-tags_", "contact", "__group", "status", "track", "takv", "precisionlocation"];

    private static readonly double[] EdgeDoubles =
    [
        0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon,
        90, -90, 180, -180, 90.000001, -180.5, 999999, 9999999, 1e-300, 0.1, 1.5, 270.25,
    ];

    private readonly Random _random = new(seed);

    /// <summary>Milliseconds since the epoch of the fixed "now" the decoder is given.</summary>
    public static readonly DateTime Now = new(2026, 11, 22, 9, 0, 0, DateTimeKind.Utc);

    public Gen.TakMessage Message()
    {
        var m = new Gen.TakMessage();
        if (_random.Next(6) == 0)
        {
            m.TakControl = new Gen.TakControl { MinProtoVersion = UInt(), MaxProtoVersion = UInt(), ContactUid = Text() };
        }

        if (_random.Next(12) > 0)
        {
            m.CotEvent = Event();
        }

        if (_random.Next(4) == 0)
        {
            m.SubmissionTime = Time();
            m.CreationTime = Time();
        }

        return m;
    }

    private Gen.CotEvent Event()
    {
        var fault = _random.Next(5) == 0;
        var e = new Gen.CotEvent
        {
            Type = fault && _random.Next(4) == 0 ? string.Empty : Pick("a-f-G-U-C", "b-t-f", "t-x-c-t", Text()),
            Uid = fault && _random.Next(4) == 0 ? string.Empty : Text() + "-" + _random.Next(),
            Access = Text(),
            Qos = Text(),
            Opex = Text(),
            How = Text(),
            Caveat = Text(),
            ReleaseableTo = Text(),
            SendTime = Time(),
            StartTime = Time(),
            StaleTime = Time(),
            Lat = fault ? Edge() : Math.Round((_random.NextDouble() * 180) - 90, _random.Next(0, 10)),
            Lon = fault ? Edge() : Math.Round((_random.NextDouble() * 360) - 180, _random.Next(0, 10)),
            Hae = fault || _random.Next(4) == 0 ? Edge() : _random.NextDouble() * 9000,
            Ce = _random.Next(4) == 0 ? Edge() : _random.Next(0, 100),
            Le = _random.Next(4) == 0 ? Edge() : 999999,
        };
        if (!fault)
        {
            // A fault-free event stays valid: finite point, coordinates in range.
            e.Hae = double.IsFinite(e.Hae) ? e.Hae : 0;
            e.Ce = double.IsFinite(e.Ce) ? e.Ce : 0;
            e.Le = double.IsFinite(e.Le) ? e.Le : 0;
        }

        if (_random.Next(5) > 0)
        {
            e.Detail = Detail();
        }

        return e;
    }

    private Gen.Detail Detail()
    {
        var d = new Gen.Detail();
        if (_random.Next(4) > 0)
        {
            var xml = new StringBuilder();
            for (var k = _random.Next(0, 5); k > 0; k--)
            {
                Element(xml, 0);
                if (_random.Next(5) == 0)
                {
                    xml.Append(Pick("\n  ", " ", "\t"));
                }
            }

            d.XmlDetail = xml.ToString();
        }

        if (Maybe())
        {
            d.Contact = new Gen.Contact { Endpoint = Text(), Callsign = Text() };
        }

        if (Maybe())
        {
            d.Group = new Gen.Group { Name = Text(), Role = Text() };
        }

        if (Maybe())
        {
            d.PrecisionLocation = new Gen.PrecisionLocation { Geopointsrc = Text(), Altsrc = Text() };
        }

        if (Maybe())
        {
            d.Status = new Gen.Status { Battery = _random.Next(4) == 0 ? UInt() : (uint)_random.Next(0, 101) };
        }

        if (Maybe())
        {
            d.Takv = new Gen.Takv { Device = Text(), Platform = Text(), Os = Text(), Version = Text() };
        }

        if (Maybe())
        {
            d.Track = new Gen.Track { Speed = _random.Next(3) == 0 ? Edge() : _random.NextDouble() * 30, Course = _random.Next(3) == 0 ? Edge() : _random.NextDouble() * 360 };
        }

        return d;
    }

    private void Element(StringBuilder xml, int depth)
    {
        var name = ElementNames[_random.Next(ElementNames.Length)];
        xml.Append('<').Append(name);
        foreach (var key in new[] { "callsign", "uid", "value", "type" }.Where(_ => _random.Next(3) == 0))
        {
            xml.Append(' ').Append(key).Append("=\"");
            XmlText.EscapeAttribute(Text(), xml);
            xml.Append('"');
        }

        var children = depth < 3 ? _random.Next(0, 3) : 0;
        if (children == 0 && _random.Next(2) == 0)
        {
            xml.Append("/>");
            return;
        }

        xml.Append('>');
        for (var k = 0; k < children; k++)
        {
            if (_random.Next(2) == 0)
            {
                Element(xml, depth + 1);
            }
            else
            {
                XmlText.EscapeText(Text(), xml);
            }
        }

        xml.Append("</").Append(name).Append('>');
    }

    private bool Maybe() => _random.Next(3) == 0;

    private string Text() => _random.Next(3) == 0 ? Texts[_random.Next(Texts.Length)] + Texts[_random.Next(Texts.Length)] : Texts[_random.Next(Texts.Length)];

    private string Pick(params string[] options) => options[_random.Next(options.Length)];

    private double Edge() => _random.Next(2) == 0 ? EdgeDoubles[_random.Next(EdgeDoubles.Length)] : BitConverter.Int64BitsToDouble(_random.NextInt64());

    private uint UInt() => _random.Next(3) switch { 0 => 0, 1 => uint.MaxValue, _ => (uint)_random.Next() };

    private ulong Time() => _random.Next(40) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => (ulong)((DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond) + (ulong)_random.Next(0, 2),
        3 => CotTime.ToUnixMilliseconds(Now.AddDays(2)),
        _ => CotTime.ToUnixMilliseconds(Now.AddMilliseconds(_random.NextInt64(-5L * 365 * 86_400_000, 86_400_000))),
    };
}
