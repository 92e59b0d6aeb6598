using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Microbenchmarks -- --filter '*'            (all, full)
// dotnet run -c Release --project bench/Microbenchmarks -- --filter '*' --job short (all, quick)
// dotnet run -c Release --project bench/Microbenchmarks -- script-memory [1000]   (unload memory)
if (args is ["script-memory", ..])
{
    await SharpGears.Bench.ScriptUnloadMemory.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 1000);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(SharpGears.Bench.FramingBenchmarks).Assembly).Run(args);
