using System.CommandLine;
using Kizuna.LoadGen;

var root = new RootCommand("Kizuna load generator: the raw relay baseline, P x S load runs, and the relay-vs-Kizuna comparison.");
root.Subcommands.Add(Commands.Relay());
root.Subcommands.Add(Commands.Run());
root.Subcommands.Add(Commands.Compare());
root.Subcommands.Add(Commands.IdleTls());
return await root.Parse(args).InvokeAsync();
