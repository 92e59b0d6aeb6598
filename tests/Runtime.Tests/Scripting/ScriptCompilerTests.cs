using System.Runtime.CompilerServices;
using SharpGears.Api;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Tests.Scripting;

public class ScriptCompilerTests
{
    private static readonly ScriptCompiler s_compiler = new();

    private static async Task<object> RunAsync(string code)
    {
        using var script = s_compiler.Compile(code, "test");
        return await script.EvaluateAsync(new RecordingGears());
    }

    [Fact]
    public async Task ScriptRunsAndReturnsItsLastValue() => Assert.Equal(3, await RunAsync("var a = 1;\na + 2"));

    [Fact]
    public async Task DefaultNamespacesNeedNoUsingLines()
    {
        const string code = """
            var numbers = new List<int> { 1, 2, 3 };
            var json = JsonSerializer.Serialize(new { sum = numbers.Sum() });
            await Task.Yield();
            $"{json} {typeof(ConnectionMultiplexer).Name} {typeof(ExecutionMode).Name}"
            """;
        Assert.Equal("""{"sum":6} ConnectionMultiplexer ExecutionMode""", await RunAsync(code));
    }

    [Fact]
    public async Task UsingLinesAreAcceptedToo() =>
        Assert.Equal("RedisKey", await RunAsync("using StackExchange.Redis;\nusing System.Text;\ntypeof(RedisKey).Name"));

    [Fact]
    public void CompileErrorsListEveryErrorWithItsLineAndColumn()
    {
        var error = Assert.Throws<ScriptCompilationException>(() => s_compiler.Compile("var x = ;\nvar y = 1;\nNoSuchMethod();", "broken"));
        Assert.Equal(2, error.Errors.Count);
        Assert.StartsWith("1:9: CS1525:", error.Errors[0]);
        Assert.StartsWith("3:1: CS0103:", error.Errors[1]);
        Assert.Contains("NoSuchMethod", error.Message);
    }

    [Fact]
    public async Task ExceptionsThrownByAScriptCarryItsLineNumber()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync("var a = 1;\nthrow new InvalidOperationException(\"boom\");"));
        Assert.Equal("boom", error.Message);
        Assert.Contains("test.csx:line 2", error.StackTrace);
    }

    [Fact]
    public async Task UnloadedScriptsAreCollected()
    {
        var contexts = await CompileRunAndUnloadAsync(5);
        await Wait.UntilAsync(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return contexts.All(context => !context.IsAlive);
        }, "every unloaded script's load context is collected");
    }

    // With Dynamic PGO the JIT at times miscompiled Roslyn's metadata writer, and from then on every
    // compile of the process failed with a NullReferenceException (see TieredPGO in Runtime.csproj). It
    // took hundreds of compiles and some luck, too slow and random for a test; this one keeps it off in
    // the gateway and in this process, which hosts the engine.
    [Fact]
    public void TheGatewayAndTheTestsRunWithoutDynamicPgo()
    {
        Assert.Equal("false", AppContext.GetData("System.Runtime.TieredPGO")?.ToString(), ignoreCase: true);
        using var gateway = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SharpGears.Runtime.runtimeconfig.json")));
        Assert.False(gateway.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the scripts' objects off this frame
    private static async Task<List<WeakReference>> CompileRunAndUnloadAsync(int count)
    {
        var contexts = new List<WeakReference>();
        for (var i = 0; i < count; i++)
        {
            using var script = s_compiler.Compile($"new List<string> {{ \"session {i}\" }}.Count", $"unload{i}");
            Assert.Equal(1, await script.EvaluateAsync(new RecordingGears()));
            contexts.Add(script.LoadContextReference);
        }
        return contexts;
    }
}
