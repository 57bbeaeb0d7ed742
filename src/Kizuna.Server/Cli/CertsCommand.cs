using System.CommandLine;
using Kizuna.Core.Identity;

namespace Kizuna.Server.Cli;

/// <summary><c>kizuna certs client</c>: issues a client certificate signed by the node's CA.</summary>
public static class CertsCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var certs = new Command("certs", "Manage the node's certificate authority and client certificates.");

        var client = new Command("client", "Issue a client certificate: writes client.pem, client.key, ca.pem and client.p12 (empty password) to --out.");
        var name = new Option<string>("--name") { Description = "The holder's name; becomes the certificate subject (CN) and the client's identity", Required = true };
        var output = new Option<string>("--out") { Description = "Directory to write the files to (created if missing)", Required = true };
        var dataDir = ServeCommand.DataDir.CreateOption();
        client.Options.Add(name);
        client.Options.Add(output);
        client.Options.Add(dataDir);
        client.SetAction(parse =>
        {
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                var directory = sources.Resolve(ServeCommand.DataDir, parse.GetValue(dataDir));
                var authority = NodeCertificateAuthority.LoadOrCreate(directory);
                if (authority.Created)
                {
                    Console.WriteLine($"Created the node's development CA in {Path.GetFullPath(Path.Combine(directory, "certs"))}");
                }

                var files = authority.IssueClient(parse.GetValue(name)!, parse.GetValue(output)!);
                Console.WriteLine($"Issued a client certificate for '{parse.GetValue(name)}':");
                Console.WriteLine($"  certificate  {files.CertificatePem}");
                Console.WriteLine($"  private key  {files.PrivateKeyPem}");
                Console.WriteLine($"  CA           {files.CaCertificatePem}");
                Console.WriteLine($"  PKCS#12      {files.Pkcs12} (empty password)");
                return 0;
            }
            catch (Exception ex) when (ex is SettingsException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("kizuna certs client: " + ex.Message);
                return 2;
            }
        });

        certs.Subcommands.Add(client);
        return certs;
    }
}
