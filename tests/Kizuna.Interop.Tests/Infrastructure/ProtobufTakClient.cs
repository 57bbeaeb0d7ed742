using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>
/// A minimal TAK client in the manner of ATAK: TLS with a client certificate, reads the
/// server's XML until it has offered protobuf, asks for TAK protocol v1 (t-x-takp-q), and from
/// the t-x-takp-r answer on speaks stream frames (0xBF, varint length, TakMessage).
/// It reads the wire by hand so that it depends on no Kizuna codec.
/// </summary>
public sealed class ProtobufTakClient : IAsyncDisposable
{
    private static readonly byte[] EventEnd = "</event>"u8.ToArray();

    private readonly TcpClient _tcp;
    private readonly SslStream _tls;
    private readonly List<byte> _buffer = [];

    private ProtobufTakClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public static async Task<ProtobufTakClient> ConnectAsync(int port, ClientCertificate certificate, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, cancellationToken);
            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
            using var pem = X509Certificate2.CreateFromPemFile(certificate.CertificatePem, certificate.KeyPem);
            // An ephemeral PEM key cannot sign a TLS handshake on every platform; a PKCS#12 round trip can.
            var clientCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [clientCertificate],
            }, cancellationToken);
            return new ProtobufTakClient(tcp, tls);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next XML event (bytes up to and including &lt;/event&gt;), skipping whitespace.</summary>
    public async Task<string> ReadXmlEventAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = IndexOf(_buffer, EventEnd);
            if (end >= 0)
            {
                var length = end + EventEnd.Length;
                var text = Encoding.UTF8.GetString([.. _buffer.GetRange(0, length)]).Trim();
                _buffer.RemoveRange(0, length);
                while (_buffer.Count > 0 && _buffer[0] is (byte)'\n' or (byte)'\r' or (byte)' ' or (byte)'\t')
                {
                    _buffer.RemoveAt(0);
                }

                return text;
            }

            await FillAsync(cancellationToken);
        }
    }

    /// <summary>Reads XML events until one of <paramref name="type"/> arrives.</summary>
    public async Task<string> ReadXmlEventOfTypeAsync(string type, CancellationToken cancellationToken)
    {
        var marker = $"type=\"{type}\"";
        while (true)
        {
            var xml = await ReadXmlEventAsync(cancellationToken);
            if (xml.Contains(marker, StringComparison.Ordinal))
            {
                return xml;
            }
        }
    }

    /// <summary>Reads one whole stream frame (0xBF, varint length, payload), header included.</summary>
    public async Task<byte[]> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_buffer.Count > 0 && _buffer[0] != 0xBF)
            {
                throw new InvalidDataException($"Expected a TAK stream frame (0xBF), got 0x{_buffer[0]:X2}.");
            }

            if (TryFrameLength(out var total))
            {
                var frame = _buffer.GetRange(0, total).ToArray();
                _buffer.RemoveRange(0, total);
                return frame;
            }

            await FillAsync(cancellationToken);
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _tls.WriteAsync(bytes, cancellationToken);
        await _tls.FlushAsync(cancellationToken);
    }

    /// <summary>Wraps a bare TakMessage in a stream frame.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new List<byte>(payload.Length + 6) { 0xBF };
        for (var length = (uint)payload.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                frame.Add((byte)length);
                break;
            }

            frame.Add((byte)(length | 0x80));
        }

        frame.AddRange(payload.ToArray());
        return [.. frame];
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }

    private bool TryFrameLength(out int total)
    {
        total = 0;
        var length = 0;
        for (int i = 1, shift = 0; i < _buffer.Count && shift <= 28; i++, shift += 7)
        {
            length |= (_buffer[i] & 0x7F) << shift;
            if ((_buffer[i] & 0x80) == 0)
            {
                total = i + 1 + length;
                return _buffer.Count >= total;
            }
        }

        return false;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        var chunk = new byte[8192];
        var n = await _tls.ReadAsync(chunk, cancellationToken);
        if (n == 0)
        {
            throw new EndOfStreamException("The node closed the connection.");
        }

        _buffer.AddRange(chunk.AsSpan(0, n).ToArray());
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = haystack[i + j] == needle[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
