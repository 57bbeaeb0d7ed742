using BenchmarkDotNet.Running;
using Kizuna.Bench;

// dotnet run -c Release --project bench/Kizuna.Bench -- --filter '*' --job short
// dotnet run -c Release --project bench/Kizuna.Bench -- cpu      (PerEventCost's stages by thread CPU time)
if (args is ["cpu"])
{
    await StageCpu.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
