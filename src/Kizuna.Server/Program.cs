using System.CommandLine;
using Kizuna.Server.Cli;

// The node's command line. Every serve setting is also settable in a config file and by
// environment variable (see SettingSources); `kizuna <command> --help` explains each.
var config = new Option<string?>("--config")
{
    Description = "JSON config file of settings (default: ./kizuna.json if present; env KIZUNA_CONFIG)",
    Recursive = true,
};

var root = new RootCommand("Kizuna: a coalition command-and-control information server that speaks TAK / Cursor-on-Target.");
root.Options.Add(config);
root.Subcommands.Add(ServeCommand.Create(config));
root.Subcommands.Add(CertsCommand.Create(config));
root.Subcommands.Add(SendCommand.Create());
root.Subcommands.Add(ProfileCommand.Create(config));
root.Subcommands.Add(ConsoleTokenCommand.Create(config));
root.Subcommands.Add(FederationCommand.Create(config));
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(AuditCommand.Create(config));

// The host handles Ctrl-C and SIGTERM itself and stops gracefully (flushing queues and storage),
// so the command-line library must not cut the process short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
