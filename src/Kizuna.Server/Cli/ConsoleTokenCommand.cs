using System.CommandLine;
using System.Net;
using Kizuna.Core.Identity;
using Kizuna.Server.WebConsole;
using Kizuna.Storage.Postgres;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna console-token --name NAME</c>: a one-time sign-in link for the browser console, for
/// an identity the node's CA issued (<c>kizuna certs client</c>) and has not revoked. The link is
/// the last line printed; it works once, within ten minutes, over plain HTTP from the node's own
/// machine (loopback) or over HTTPS.
/// </summary>
public static class ConsoleTokenCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var command = new Command(
            "console-token",
            "Print a one-time sign-in link for the browser console (last line), for an identity issued with `kizuna certs client`. "
            + $"It works once, for {ConsoleTokens.Lifetime.TotalMinutes:0} minutes; over plain HTTP only from this machine.");
        var name = new Option<string>("--name") { Description = "The identity to sign in as: a --name given to `kizuna certs client`", Required = true };
        var dataDir = ServeCommand.DataDir.CreateOption();
        var http = ServeCommand.Http.CreateOption();
        var https = ServeCommand.Https.CreateOption();
        var postgres = ServeCommand.Postgres.CreateOption();
        foreach (var option in new Option[] { name, dataDir, http, https, postgres })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
                var httpEndpoint = NodeSettings.ParseEndpoint(ServeCommand.Http.Name, sources.Resolve(ServeCommand.Http, parse.GetValue(http)));
                var httpsEndpoint = NodeSettings.ParseEndpoint(ServeCommand.Https.Name, sources.Resolve(ServeCommand.Https, parse.GetValue(https)));
                var holder = parse.GetValue(name)!;
                var url = Issue(directory, holder, httpEndpoint, httpsEndpoint, sources.Resolve(ServeCommand.Postgres, parse.GetValue(postgres)));
                Console.WriteLine($"A one-time sign-in link for '{holder}' (valid {ConsoleTokens.Lifetime.TotalMinutes:0} minutes, one use); open it in a browser on this machine:");
                Console.WriteLine(url);
                return 0;
            }
            catch (Exception ex) when (ex is SettingsException or ArgumentException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                Console.Error.WriteLine("kizuna console-token: " + ex.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>
    /// Issues a token for <paramref name="name"/> in <paramref name="dataDir"/> and returns the
    /// sign-in URL: plain HTTP on loopback when the HTTP listener listens there (or on every
    /// address), otherwise the HTTPS listener. With <paramref name="postgres"/> (a scaled-out node's
    /// database) the token is kept there and the identity looked up among every instance's
    /// certificates, so the link signs in on any instance.
    /// </summary>
    /// <exception cref="ArgumentException">No usable identity of that name, or no listener to sign in on.</exception>
    public static Uri Issue(string dataDir, string name, IPEndPoint? http, IPEndPoint? https, string? postgres = null)
    {
        var baseUrl = BaseUrl(http, https);
        string token;
        if (postgres is { Length: > 0 })
        {
            using var certificates = PostgresCertificateRecords.OpenAsync(postgres, null, CancellationToken.None).GetAwaiter().GetResult();
            using var console = PostgresConsoleRecords.OpenAsync(postgres, null, CancellationToken.None).GetAwaiter().GetResult();
            var registry = new CertificateRegistry(Path.Combine(Path.GetFullPath(dataDir), "certs"));
            registry.ShareWith(certificates);
            token = new ConsoleTokens(dataDir, store: console, registry: registry).Issue(name);
        }
        else
        {
            token = new ConsoleTokens(dataDir).Issue(name);
        }

        return new Uri($"{baseUrl}{ConsoleSignIn.SignInPath}?token={token}");
    }

    private static string BaseUrl(IPEndPoint? http, IPEndPoint? https)
    {
        if (http is not null && (IPAddress.IsLoopback(http.Address) || http.Address.Equals(IPAddress.Any) || http.Address.Equals(IPAddress.IPv6Any)))
        {
            return $"http://{Host(http)}:{http.Port}";
        }

        if (https is not null)
        {
            return $"https://{Host(https)}:{https.Port}";
        }

        throw new ArgumentException(http is null
            ? "the node has neither an HTTP nor an HTTPS listener (--http, --https) to sign in on"
            : $"the HTTP listener ({http}) is not on loopback, and plain-HTTP sign-in works only from loopback: give the node an --https listener, or --http 127.0.0.1:PORT");
    }

    private static string Host(IPEndPoint endpoint)
        => endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
}
