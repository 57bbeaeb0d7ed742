using System.CommandLine;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna send FILE...</c>: sends CoT files to a node as a TAK client would, then tells what
/// the node said about each (accepted, or refused with the reason). Times written as
/// <c>NOW</c>, <c>NOW+5m</c> and so on (the examples in docs/examples) become real UTC times. Over TLS with an identity
/// from <c>kizuna certs client</c>, or over the plain-TCP listener when a node has one.
/// </summary>
public static class SendCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var command = new Command("send", "Send CoT XML files to a node (each file holds one or more events) and report what the node refused.");
        var files = new Argument<string[]>("FILE") { Description = "CoT XML files, sent in order", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "The node's CoT listener, HOST:PORT", DefaultValueFactory = _ => "127.0.0.1:8089" };
        var identity = new Option<string?>("--identity") { Description = "Directory written by `kizuna certs client` (client.pem, client.key, ca.pem); required for TLS" };
        var plain = new Option<bool>("--plain") { Description = "Use the plain-TCP listener (no identity: labelled national only); e.g. --to 127.0.0.1:8087" };
        command.Arguments.Add(files);
        command.Options.Add(to);
        command.Options.Add(identity);
        command.Options.Add(plain);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var events = new List<(string File, CotEvent Event)>();
                foreach (var file in parse.GetValue(files)!)
                {
                    foreach (var evt in ReadEvents(file))
                    {
                        events.Add((file, evt));
                    }
                }

                var endpoint = NodeSettings.ParseEndpoint("--to", parse.GetValue(to))
                    ?? throw new SettingsException("--to: say where to send, HOST:PORT");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
                Stream stream = tcp.GetStream();
                if (!parse.GetValue(plain))
                {
                    stream = await AuthenticateAsync(stream, parse.GetValue(identity), timeout.Token).ConfigureAwait(false);
                }

                await using (stream.ConfigureAwait(false))
                {
                    return await ExchangeAsync(stream, events, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is SettingsException or IOException or SocketException or CotFormatException or System.Security.Authentication.AuthenticationException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("kizuna send: " + ex.Message).ConfigureAwait(false);
                return 2;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"kizuna send: the node did not answer within {Timeout.TotalSeconds:0} s").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Every event in a file (events back to back, with or without declarations between them).</summary>
    private static List<CotEvent> ReadEvents(string file)
    {
        // Example files say NOW, NOW+90s, NOW-30s for times (docs/warnings.md): made real here.
        var text = Kizuna.Core.Warnings.ExampleTimes.Resolve(File.ReadAllText(file), DateTime.UtcNow);
        var reader = new CotXmlStreamReader();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(System.Text.Encoding.UTF8.GetBytes(text));
        var events = new List<CotEvent>();
        while (true)
        {
            var status = reader.TryRead(ref buffer, out var evt, out _, out var reject);
            switch (status)
            {
                case ReadStatus.Event:
                    events.Add(evt!);
                    continue;
                case ReadStatus.Rejected or ReadStatus.Fatal:
                    throw new CotFormatException(reject.Reason, $"{file}: {reject.Message}");
                case ReadStatus.Control:
                    continue;
            }

            break;
        }

        if (events.Count == 0)
        {
            throw new IOException($"{file}: no CoT event in the file");
        }

        return events;
    }

    private static async Task<Stream> AuthenticateAsync(Stream stream, string? identityDir, CancellationToken cancellationToken)
    {
        if (identityDir is null)
        {
            throw new SettingsException("--identity: TLS needs a client certificate; give the directory `kizuna certs client --out DIR` wrote (or --plain for a plain-TCP listener)");
        }

        using var loaded = X509Certificate2.CreateFromPemFile(Path.Combine(identityDir, "client.pem"), Path.Combine(identityDir, "client.key"));
        var certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(identityDir, "ca.pem"));
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return cert is X509Certificate2 c && chain.Build(c);
                },
            },
            cancellationToken).ConfigureAwait(false);
        return ssl;
    }

    /// <summary>
    /// Sends the events, then a ping; the node answers refusals and the pong on one lane, in
    /// order, so every refusal has arrived when the pong does.
    /// </summary>
    private static async Task<int> ExchangeAsync(Stream stream, List<(string File, CotEvent Event)> events, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var pingUid = "kizuna-send-" + Guid.NewGuid().ToString("N");
        foreach (var (_, evt) in events)
        {
            await stream.WriteAsync(CotXml.Encode(evt), cancellationToken).ConfigureAwait(false);
        }

        var ping = new CotEvent { Uid = pingUid, Type = TakControlEvents.PingType, How = "h-g-i-g-o", Time = now, Start = now, Stale = now.AddSeconds(30) };
        await stream.WriteAsync(CotXml.Encode(ping), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = PipeReader.Create(stream);
        var decoder = new CotXmlStreamReader();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var ponged = false;
            while (decoder.TryRead(ref buffer, out var evt, out _, out _) is var status && status != ReadStatus.NeedMoreData)
            {
                if (status != ReadStatus.Event)
                {
                    continue;
                }

                if (evt!.Type == RefusalNotice.Type && evt.Detail.Element("__refusal") is { } notice)
                {
                    refused[notice.Attribute("uid") ?? "?"] = $"{notice.Attribute("reason")}: {notice.Text}";
                }
                else if (evt.Type == TakControlEvents.PongType)
                {
                    ponged = true;
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (ponged)
            {
                break;
            }

            if (result.IsCompleted)
            {
                throw new IOException("the node closed the connection before answering");
            }
        }

        foreach (var (file, evt) in events)
        {
            Console.WriteLine(refused.TryGetValue(evt.Uid, out var why)
                ? $"refused  {evt.Uid} ({evt.Type}) from {file}: {why}"
                : $"sent     {evt.Uid} ({evt.Type}) from {file}");
        }

        return refused.Count == 0 ? 0 : 1;
    }
}
