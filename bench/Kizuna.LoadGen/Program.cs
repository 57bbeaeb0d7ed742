using System.CommandLine;
using Kizuna.LoadGen;

var root = new RootCommand("Kizuna load generator: the raw relay baseline, P x S load runs, the relay-vs-Kizuna comparison, and warning latency under load.");
root.Subcommands.Add(Commands.Relay());
root.Subcommands.Add(Commands.Run());
root.Subcommands.Add(Commands.Mixed());
root.Subcommands.Add(Commands.Compare());
root.Subcommands.Add(Commands.IdleTls());
root.Subcommands.Add(Commands.Warning());
root.Subcommands.Add(Commands.Federation());
root.Subcommands.Add(CrashRun.Command());
root.Subcommands.Add(SoakRun.Command());
return await root.Parse(args).InvokeAsync();
