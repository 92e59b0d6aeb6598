namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// What a script does wrong stays in its own execution: an exception is counted in numFailures with
/// the script line; an execution past the time-out is counted in numAborted, and a thread it never
/// gives back is replaced, so other registrations, later events and other clients go on. Each test
/// has its own redis-server and gateway, because it leaves threads stuck for good.
/// </summary>
/// <remarks>
/// Scripts here block (Thread.Sleep) or await forever rather than spin: .NET cannot stop a thread, so
/// a spinning one would burn a core of this test process until it ends. The endless loop itself is
/// tested in a gateway process of its own (<see cref="RunawayLoopTests"/>).
/// </remarks>
public sealed class TimeoutAndFailureTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private GatewayHost? _gateway;

    public Task InitializeAsync()
    {
        _redis = new RedisServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        await _redis.DisposeAsync();
    }

    private async Task<RawClient> StartAsync(params string[] options)
    {
        _gateway = await GatewayHost.StartAsync(_redis, options);
        return await _gateway.ConnectAsync();
    }

    private async Task<RawClient> StartWithTimeoutAsync(int milliseconds)
    {
        var client = await StartAsync();
        Assert.Equal(Frames.Array("+OK\r\n"), await client.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", milliseconds.ToString()));
        return client;
    }

    private const string Counter = """GB().ForEach(r => Execute("INCR", "ok")).Register(prefix: "ok:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""";

    [Fact]
    public async Task ExecutionsThatBlockEveryThreadAreAbortedAtTheTimeOutAndEveryoneElseGoesOn()
    {
        await using var client = await StartWithTimeoutAsync(500);
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client,
            """GB().ForEach(r => System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite)).Register(prefix: "stuck:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""", "ID", "stuck"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counter, "ID", "counter"));
        var stuck = (await Gears.RegistrationsAsync(client)).Single(r => r.SessionId == "stuck").Id;

        // Three executions take all three threads of the pool, for good.
        await Gears.PipelineDirectAsync(_redis.Port, [["SET", "stuck:1", "v"], ["SET", "stuck:2", "v"], ["SET", "stuck:3", "v"]]);
        await Wait.UntilAsync(async () => (await Gears.RegistrationAsync(client, stuck)).Triggered == 3, "the three executions started");

        // Clients are served all the while.
        await using (var other = await _gateway!.ConnectAsync())
        {
            Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
            Assert.Equal("+OK\r\n", await other.CommandAsync("SET", "plain", "value"));
            Assert.Equal("$5\r\nvalue\r\n", await other.CommandAsync("GET", "plain"));
        }

        await Wait.UntilAsync(async () => (await Gears.RegistrationAsync(client, stuck)).Aborted == 3, "the three executions are counted as aborted");
        var registration = await Gears.RegistrationAsync(client, stuck);
        Assert.Equal((3L, 0L, 0L), (registration.Triggered, registration.Success, registration.Failures));
        Assert.Contains("aborted", registration.LastError);
        Assert.Contains("500 ms", registration.LastError);

        // The stuck threads are replaced, so the other registration fires.
        await Gears.PipelineDirectAsync(_redis.Port, [.. Enumerable.Range(0, 5).Select(i => new[] { "SET", $"ok:{i}", "v" })]);
        await Gears.WaitForCounterAsync(_redis, "ok", 5, TimeSpan.FromSeconds(10));
        // Each stuck thread is given up once it has run a second past the time-out, at the watchdog's
        // next look (every 100 ms): the counter may be done on the first replacements before the last.
        await Wait.UntilAsync(async () => (long)(await Gears.StatsAsync(client))["abandonedExecutionThreads"]! >= 3, "the three stuck threads are given up");
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
    }

    [Theory]
    [InlineData("blocks its thread", "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite)")]
    [InlineData("awaits forever", "await Task.Delay(System.Threading.Timeout.Infinite)")]
    public async Task ASyncExecutionThatNeverEndsHoldsLaterSyncEventsOnlyUntilTheTimeOut(string what, string hang)
    {
        // Sync executions keep their order only while each ends within the time-out (the dispatcher
        // then moves on), so it is not set too short: on a loaded machine a plain execution was seen
        // to take longer than 600 ms and be overtaken by the next.
        await using var client = await StartWithTimeoutAsync(2000);
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, $$"""
            GB().ForEach(async r => { if (r.Key == "k:hang") { {{hang}}; } await ExecuteAsync("RPUSH", "log", r.Key); })
                .Register(prefix: "k:*", eventTypes: ["set"], mode: ExecutionMode.Sync);
            """, "ID", "sync"));

        string[] later = ["k:1", "k:2", "k:3", "k:4", "k:5"];
        await Gears.PipelineDirectAsync(_redis.Port, [["SET", "k:hang", "v"], .. later.Select(key => new[] { "SET", key, "v" })]);

        await Wait.UntilAsync(async () => await _redis.DirectAsync("LLEN", "log") == ":5\r\n", $"the events after the one that {what} are handled", TimeSpan.FromSeconds(15));
        var logged = ((object?[])Gears.Parse(await _redis.DirectAsync("LRANGE", "log", "0", "-1"))!).Cast<string>();
        Assert.Equal(later, logged); // still in order
        var registration = Assert.Single(await Gears.RegistrationsAsync(client));
        Assert.Equal((6L, 0L), (registration.Triggered, registration.Failures));
        Assert.Equal((5L, 1L), (registration.Success, registration.Aborted));
        Assert.Contains("aborted", registration.LastError);
    }

    [Theory]
    [InlineData("blocks its thread", "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);")]
    [InlineData("awaits forever", "await Task.Delay(System.Threading.Timeout.Infinite);")]
    public async Task AScriptBodyThatNeverReturnsFailsTheSubmissionAndRegistersNothing(string what, string hang)
    {
        // (A body that blocks keeps a thread of .NET's shared pool for good: the engine runs bodies
        // with Task.Run, not on its own replaceable threads.)
        await using var client = await StartWithTimeoutAsync(500);

        var reply = await Gears.SubmitAsync(client, $$"""
            GB().ForEach(r => Execute("INCR", "fired")).Register(prefix: "k:*", eventTypes: ["set"]);
            {{hang}}
            """, "ID", "hangs");

        Assert.True(reply.StartsWith("-ERR ", StringComparison.Ordinal) && reply.Contains("time-out"), $"a body that {what}: {reply}");
        Assert.Empty(await Gears.RegistrationsAsync(client));
        Assert.Empty(await Gears.SessionsAsync(client));
        // The id is free: nothing of the session that never finished was kept.
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, """GB().ForEach(r => Execute("INCR", "fired")).Register(prefix: "k:*", eventTypes: ["set"]);""", "ID", "hangs"));
        Assert.Single(await Gears.RegistrationsAsync(client));
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
    }

    [Fact]
    public async Task AnExecutionThatThrowsIsCountedAsAFailureWithTheScriptLine()
    {
        await using var client = await StartAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, """
            // line 1
            GB().ForEach(r =>
                {
                    throw new InvalidOperationException("boom " + r.Key);
                })
                .Register(prefix: "fail:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
            GB().ForEach(r => Execute("LPUSH", r.Key, "not a list"))
                .Register(prefix: "wrongtype:*", eventTypes: ["set"], mode: ExecutionMode.Sync);
            """, "ID", "failing"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counter, "ID", "counter"));
        var registrations = (await Gears.RegistrationsAsync(client)).Where(r => r.SessionId == "failing").Select(r => r.Id).ToList();

        await Gears.PipelineDirectAsync(_redis.Port, [["SET", "fail:1", "v"], ["SET", "fail:2", "v"], ["SET", "wrongtype:1", "v"], ["SET", "ok:1", "v"]]);

        await Wait.UntilAsync(async () => (await Gears.RegistrationAsync(client, registrations[0])).Failures == 2, "two failures are counted");
        var throwing = await Gears.RegistrationAsync(client, registrations[0]);
        Assert.Equal((2L, 0L, 0L), (throwing.Triggered, throwing.Success, throwing.Aborted));
        Assert.Contains("InvalidOperationException: boom fail:", throwing.LastError);
        Assert.Contains("failing.csx:line 4", throwing.LastError);

        // An error reply to Execute is a failure too, at the line of the call.
        await Wait.UntilAsync(async () => (await Gears.RegistrationAsync(client, registrations[1])).Failures == 1, "the WRONGTYPE failure is counted");
        var wrongType = await Gears.RegistrationAsync(client, registrations[1]);
        Assert.StartsWith("WRONGTYPE", wrongType.LastError);
        Assert.Contains("failing.csx:line 7", wrongType.LastError);

        await Gears.WaitForCounterAsync(_redis, "ok", 1);
    }

    [Fact]
    public async Task AnAbortedExecutionThatKeepsCallingRedisStopsAtItsNextCallAndGivesItsThreadBack()
    {
        // One thread, and a time-out set at start-up. If the loop did not stop at its next Execute after
        // the time-out, the counter below could only fire once the watchdog gave the thread up.
        await using var client = await StartAsync("--SharpGears:ExecutionThreads", "1", "--SharpGears:ExecutionTimeout", "500");
        Assert.Equal(Frames.Array(":500\r\n"), await client.CommandAsync("RG.CONFIGGET", "ExecutionTimeout"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client,
            """GB().ForEach(r => { while (true) { Execute("INCR", "spins"); } }).Register(prefix: "loop:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""", "ID", "loop"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counter, "ID", "counter"));
        var loop = (await Gears.RegistrationsAsync(client)).Single(r => r.SessionId == "loop").Id;

        await _redis.DirectAsync("SET", "loop:1", "v");
        // Only once the loop holds the one thread (executions interleave while they await their input).
        await Wait.UntilAsync(async () => await Gears.CounterAsync(_redis.Port, "spins") > 0, "the loop runs");
        await _redis.DirectAsync("SET", "ok:1", "v");

        await Gears.WaitForCounterAsync(_redis, "ok", 1, TimeSpan.FromSeconds(10));
        Assert.Equal(0L, (await Gears.StatsAsync(client))["abandonedExecutionThreads"]);
        var registration = await Gears.RegistrationAsync(client, loop);
        Assert.Equal((1L, 0L), (registration.Aborted, registration.Failures)); // counted once, as aborted
        Assert.Contains("aborted", registration.LastError);
    }
}
