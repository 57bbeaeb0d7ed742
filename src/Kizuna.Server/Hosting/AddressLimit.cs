using System.Net;

namespace Kizuna.Server.Hosting;

/// <summary>
/// At most <see cref="Max"/> connections open at once from one remote address on one listener
/// (<c>--max-connections-per-address</c>): one host cannot take every connection a listener has,
/// however slowly it handshakes. IPv4-mapped IPv6 addresses count as their IPv4 address.
/// </summary>
public sealed class AddressLimit(int max)
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _gate = new();

    public int Max { get; } = max;

    /// <summary>Counts a new connection from <paramref name="address"/>; false (and not counted) when that address has <see cref="Max"/> open already.</summary>
    public bool TryEnter(IPAddress? address)
    {
        if (address is null)
        {
            return true;
        }

        address = Normalize(address);
        lock (_gate)
        {
            _open.TryGetValue(address, out var count);
            if (count >= Max)
            {
                return false;
            }

            _open[address] = count + 1;
            return true;
        }
    }

    /// <summary>A connection counted by <see cref="TryEnter"/> has ended.</summary>
    public void Leave(IPAddress? address)
    {
        if (address is null)
        {
            return;
        }

        address = Normalize(address);
        lock (_gate)
        {
            if (_open.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _open.Remove(address);
                }
                else
                {
                    _open[address] = count - 1;
                }
            }
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
