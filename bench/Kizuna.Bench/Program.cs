using BenchmarkDotNet.Running;
using Kizuna.Bench;

// dotnet run -c Release --project bench/Kizuna.Bench -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
