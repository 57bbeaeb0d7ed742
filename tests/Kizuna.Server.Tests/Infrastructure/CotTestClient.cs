using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using Kizuna.Cot;

namespace Kizuna.Server.Tests.Infrastructure;

/// <summary>
/// A minimal TAK client for tests: sends raw bytes or CoT XML, decodes what the node sends with
/// the project's own codec, and follows the node into protobuf after a t-x-takp-r answer.
/// Every wait is bounded.
/// </summary>
public sealed class CotTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly Channel<CotEvent> _received = Channel.CreateUnbounded<CotEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _readLoop;
    private readonly bool _read;
    private readonly System.Collections.Concurrent.ConcurrentQueue<CotEvent> _all = new();

    private CotTestClient(TcpClient tcp, Stream stream, bool read)
    {
        _tcp = tcp;
        _stream = stream;
        _read = read;
        _readLoop = read ? Task.Run(ReadLoopAsync) : Task.CompletedTask;
    }

    /// <summary>Completes when the node closed the connection (the read loop saw the end).</summary>
    public Task Closed => _readLoop;

    public WireFormat Format { get; private set; } = WireFormat.CotXml;

    /// <summary>This client's end of the connection, as the node sees it as the remote endpoint.</summary>
    public int LocalPort => ((IPEndPoint)_tcp.Client.LocalEndPoint!).Port;

    /// <summary>
    /// Connects over plain TCP. A reading client returns once the node's protocol offer arrived,
    /// which the node sends only after the session is routable.
    /// </summary>
    public static async Task<CotTestClient> ConnectAsync(IPEndPoint endpoint, bool read = true)
    {
        var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await tcp.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
        var client = new CotTestClient(tcp, tcp.GetStream(), read);
        if (read)
        {
            await client.ExpectAsync(e => e.Type == TakControlEvents.ProtocolOfferType, "the protocol offer").ConfigureAwait(false);
        }

        return client;
    }

    public static async Task<CotTestClient> ConnectTlsAsync(IPEndPoint endpoint, string certPem, string keyPem, string caPem)
    {
        using var loaded = X509Certificate2.CreateFromPemFile(certPem, keyPem);
        var certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        return await ConnectTlsAsync(endpoint, certificate, X509CertificateLoader.LoadCertificateFromFile(caPem)).ConfigureAwait(false);
    }

    public static async Task<CotTestClient> ConnectTlsAsync(IPEndPoint endpoint, X509Certificate2? clientCertificate, X509Certificate2 ca)
    {
        var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await tcp.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
        var ssl = new SslStream(tcp.GetStream(), false);
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return cert is X509Certificate2 c && chain.Build(c);
                },
            },
            cts.Token).ConfigureAwait(false);
        var client = new CotTestClient(tcp, ssl, read: true);
        await client.ExpectAsync(e => e.Type == TakControlEvents.ProtocolOfferType, "the protocol offer").ConfigureAwait(false);
        return client;
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        await _stream.WriteAsync(bytes, cts.Token).ConfigureAwait(false);
        await _stream.FlushAsync(cts.Token).ConfigureAwait(false);
    }

    public Task SendAsync(string xml) => SendAsync(Encoding.UTF8.GetBytes(xml));

    public Task SendAsync(CotEvent evt) => SendAsync(Format == WireFormat.CotXml ? CotXml.Encode(evt) : TakProto.EncodeStreamFrame(evt));

    /// <summary>Waits for the next event that matches, skipping others; fails after the bounded timeout.</summary>
    public async Task<CotEvent> ExpectAsync(Func<CotEvent, bool> match, string what)
    {
        using var cts = new CancellationTokenSource(TestNode.Timeout);
        try
        {
            while (true)
            {
                var evt = await _received.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                if (match(evt))
                {
                    return evt;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"connection closed while waiting for {what}");
        }
    }

    public Task<CotEvent> ExpectUidAsync(string uid) => ExpectAsync(e => e.Uid == uid, $"uid {uid}");

    /// <summary>
    /// Like <see cref="ExpectAsync"/>, but also finds an event an earlier wait already passed over
    /// (a warning can arrive ahead of the protocol offer that connecting waits for).
    /// </summary>
    public async Task<CotEvent> ExpectOrSeenAsync(Func<CotEvent, bool> match, string what)
        => Received.FirstOrDefault(match) is { } seen ? seen : await ExpectAsync(match, what).ConfigureAwait(false);

    /// <summary>
    /// Waits for every one of <paramref name="uids"/> in any order: events from different
    /// senders have no order between them, so expecting them one after another would skip one.
    /// </summary>
    public async Task ExpectUidsAsync(params string[] uids)
    {
        var missing = new HashSet<string>(uids, StringComparer.Ordinal);
        while (missing.Count > 0)
        {
            await ExpectAsync(e => missing.Remove(e.Uid), $"uids {string.Join(", ", missing)}").ConfigureAwait(false);
        }
    }

    /// <summary>Every event received so far, consumed by an Expect call or not, in arrival order.</summary>
    public IReadOnlyList<CotEvent> Received => [.. _all];

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream);
        ICotStreamReader decoder = new CotXmlStreamReader();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (decoder.TryRead(ref buffer, out var evt, out _, out var reject) is var status && status != ReadStatus.NeedMoreData)
                    {
                        if (status == ReadStatus.Fatal || status == ReadStatus.Rejected)
                        {
                            throw new InvalidDataException("the node sent something undecodable: " + reject);
                        }

                        if (evt is null)
                        {
                            continue;
                        }

                        if (evt.Type == TakControlEvents.ProtocolResponseType && evt.Detail.InnerXml.Contains("status=\"true\"", StringComparison.Ordinal))
                        {
                            decoder = new TakStreamReader();
                            Format = WireFormat.TakProtobufV1;
                        }

                        _all.Enqueue(evt);
                        await _received.Writer.WriteAsync(evt).ConfigureAwait(false);
                    }

                    if (result.IsCompleted)
                    {
                        return;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closed by either side.
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_read)
        {
            await _readLoop.WaitAsync(TestNode.Timeout).ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
