namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// An execution that loops forever without calling anything (<c>while (true) { }</c>). .NET cannot stop
/// such a thread, so the gateway runs as a process of its own here, stopped when the test ends; the
/// loop burns one core of it meanwhile.
/// </summary>
public sealed class RunawayLoopTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("sg-runaway-").FullName;
    private RedisServer _redis = null!;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer();
        // The time-out as a start-up setting, as a user would put it on the command line.
        _gateway = await GatewayProcess.StartAsync("--backend", _redis.Url, "--data-dir", _dataDir,
            "--SharpGears:ExecutionTimeout", "500", "--log-level", "Warning");
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AnEndlessLoopIsCountedAsAbortedAndOtherRegistrationsAndClientsGoOn()
    {
        await using var client = await RawClient.ConnectAsync(_gateway.Port);
        Assert.Equal(Frames.Array(":500\r\n"), await client.CommandAsync("RG.CONFIGGET", "ExecutionTimeout"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client,
            """GB().ForEach(r => { while (true) { } }).Register(prefix: "loop:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""", "ID", "loop"));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client,
            """GB().ForEach(r => Execute("INCR", "ok")).Register(prefix: "ok:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""", "ID", "counter"));
        var loop = (await Gears.RegistrationsAsync(client)).Single(r => r.SessionId == "loop").Id;

        await _redis.DirectAsync("SET", "loop:1", "v");
        await Wait.UntilAsync(async () => (await Gears.RegistrationAsync(client, loop)).Aborted == 1, "the loop is counted as aborted");
        var registration = await Gears.RegistrationAsync(client, loop);
        Assert.Equal((1L, 0L, 0L), (registration.Triggered, registration.Success, registration.Failures));
        Assert.Contains("aborted", registration.LastError);

        await using (var other = await RawClient.ConnectAsync(_gateway.Port))
        {
            Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
            Assert.Equal("+OK\r\n", await other.CommandAsync("SET", "plain", "value"));
            Assert.Equal("$5\r\nvalue\r\n", await other.CommandAsync("GET", "plain"));
        }
        await Gears.PipelineDirectAsync(_redis.Port, [.. Enumerable.Range(0, 10).Select(i => new[] { "SET", $"ok:{i}", "v" })]);
        await Gears.WaitForCounterAsync(_redis, "ok", 10);
        // The looping thread is given up (and replaced) once it ran a second past the time-out.
        await Wait.UntilAsync(async () => (long)(await Gears.StatsAsync(client))["abandonedExecutionThreads"]! == 1, "the looping thread is given up");
    }
}
