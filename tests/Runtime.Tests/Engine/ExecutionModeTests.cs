using System.Diagnostics;
using Xunit.Abstractions;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>A redis-server and a gateway whose execution pool has 3 threads (RedisGears' default), said out loud.</summary>
public sealed class ThreeExecutionThreadsFixture : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = new RedisServer();
        Gateway = await GatewayHost.StartAsync(Redis, "--SharpGears:ExecutionThreads", "3");
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>
/// Where executions run: <c>sync</c> inline on the event, one after another in event order;
/// <c>async</c> and <c>async_local</c> on a pool of ExecutionThreads workers, which an asynchronous
/// step gives back while it awaits. Each test uses keys of its own, so they share one gateway.
/// </summary>
public sealed class ExecutionModeTests(ThreeExecutionThreadsFixture fixture, ITestOutputHelper output) : IClassFixture<ThreeExecutionThreadsFixture>
{
    private static string Unique() => Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task SyncExecutionsRunInTheOrderTheEventsWereWritten()
    {
        var id = Unique();
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, $$"""
            GB().ForEach(r => Execute("RPUSH", "{{id}}:order", r.Key))
                .Register(prefix: "{{id}}:k:*", eventTypes: ["set"], mode: ExecutionMode.Sync);
            """));

        var keys = Enumerable.Range(0, 200).Select(i => $"{id}:k:{i:D3}").ToList();
        // Written in this order on one connection straight to Redis, which notifies in the same order.
        await Gears.PipelineDirectAsync(fixture.Redis.Port, [.. keys.Select(key => new[] { "SET", key, "v" })]);

        await Wait.UntilAsync(async () => await fixture.Redis.DirectAsync("LLEN", $"{id}:order") == ":200\r\n", "200 keys are logged");
        var logged = ((object?[])Gears.Parse(await fixture.Redis.DirectAsync("LRANGE", $"{id}:order", "0", "-1"))!).Cast<string>();
        Assert.Equal(keys, logged);
    }

    [Theory]
    [InlineData("ForEach with an async lambda, async_local", """
        GB().ForEach(async r => { await Task.Delay(1000); await ExecuteAsync("INCR", "{id}:done"); })
            .Register(prefix: "{id}:k:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
        """)]
    [InlineData("Map with an async lambda, async (the default)", """
        GB().Map(async r => { await Task.Delay(1000); return r.Key; })
            .ForEach(key => Execute("INCR", "{id}:done"))
            .Register(prefix: "{id}:k:*", eventTypes: ["set"]);
        """)]
    public async Task AnAwaitingStepDoesNotHoldAnExecutionThread(string what, string code)
    {
        // 45 executions that each await 1 s: on 3 threads held while they wait, that takes 15 s;
        // given back while they wait, about 1 s. The deadline of 6 s leaves room for a loaded machine
        // (up to 3 s were seen while the whole suite ran on 2 cores).
        const int events = 45;
        var id = Unique();
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, code.Replace("{id}", id)));

        var clock = Stopwatch.StartNew();
        await Gears.PipelineDirectAsync(fixture.Redis.Port, [.. Enumerable.Range(0, events).Select(i => new[] { "SET", $"{id}:k:{i}", "v" })]);
        await Wait.UntilAsync(async () => await Gears.CounterAsync(fixture.Redis.Port, $"{id}:done") == events,
            $"all {events} executions ({what}) finished", TimeSpan.FromSeconds(6));
        output.WriteLine($"{what}: {events} executions awaiting 1 s each finished in {clock.ElapsedMilliseconds} ms on 3 threads");
    }

    [Fact]
    public async Task AtMostExecutionThreadsBlockingStepsRunAtOnce()
    {
        // A step that blocks its thread does hold it: the pool has exactly 3.
        var id = Unique();
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, $$"""
            using System.Threading;
            var running = 0;
            var most = 0;
            GB().ForEach(r =>
                {
                    var now = Interlocked.Increment(ref running);
                    int seen;
                    while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen) { }
                    Thread.Sleep(300);
                    Interlocked.Decrement(ref running);
                    Execute("SET", "{{id}}:most", Volatile.Read(ref most));
                    Execute("INCR", "{{id}}:done");
                })
                .Register(prefix: "{{id}}:k:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
            """));

        await Gears.PipelineDirectAsync(fixture.Redis.Port, [.. Enumerable.Range(0, 12).Select(i => new[] { "SET", $"{id}:k:{i}", "v" })]);
        await Wait.UntilAsync(async () => await Gears.CounterAsync(fixture.Redis.Port, $"{id}:done") == 12, "12 executions finished");
        Assert.Equal(3, await Gears.CounterAsync(fixture.Redis.Port, $"{id}:most"));
    }

    [Fact]
    public async Task RgDumpregistrationsNamesEachModeAsRedisGearsDoes()
    {
        var session = "modes-" + Unique();
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, $$"""
            GB().ForEach(r => {}).Register(prefix: "{{session}}:1", mode: ExecutionMode.Sync);
            GB().ForEach(r => {}).Register(prefix: "{{session}}:2", mode: ExecutionMode.Async);
            GB().ForEach(r => {}).Register(prefix: "{{session}}:3", mode: ExecutionMode.AsyncLocal);
            GB().ForEach(r => {}).Register(prefix: "{{session}}:4");
            """, "ID", session));

        var modes = (await Gears.RegistrationsAsync(client)).Where(r => r.SessionId == session).Select(r => r.Mode);
        Assert.Equal(["sync", "async", "async_local", "async"], modes);
    }
}
