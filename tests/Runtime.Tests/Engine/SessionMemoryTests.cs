using System.Diagnostics;
using Xunit.Abstractions;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>Memory measurements must not share the process with tests running at the same time.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

/// <summary>
/// RedisGears users saw memory grow with every script they sent again and never come back. Here each
/// upgrade of a session unloads the code it replaces: after a thousand upgrades, and full collections,
/// the process holds about what it held after the first few, and no old load context is left.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class SessionMemoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Upgrades = 1000;
    private const int WarmUp = 20;

    // The working set is compared with a later point: the first few hundred compilations still grow it
    // (Roslyn's code tiering up, caches and heaps reaching their size) before it levels off. Measured
    // with this test alone: about +30 MB over the first 300 upgrades, +10 MB from 500 to 1000, +18 MB
    // from 1000 to 3000, while every old context was collected.
    private const int WorkingSetWarmUp = 100;
    private const long AllowedGrowth = 50L * 1024 * 1024;

    private RedisServer _redis = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer();
        _gateway = await GatewayHost.StartAsync(_redis);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    // Different text each time (the number), so that each upgrade compiles anew.
    private static string Code(int version) => $$"""
        GB().ForEach(r => Execute("SET", "mem:last", "version {{version}}"))
            .Register(prefix: "memtest:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
        """;

    [Fact]
    public async Task AThousandUpgradesOfOneSessionGiveTheirMemoryBack()
    {
        await using var client = await _gateway.ConnectAsync();
        var total = Stopwatch.StartNew();
        var baselines = new Dictionary<int, (long Heap, long WorkingSet)>();
        var compiling = new Stopwatch();
        for (var version = 1; version <= Upgrades; version++)
        {
            var reply = await Gears.SubmitAsync(client, Code(version), "ID", "mem", "UPGRADE");
            Assert.True(reply == "+OK\r\n", $"upgrade {version}: {reply}");
            if (version % 100 == 0)
            {
                // The code in place is the one just sent, and it runs (executed code must unload too).
                await _redis.DirectAsync("SET", $"memtest:{version}", "v");
                await Wait.UntilAsync(async () => await _redis.DirectAsync("GET", "mem:last") == Frames.Bulk($"version {version}"), $"version {version} runs");
            }
            if (version is WarmUp or WorkingSetWarmUp)
            {
                compiling.Stop();
                await WaitUntilOldContextsAreCollectedAsync(client);
                baselines[version] = Measure();
                compiling.Start();
            }
        }
        var perUpgrade = compiling.Elapsed.TotalMilliseconds / (Upgrades - WarmUp);

        await WaitUntilOldContextsAreCollectedAsync(client);
        var end = Measure();
        Assert.Equal("mem", Assert.Single(await Gears.SessionsAsync(client)).Id);
        Assert.Single(await Gears.RegistrationsAsync(client));

        output.WriteLine($"{Upgrades} upgrades in {total.Elapsed.TotalSeconds:F1} s; {perUpgrade:F1} ms per upgrade after the warm-up (compile, run the body, replace, store, and every 100th an event)");
        foreach (var (after, (heap, workingSet)) in baselines)
        {
            output.WriteLine($"after {after,4} upgrades: managed heap {Mb(heap)} MB, working set {Mb(workingSet)} MB (after full GCs)");
        }
        output.WriteLine($"after {Upgrades} upgrades: managed heap {Mb(end.Heap)} MB, working set {Mb(end.WorkingSet)} MB (after full GCs)");
        var heapGrowth = end.Heap - baselines[WarmUp].Heap;
        var workingSetGrowth = end.WorkingSet - baselines[WorkingSetWarmUp].WorkingSet;
        output.WriteLine($"growth: managed heap {Mb(heapGrowth)} MB since {WarmUp}; working set {Mb(workingSetGrowth)} MB since {WorkingSetWarmUp} ({Mb(end.WorkingSet - baselines[WarmUp].WorkingSet)} MB since {WarmUp})");
        Assert.True(heapGrowth < AllowedGrowth, $"the managed heap grew by {Mb(heapGrowth)} MB");
        Assert.True(workingSetGrowth < AllowedGrowth, $"the working set grew by {Mb(workingSetGrowth)} MB");
    }

    // Unloading a collectible context takes a few collections; RG.DUMPSESSIONS DEAD lists those not collected yet.
    private async Task WaitUntilOldContextsAreCollectedAsync(RawClient client)
    {
        var collections = 0;
        await Wait.UntilAsync(async () =>
        {
            FullCollection();
            collections++;
            return (await Gears.SessionsAsync(client, "DEAD")).Count == 0
                && (long)(await Gears.StatsAsync(client))["unloadingScriptContexts"]! == 0;
        }, "every replaced session's load context is collected", TimeSpan.FromSeconds(30));
        output.WriteLine($"old load contexts collected after {collections} full collections");
    }

    private static void FullCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static (long Heap, long WorkingSet) Measure()
    {
        FullCollection();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (heap, process.WorkingSet64);
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1");
}
