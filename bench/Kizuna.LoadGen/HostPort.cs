using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kizuna.LoadGen;

/// <summary>A HOST:PORT option value, resolved to an IPv4/IPv6 end point.</summary>
internal static class HostPort
{
    public static IPEndPoint Parse(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new FormatException($"Expected HOST:PORT, got '{value}'.");
        }

        string host = value[..colon].Trim('[', ']');
        int port = int.Parse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = Dns.GetHostAddresses(host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
        return new IPEndPoint(chosen, port);
    }

    /// <summary>A loopback port that was free a moment ago (bind to 0, read, close).</summary>
    public static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>Durations written as 10s, 500ms, 2m or a plain number of seconds.</summary>
internal static class Duration
{
    public static TimeSpan Parse(string value)
    {
        string v = value.Trim();
        if (v.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            return TimeSpan.FromMilliseconds(double.Parse(v[..^2], CultureInfo.InvariantCulture));
        }

        if (v.EndsWith('s'))
        {
            return TimeSpan.FromSeconds(double.Parse(v[..^1], CultureInfo.InvariantCulture));
        }

        if (v.EndsWith('m'))
        {
            return TimeSpan.FromMinutes(double.Parse(v[..^1], CultureInfo.InvariantCulture));
        }

        return TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture));
    }
}
