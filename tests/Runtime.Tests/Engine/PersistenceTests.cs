using System.Diagnostics;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Sessions sent with RG.CSEXECUTE are kept under --data-dir, never in Redis: they come back after a
/// restart of the gateway (same ids, onRegistered run again, as RedisGears replays its RDB) and after
/// a restart of the backend (notifications enabled and subscribed again), and nothing of them shows
/// in the user's keyspace. Events are written straight to Redis, as any other application would.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // /proc, unix sockets
public sealed class PersistenceTests : IAsyncLifetime
{
    // Counts sets of p:* per key, and counts its own onRegistered calls in "onreg".
    private const string Counting = """
        GB().ForEach(r => Execute("INCR", "fired:" + r.Key))
            .Register(prefix: "p:*", eventTypes: ["set"], onRegistered: () => Execute("INCR", "onreg"));
        """;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("sg-persistence-").FullName;
    private RedisServer _redis = null!;

    private string SessionsDir => Path.Combine(_dataDir, "sessions");

    public Task InitializeAsync()
    {
        _redis = new RedisServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        KillEmbeddedRedis(); // one a failed embedded test left behind must not outlive it
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // The data dir is ours, not the host's temporary one, so that it outlives each gateway.
    private Task<GatewayHost> StartGatewayAsync() => GatewayHost.StartAsync(_redis, "--data-dir", _dataDir);

    [Fact]
    public async Task ASessionComesBackAfterAGatewayRestartWithItsIdsAndDescriptionAndOnRegisteredRunsAgain()
    {
        string registrationId;
        await using (var first = await StartGatewayAsync())
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "orders", "DESCRIPTION", "counts sets of p:*"));
            await Gears.WaitForCounterAsync(_redis, "onreg", 1);
            await _redis.DirectAsync("SET", "p:1", "a");
            await Gears.WaitForCounterAsync(_redis, "fired:p:1", 1);
            registrationId = Assert.Single(await Gears.RegistrationsAsync(client)).Id;
        }

        await using var second = await StartGatewayAsync();
        await using var again = await second.ConnectAsync();
        var registration = Assert.Single(await Gears.RegistrationsAsync(again));
        Assert.Equal(registrationId, registration.Id);
        Assert.Equal("orders", registration.SessionId);
        Assert.Equal("counts sets of p:*", registration.Description);
        var session = Assert.Single(await Gears.SessionsAsync(again));
        Assert.Equal(("orders", "counts sets of p:*", "false"), (session.Id, session.Description, session.Dead));
        Assert.Equal([registrationId], session.Registrations);
        await Gears.WaitForCounterAsync(_redis, "onreg", 2); // onRegistered ran again on load

        await Gears.WaitUntilListeningAsync(_redis.DirectAsync);
        await _redis.DirectAsync("SET", "p:2", "b");
        await Gears.WaitForCounterAsync(_redis, "fired:p:2", 1);
        Assert.Equal(1, await Gears.CounterAsync(_redis.Port, "fired:p:1")); // old events are not replayed

        // Ids handed out before the restart are not handed out again.
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(again, "GB().ForEach(r => {}).Register(prefix: \"other:*\");", "ID", "other"));
        var ids = (await Gears.RegistrationsAsync(again)).Select(r => r.Id).ToList();
        Assert.Equal(2, ids.Distinct().Count());
    }

    [Fact]
    public async Task RestoredRegistrationsListenBeforeTheGatewayStartsServing()
    {
        // RedisGears loads its registrations before Redis serves anyone, so a write made as soon as the
        // server is up fires them. Here: as soon as the gateway has started, its subscription to the
        // events the restored registration needs must be in place on Redis.
        await using (var first = await StartGatewayAsync())
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "orders"));
        }
        var late = new List<int>();
        for (var restart = 1; restart <= Restarts; restart++)
        {
            await using var gateway = await StartGatewayAsync();
            var subscribers = await _redis.DirectAsync("PUBSUB", "NUMSUB", "__keyevent@0__:set");
            if (subscribers.EndsWith(":0\r\n", StringComparison.Ordinal))
            {
                late.Add(restart);
            }
        }
        Assert.True(late.Count == 0, $"after {late.Count} of {Restarts} restarts (#{string.Join(", #", late)}) nothing listened to set events yet when the gateway had started");
    }

    private const int Restarts = 30;

    [Fact]
    public async Task ARestartedBackendWithoutPersistenceFiresTheRegistrationsAgain()
    {
        await using var gateway = await StartGatewayAsync();
        await using var client = await gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "orders"));
        await _redis.DirectAsync("SET", "p:1", "a");
        await Gears.WaitForCounterAsync(_redis, "fired:p:1", 1);
        var registrationId = Assert.Single(await Gears.RegistrationsAsync(client)).Id;

        // Same port, no RDB, no AOF: it comes back empty, notify-keyspace-events off, nobody subscribed.
        _redis.Kill();
        _redis.Start();

        // Events written while the gateway has not re-subscribed are lost (as in RedisGears): keep writing.
        await Wait.UntilAsync(async () =>
        {
            await _redis.DirectAsync("SET", "p:after", "x");
            return await Gears.CounterAsync(_redis.Port, "fired:p:after") >= 1;
        }, "a set after the backend restart fires the registration", TimeSpan.FromSeconds(15));

        Assert.Contains("E", await NotifyKeyspaceEventsAsync());
        Assert.Equal(registrationId, Assert.Single(await Gears.RegistrationsAsync(client)).Id);
        Assert.Equal("orders", Assert.Single(await Gears.SessionsAsync(client)).Id);
    }

    [Fact]
    public async Task ASessionOnTheEmbeddedBackendComesBackAfterAGatewayRestart()
    {
        var socket = Path.Combine(_dataDir, "redis", "redis.sock");
        string registrationId;
        await using (var first = await GatewayHost.StartAsync("--data-dir", _dataDir))
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "embedded", "DESCRIPTION", "on the embedded redis"));
            await Wait.UntilAsync(async () => await Gears.RedisCliAsync("-s", socket, "GET", "onreg") == "1", "onRegistered ran once");
            Assert.Equal("OK", await Gears.RedisCliAsync("-s", socket, "SET", "p:1", "a"));
            await Wait.UntilAsync(async () => await Gears.RedisCliAsync("-s", socket, "GET", "fired:p:1") == "1", "the set fired");
            registrationId = Assert.Single(await Gears.RegistrationsAsync(client)).Id;
        }

        await using var second = await GatewayHost.StartAsync("--data-dir", _dataDir);
        await using var again = await second.ConnectAsync();
        var registration = Assert.Single(await Gears.RegistrationsAsync(again));
        Assert.Equal((registrationId, "embedded", "on the embedded redis"), (registration.Id, registration.SessionId, registration.Description));
        // The embedded redis keeps its data (AOF), so the count goes on from 1.
        await Wait.UntilAsync(async () => await Gears.RedisCliAsync("-s", socket, "GET", "onreg") == "2", "onRegistered ran again on load");
        await Gears.WaitUntilListeningAsync(command => Gears.RedisCliAsync(["-s", socket, .. command]));
        Assert.Equal("OK", await Gears.RedisCliAsync("-s", socket, "SET", "p:2", "b"));
        await Wait.UntilAsync(async () => await Gears.RedisCliAsync("-s", socket, "GET", "fired:p:2") == "1", "a set after the restart fired");

        // And nothing of SharpGears in the embedded redis' keyspace either.
        var keys = (await Gears.RedisCliAsync("-s", socket, "KEYS", "*")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["fired:p:1", "fired:p:2", "onreg", "p:1", "p:2"], keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UnregisteredRegistrationsStayUnregisteredAfterARestart()
    {
        // Two sync registrations: events are handled one after another in the order written, so once
        // b:1 is logged, a:1 (written before it) would have been logged before it if it still fired.
        const string twoRegistrations = """
            GB().ForEach(r => Execute("RPUSH", "log", r.Key)).Register(prefix: "a:*", eventTypes: ["set"], mode: ExecutionMode.Sync);
            GB().ForEach(r => Execute("RPUSH", "log", r.Key)).Register(prefix: "b:*", eventTypes: ["set"], mode: ExecutionMode.Sync);
            """;
        const string single = """GB().ForEach(r => Execute("RPUSH", "log", r.Key)).Register(prefix: "c:*", eventTypes: ["set"], mode: ExecutionMode.Sync);""";
        string kept;
        await using (var first = await StartGatewayAsync())
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, twoRegistrations, "ID", "two"));
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, single, "ID", "single"));
            var registrations = await Gears.RegistrationsAsync(client);
            Assert.Equal(3, registrations.Count);
            var (removed, removedAlone) = (registrations[0].Id, registrations[2].Id);
            kept = registrations[1].Id;
            Assert.Equal("+OK\r\n", await client.CommandAsync("RG.UNREGISTER", removed));
            Assert.Equal("+OK\r\n", await client.CommandAsync("RG.UNREGISTER", removedAlone));
            Assert.Equal([kept], (await Gears.RegistrationsAsync(client)).Select(r => r.Id));
        }

        await using var second = await StartGatewayAsync();
        await using var again = await second.ConnectAsync();
        Assert.Equal([kept], (await Gears.RegistrationsAsync(again)).Select(r => r.Id));
        Assert.Equal(["two"], (await Gears.SessionsAsync(again)).Select(s => s.Id)); // "single" had nothing left

        await Gears.WaitUntilListeningAsync(_redis.DirectAsync);
        await Gears.PipelineDirectAsync(_redis.Port, [["SET", "a:1", "x"], ["SET", "c:1", "x"], ["SET", "b:1", "x"]]);
        await Wait.UntilAsync(async () => (await _redis.DirectAsync("LLEN", "log")) != ":0\r\n", "b:1 is logged");
        Assert.Equal(Frames.Array(Frames.Bulk("b:1")), await _redis.DirectAsync("LRANGE", "log", "0", "-1"));
    }

    [Fact]
    public async Task KeysAndScanOnRedisShowOnlyTheUsersOwnKeys()
    {
        await using (var gateway = await StartGatewayAsync())
        {
            await using var client = await gateway.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "orders", "DESCRIPTION", "kept somewhere"));
            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", "mine", "1"));
            Assert.StartsWith("*1\r\n+OK", await client.CommandAsync("RG.CONFIGSET", "MyOwnSetting", "x"));
            await _redis.DirectAsync("SET", "p:1", "a");
            await Gears.WaitForCounterAsync(_redis, "fired:p:1", 1);
        }
        await using (var restarted = await StartGatewayAsync())
        {
            await using var client = await restarted.ConnectAsync();
            Assert.Single(await Gears.RegistrationsAsync(client));
            await Gears.WaitForCounterAsync(_redis, "onreg", 2);
        }

        string[] expected = ["fired:p:1", "mine", "onreg", "p:1"];
        Assert.Equal(expected, KeysOf(Gears.Parse(await _redis.DirectAsync("KEYS", "*"))));
        var scan = (object?[])Gears.Parse(await _redis.DirectAsync("SCAN", "0", "COUNT", "1000"))!;
        Assert.Equal("0", scan[0]);
        Assert.Equal(expected, KeysOf(scan[1]));
        // No other database holds anything either.
        var keyspace = ((string)Gears.Parse(await _redis.DirectAsync("INFO", "keyspace"))!)
            .Split("\r\n").Where(line => line.StartsWith("db", StringComparison.Ordinal)).ToList();
        Assert.Equal("db0:keys=4", Assert.Single(keyspace).Split(',')[0]);

        static IEnumerable<string> KeysOf(object? array) => ((object?[])array!).Cast<string>().Order(StringComparer.Ordinal);
    }

    public static TheoryData<string, string> CorruptedFiles => new()
    {
        { "truncated JSON", """{"Id":"broken","Code":"GB().ForEach(r => {}).Regis""" },
        { "not JSON at all", "\u0001\u0002garbage\u00ff" },
        { "an empty file", "" },
        { "JSON of another shape", "[1, 2, 3]" },
        { "an object without the session's fields", "{}" },
        { "a session without code", """{"Id":"broken","Code":null,"Description":null,"Requirements":[],"RegistrationIds":[],"Unregistered":[]}""" },
        { "a session whose code no longer compiles", """{"Id":"broken","Code":"this is not C#","Description":null,"Requirements":[],"RegistrationIds":["0000000000000000000000000000000000000000-9"],"Unregistered":[]}""" },
    };

    [Theory]
    [MemberData(nameof(CorruptedFiles))]
    public async Task ACorruptedSessionFileDoesNotStopTheGatewayAndTheOtherSessionsStillLoad(string what, string content)
    {
        string registrationId;
        await using (var first = await StartGatewayAsync())
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Counting, "ID", "orders"));
            registrationId = Assert.Single(await Gears.RegistrationsAsync(client)).Id;
        }
        var broken = Path.Combine(SessionsDir, "broken.json");
        await File.WriteAllTextAsync(broken, content, Encoding.Latin1);

        GatewayHost second;
        try
        {
            second = await StartGatewayAsync();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"the gateway did not start with {what} in {broken}: {e.GetType().Name}: {e.Message}");
        }
        await using (second)
        {
            await using var client = await second.ConnectAsync();
            Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
            Assert.Equal(registrationId, Assert.Single(await Gears.RegistrationsAsync(client)).Id);
            await Gears.WaitUntilListeningAsync(_redis.DirectAsync);
            await _redis.DirectAsync("SET", "p:1", "a");
            await Gears.WaitForCounterAsync(_redis, "fired:p:1", 1);
            Assert.True(File.Exists(broken), "the unreadable file is left for the user to look at");
        }
    }

    private async Task<string> NotifyKeyspaceEventsAsync() =>
        (string)((object?[])Gears.Parse(await _redis.DirectAsync("CONFIG", "GET", "notify-keyspace-events"))!)[1]!;

    private void KillEmbeddedRedis()
    {
        try
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(_dataDir, "redis", "redis.pid")).Trim());
            if (File.ReadAllText($"/proc/{pid}/cmdline").Contains(_dataDir, StringComparison.Ordinal))
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException or InvalidOperationException)
        {
            // no embedded redis left
        }
    }
}
