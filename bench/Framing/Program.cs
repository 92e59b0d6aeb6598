using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Framing -- --filter '*'            (full)
// dotnet run -c Release --project bench/Framing -- --filter '*' --job short (quick)
BenchmarkSwitcher.FromAssembly(typeof(SharpGears.Bench.FramingBenchmarks).Assembly).Run(args);
