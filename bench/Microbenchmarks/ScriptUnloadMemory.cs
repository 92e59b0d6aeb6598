using System.Diagnostics;
using SharpGears.Api;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Bench;

/// <summary>
/// Compiles, runs and unloads N distinct scripts and prints how much the process grew: the memory of
/// unloaded sessions must come back (issue 3: 1,000 replacements grow the process by under 50 MB).
/// </summary>
internal static class ScriptUnloadMemory
{
    // The scripts measured here call none of the engine's functions.
    private sealed class NoGears : IGears
    {
        public GearsBuilder<TRecord> GB<TRecord>(Reader<TRecord> reader) => throw new NotSupportedException();

        public object? Execute(string command, params object?[] arguments) => throw new NotSupportedException();

        public Task<object?> ExecuteAsync(string command, params object?[] arguments) => throw new NotSupportedException();

        public IRedisConnection ConnectRedis(string address) => throw new NotSupportedException();

        public void Log(string message, LogLevel level = LogLevel.Notice) { }

        public string? ConfigGet(string key) => null;

        public string? GearsConfigGet(string key, string? defaultValue = null) => defaultValue;

        public string Hashtag() => "";

        public void OverrideReply(object? value) => throw new NotSupportedException();

        public object? CallNext(params object?[] arguments) => throw new NotSupportedException();

        public Task<object?> CallNextAsync(params object?[] arguments) => throw new NotSupportedException();
    }

    public static async Task RunAsync(int count)
    {
        var compiler = new ScriptCompiler();
        await RunOnceAsync(compiler, -1); // warm: references, JIT
        Settle();
        var before = Process.GetCurrentProcess().WorkingSet64;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await RunOnceAsync(compiler, i);
        }
        var elapsed = watch.Elapsed;
        Settle();
        var after = Process.GetCurrentProcess().WorkingSet64;
        Console.WriteLine($"{count} distinct scripts compiled, run and unloaded in {elapsed.TotalSeconds:F1} s ({elapsed.TotalMilliseconds / count:F1} ms each)");
        Console.WriteLine($"working set: {before >> 20} MB before, {after >> 20} MB after: grew by {(after - before) >> 20} MB (target: under 50 MB for 1,000)");
        Console.WriteLine($"managed heap after: {GC.GetTotalMemory(forceFullCollection: true) >> 20} MB; live load contexts: {System.Runtime.Loader.AssemblyLoadContext.All.Count(c => c.IsCollectible)}");
    }

    private static async Task RunOnceAsync(ScriptCompiler compiler, int i)
    {
        // Each script is distinct, as re-submitted sessions are.
        using var script = compiler.Compile($"var values = new Dictionary<string, int> {{ [\"n{i}\"] = {i} }};\nvalues.Values.Sum() + {i}", $"session{i}");
        await script.RunAsync(new NoGears());
    }

    private static void Settle()
    {
        for (var i = 0; i < 5; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }
}
