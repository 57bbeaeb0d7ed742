using System.CommandLine;
using Kizuna.Core.Identity;
using Kizuna.Server.Marti;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna certs package</c>: issues a client certificate and writes the connection data package
/// ATAK and WinTAK import (<c>--itak</c>: the flat zip iTAK imports). <c>kizuna certs enroll-token</c>:
/// a one-time password with which a TAK client enrolls for its certificate itself.
/// </summary>
public static class CertsPackageCommand
{
    public static Command CreatePackage(Option<string?> configOption)
    {
        var command = new Command("package", "Issue a client certificate and write the connection data package a TAK client imports (ATAK, WinTAK; --itak for iTAK).");
        var identity = new CertsIdentityOptions();
        identity.AddTo(command);
        var host = new Option<string>("--host") { Description = "The host name or address clients connect to (CoT over TLS)", Required = true };
        var port = new Option<int>("--port") { Description = "The node's CoT over TLS port as clients reach it", DefaultValueFactory = _ => 8089 };
        var output = new Option<string>("--out") { Description = "The zip file to write (mode 0600: it holds the passwords)", Required = true };
        var itak = new Option<bool>("--itak") { Description = "Write the flat zip iTAK imports instead" };
        foreach (var option in new Option[] { host, port, output, itak })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            try
            {
                var (claims, principal, directory, labels) = identity.Resolve(parse, configOption);
                var hostName = parse.GetValue(host)!.Trim();
                if (Uri.CheckHostName(hostName) == UriHostNameType.Unknown)
                {
                    throw new ArgumentException($"--host: '{hostName}' is not a host name or IP address");
                }

                var portNumber = parse.GetValue(port);
                if (portNumber is < 1 or > 65535)
                {
                    throw new ArgumentException($"--port: {portNumber} is not a port");
                }

                using var authority = NodeCertificateAuthority.LoadOrCreate(directory);
                var path = Path.GetFullPath(parse.GetValue(output)!);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = Core.Storage.PrivateDirectory.FileMode;
                }

                ConnectionPackage.Contents contents;
                using (var zip = new FileStream(path, options))
                {
                    contents = ConnectionPackage.Build(authority, claims, labels.PolicyId, hostName, portNumber, zip, flat: parse.GetValue(itak));
                }

                Console.WriteLine($"Issued a client certificate for '{claims.Name}': {principal.Nation} / {principal.Organization} / {principal.Role}, cleared {principal.Clearance}");
                Console.WriteLine($"Wrote {(parse.GetValue(itak) ? "an iTAK" : "an ATAK/WinTAK")} connection package {path} ({hostName}:{portNumber}:ssl)");
                foreach (var entry in contents.Entries)
                {
                    Console.WriteLine("  " + entry);
                }

                Console.WriteLine("The package holds the client's key and both store passwords: hand it over as you would the key itself.");
                return 0;
            }
            catch (Exception ex) when (CertsIdentityOptions.IsUsageError(ex))
            {
                Console.Error.WriteLine("kizuna certs package: " + ex.Message);
                return 2;
            }
        });
        return command;
    }

    public static Command CreateEnrollToken(Option<string?> configOption)
    {
        var command = new Command("enroll-token", "Issue a one-time password with which a TAK client enrolls for its certificate on the node's --enroll listener (8446 is customary).");
        var identity = new CertsIdentityOptions();
        identity.AddTo(command);
        var valid = new Option<string>("--valid") { Description = "How long the token may be used (90s, 15m, 12h, at most 7d)", DefaultValueFactory = _ => "15m" };
        var host = new Option<string?>("--host") { Description = "The host name clients enroll with, for the tak:// link (default: the host of the node's --enroll setting)" };
        command.Options.Add(valid);
        command.Options.Add(host);
        command.SetAction(parse =>
        {
            try
            {
                var (claims, principal, directory, _) = identity.Resolve(parse, configOption);
                var lifetime = NodeSettings.ParseDuration("valid", parse.GetValue(valid)) ?? EnrollmentTokens.DefaultLifetime;
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var hostName = parse.GetValue(host) ?? EnrollHost(sources.Resolve(ServeCommand.Enroll, null));
                var tokens = new EnrollmentTokens(directory);
                var password = tokens.Issue(claims, lifetime);
                Console.WriteLine($"Enrollment token for '{claims.Name}': {principal.Nation} / {principal.Organization} / {principal.Role}, cleared {principal.Clearance}");
                Console.WriteLine($"  valid until  {DateTime.UtcNow + lifetime:yyyy-MM-dd HH:mm:ss}Z, once");
                Console.WriteLine($"  user name    {claims.Name}");
                Console.WriteLine($"  password     {password}");
                Console.WriteLine(EnrollLink(hostName, claims.Name, password));
                return 0;
            }
            catch (Exception ex) when (CertsIdentityOptions.IsUsageError(ex))
            {
                Console.Error.WriteLine("kizuna certs enroll-token: " + ex.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>The link ATAK and iTAK read from a QR code to enroll.</summary>
    public static string EnrollLink(string host, string name, string password)
        => $"tak://com.atakmap.app/enroll?host={Uri.EscapeDataString(host)}&username={Uri.EscapeDataString(name)}&token={Uri.EscapeDataString(password)}";

    private static string EnrollHost(string enrollSetting)
    {
        var colon = enrollSetting.LastIndexOf(':');
        var host = colon > 0 ? enrollSetting[..colon].Trim('[', ']') : enrollSetting;
        return host is "" or "*" or "0.0.0.0" or "::" ? "localhost" : host;
    }
}
