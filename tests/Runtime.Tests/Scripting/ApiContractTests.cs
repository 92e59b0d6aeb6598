using System.Collections.Immutable;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Tests.Scripting;

/// <summary>
/// The Api as scripts use it, compiled by the real script compiler. The engine is not built yet, so
/// a recording stand-in receives the registrations (it stands in for the engine, not for Redis).
/// </summary>
public class ApiContractTests
{
    private static readonly ScriptCompiler s_compiler = new();

    private static async Task<RecordingGears> RunAsync(string code)
    {
        var gears = new RecordingGears();
        using var script = s_compiler.Compile(code, "api");
        await script.EvaluateAsync(gears);
        return gears;
    }

    [Fact]
    public async Task TheIssuesExampleRegistrationCompilesAndRegistersWhatItSays()
    {
        var gears = await RunAsync("""
            GB().ForEach(r => Execute("HINCRBY", "counts", r.Event, 1)).Register(prefix: "k:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
            """);
        var registration = Assert.Single(gears.Registrations);
        Assert.Equal("KeysReader", registration.Reader);
        Assert.Equal("k:*", registration.Prefix);
        Assert.Equal(["set"], registration.EventTypes);
        Assert.Equal(ExecutionMode.AsyncLocal, registration.Mode);
        Assert.True(registration.ReadValue);
        Assert.Null(registration.KeyTypes);
        Assert.Equal(["ForEach"], registration.Steps.Select(s => s.Name));

        await ((ForEachStep)registration.Steps[0]).Apply(new KeyRecord("k:1", "v", "string", "set"));
        var (command, arguments) = Assert.Single(gears.Executed);
        Assert.Equal("HINCRBY", command);
        Assert.Equal(["counts", "set", 1], arguments);
    }

    [Fact]
    public async Task ExecuteResultsCastNaturally() =>
        Assert.Equal("value 6 b", await RunScriptValueAsync("""
            var s = (string?)Execute("GET", "k");
            var n = (long)Execute("INCR", "n");
            var list = (object?[])Execute("LRANGE", "l", 0, -1)!;
            $"{s} {n + 1} {list[1]}"
            """));

    [Fact]
    public async Task SynchronousAndAsynchronousLambdasChooseTheirOverloads()
    {
        var gears = await RunAsync("""
            GB().Map(r => r.Key)
                .Map(async key => { await Task.Yield(); return key.ToUpperInvariant(); })
                .Filter(key => key.StartsWith("K"))
                .Filter(async key => { await Task.Yield(); return key.Length > 1; })
                .FlatMap(key => key.Split(':'))
                .Accumulate((int count, string part) => count + part.Length)
                .Register();
            """);
        var steps = Assert.Single(gears.Registrations).Steps;
        Assert.Equal(["Map", "Map", "Filter", "Filter", "FlatMap", "Accumulate"], steps.Select(s => s.Name));

        object? value = new KeyRecord("k:12345", null, "string", "set");
        value = await ((MapStep)steps[0]).Apply(value);
        value = await ((MapStep)steps[1]).Apply(value);
        Assert.Equal("K:12345", value);
        Assert.True(await ((FilterStep)steps[2]).Keep(value));
        Assert.True(await ((FilterStep)steps[3]).Keep(value));
        var parts = (await ((FlatMapStep)steps[4]).Apply(value)).ToList();
        Assert.Equal(["K", "12345"], parts);
        object? total = null;
        foreach (var part in parts)
        {
            total = await ((AccumulateStep)steps[5]).Fold(total, part);
        }
        Assert.Equal(6, total);
    }

    [Fact]
    public async Task ABuilderCannotBeUsedTwice()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync("""
            var pipeline = GB().Map(r => r.Key);
            pipeline.Register();
            pipeline.Register();
            """));
        Assert.Contains("used already", error.Message);
    }

    private static async Task<object> RunScriptValueAsync(string code)
    {
        using var script = s_compiler.Compile(code, "api");
        return await script.EvaluateAsync(new RecordingGears());
    }
}
