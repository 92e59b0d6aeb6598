using BenchmarkDotNet.Attributes;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Bench;

/// <summary>
/// A warm compile of a small script: parse, bind against the cached references, emit, load into a
/// collectible context, unload. Target (issue 3): at most 20 ms at the median.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ScriptCompilerBenchmarks
{
    private const string Script = """
        var total = 0;
        foreach (var word in "the quick brown fox".Split(' '))
        {
            total += word.Length;
        }
        total
        """;

    // A registration whose step ends with an Execute: the compiler also rewrites that call.
    private const string Registration = """
        GB().Filter(r => r.Key.Length > 2)
            .ForEach(r => Execute("HINCRBY", "counts", r.Event, 1))
            .Register(prefix: "k:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
        """;

    private readonly ScriptCompiler _compiler = new();
    private int _next;

    [GlobalSetup]
    public void Warm()
    {
        _compiler.Compile(Script, "warm").Dispose(); // references read, JIT done
        _compiler.Compile(Registration, "warm").Dispose();
    }

    [Benchmark]
    public void CompileLoadAndUnloadASmallScript()
    {
        using var script = _compiler.Compile(Script, $"bench{_next++}");
    }

    [Benchmark]
    public void CompileLoadAndUnloadARegistrationWithAStepTailExecute()
    {
        using var script = _compiler.Compile(Registration, $"bench{_next++}");
    }
}
