namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// Clients that leave at awkward moments leave nothing behind, in the gateway or in the backend, and
/// the gateway refuses clients beyond --max-clients as Redis refuses those beyond maxclients.
/// </summary>
/// <remarks>
/// The tests of this class count the backend's clients: the fixture (its Redis and its gateway) is
/// theirs alone, and they run one after another.
/// </remarks>
public sealed class ClientLifecycleTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const int PipelineLength = 10_000;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task AClientThatLeavesMidPipelineLeaksNothing(bool reset, bool pinned)
    {
        var (gatewayBaseline, backendBaseline) = await SettleAsync();
        await using var bystander = await fixture.Gateway.ConnectAsync();
        var key = GatewayFixture.Key("mid-pipeline");

        var leaving = await fixture.Gateway.ConnectAsync();
        if (pinned)
        {
            Assert.Equal("+OK\r\n", await leaving.CommandAsync("SELECT", "0"));
            Assert.Equal(backendBaseline + 1, (await BackendClients.ListAsync(fixture.Redis)).Length); // its own backend connection
        }
        var pipeline = new List<byte>();
        for (var i = 0; i < PipelineLength; i++)
        {
            pipeline.AddRange(RawClient.Encode("SET", $"{key}:{i % 100}", i.ToString()));
        }
        await leaving.SendAsync([.. pipeline]);
        if (reset)
        {
            leaving.Abort();
        }
        else
        {
            await leaving.DisposeAsync();
        }

        await Wait.UntilAsync(() => fixture.Gateway.Server.ClientCount == gatewayBaseline + 1, // + the bystander
            $"the gateway counts {gatewayBaseline + 1} clients: the bystander only");
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Length == backendBaseline,
            $"the backend is back to {backendBaseline} clients");

        // The shared connections are still in step: replies go to the right clients, in order.
        await AssertServedAsync(bystander, key);
        await using var newcomer = await fixture.Gateway.ConnectAsync();
        await AssertServedAsync(newcomer, key);
        Assert.Equal("+OK\r\n", await newcomer.CommandAsync("SELECT", "0"));
        Assert.Equal("+PONG\r\n", await newcomer.CommandAsync("PING"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientThatLeavesHalfwayThroughAStreamedRequestLeaksNothingAndTheRequestDoesNotRun(bool reset)
    {
        var (gatewayBaseline, backendBaseline) = await SettleAsync();
        var key = GatewayFixture.Key("half-sent");
        // Larger than the stream threshold: the gateway forwards it as it arrives, on a backend connection of the client's own.
        var threshold = (int)fixture.Gateway.Server.Options.StreamThreshold;

        var leaving = await fixture.Gateway.ConnectAsync();
        await leaving.SendAsync($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${threshold * 4}\r\n" + new string('v', threshold * 2));
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Length == backendBaseline + 1,
            "the gateway streams the request to the backend");
        if (reset)
        {
            leaving.Abort();
        }
        else
        {
            await leaving.DisposeAsync();
        }

        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Length == backendBaseline,
            $"the backend is back to {backendBaseline} clients");
        await Wait.UntilAsync(() => fixture.Gateway.Server.ClientCount == gatewayBaseline, $"the gateway is back to {gatewayBaseline} clients");
        Assert.Equal("$-1\r\n", await fixture.Redis.DirectAsync("GET", key));
        await using var newcomer = await fixture.Gateway.ConnectAsync();
        await AssertServedAsync(newcomer, key);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientThatLeavesWhileBlockedInBlpopHasItsBackendConnectionClosed(bool reset)
    {
        var (gatewayBaseline, backendBaseline) = await SettleAsync();
        var key = GatewayFixture.Key("blpop-leaver");

        var blocked = await fixture.Gateway.ConnectAsync();
        await blocked.SendAsync(RawClient.Encode("BLPOP", key, "0"));
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Any(IsBlpop), "the backend has a client blocked in BLPOP");
        if (reset)
        {
            blocked.Abort();
        }
        else
        {
            await blocked.DisposeAsync();
        }

        await Wait.UntilAsync(async () => !(await BackendClients.ListAsync(fixture.Redis)).Any(IsBlpop), "no backend client is blocked in BLPOP");
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Length == backendBaseline,
            $"the backend is back to {backendBaseline} clients");
        await Wait.UntilAsync(() => fixture.Gateway.Server.ClientCount == gatewayBaseline, $"the gateway is back to {gatewayBaseline} clients");

        // Nobody pops what is pushed now.
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("RPUSH", key, "v"));
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("LLEN", key));

        static bool IsBlpop(string client) => client.Contains(" cmd=blpop ", StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGatewayWithMaxClients2RefusesAThirdClientAsRedisDoesAndAcceptsAgainAfterOneLeaves()
    {
        // What Redis itself says with maxclients 2 (its own readiness probe may still count for a moment,
        // so connect until one is refused).
        string? expected = null;
        await using (var limited = new RedisServer("--maxclients", "2"))
        {
            var held = new List<RawClient>();
            try
            {
                while (expected is null && held.Count < 3)
                {
                    var client = await RawClient.ConnectAsync(limited.Port);
                    held.Add(client);
                    var reply = await client.CommandAsync("PING");
                    if (reply != "+PONG\r\n")
                    {
                        expected = reply;
                        Assert.True(await client.IsClosedByServerAsync(), "Redis closes the refused client");
                    }
                }
            }
            finally
            {
                foreach (var client in held)
                {
                    await client.DisposeAsync();
                }
            }
        }
        Assert.Equal("-ERR max number of clients reached\r\n", expected);

        await using var gateway = await GatewayHost.StartAsync(fixture.Redis, "--max-clients", "2");
        var first = await gateway.ConnectAsync();
        await using var second = await gateway.ConnectAsync();
        Assert.Equal("+PONG\r\n", await first.CommandAsync("PING"));
        Assert.Equal("+PONG\r\n", await second.CommandAsync("PING"));

        await using (var third = await gateway.ConnectAsync())
        {
            Assert.Equal(expected, await third.ReadAsync());
            Assert.True(await third.IsClosedByServerAsync(), "the gateway closes the refused client");
        }
        Assert.Equal(2, gateway.Server.ClientCount);
        Assert.Equal("+PONG\r\n", await second.CommandAsync("PING")); // the accepted ones are unaffected

        await first.DisposeAsync();
        await Wait.UntilAsync(() => gateway.Server.ClientCount == 1, "the gateway counts 1 client");
        await using var fourth = await gateway.ConnectAsync();
        Assert.Equal("+PONG\r\n", await fourth.CommandAsync("PING"));
        Assert.Equal(2, gateway.Server.ClientCount);
    }

    /// <summary>
    /// Waits until what earlier tests left has gone: no gateway client, and in the backend only the
    /// gateway's shared connections. Returns those counts, the baselines.
    /// </summary>
    private async Task<(int Gateway, int Backend)> SettleAsync()
    {
        var lanes = fixture.Gateway.Server.Options.SharedConnections;
        await Wait.UntilAsync(() => fixture.Gateway.Server.ClientCount == 0, "the gateway has no clients left from earlier tests");
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(fixture.Redis)).Length == lanes,
            $"the backend has only the gateway's {lanes} shared connections");
        return (0, lanes);
    }

    private static async Task AssertServedAsync(RawClient client, string key)
    {
        var own = GatewayFixture.Key("own");
        var pipeline = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            pipeline.AddRange(RawClient.Encode("INCR", own));
        }
        await client.SendAsync([.. pipeline]);
        for (var i = 1; i <= 50; i++)
        {
            Assert.Equal($":{i}\r\n", await client.ReadAsync());
        }
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "after"));
        Assert.Equal("$5\r\nafter\r\n", await client.CommandAsync("GET", key));
    }
}

/// <summary>The backend's own view of its clients (CLIENT LIST, asked directly).</summary>
internal static class BackendClients
{
    /// <summary>
    /// One CLIENT LIST line per client, without the connection that asks and without the engine's own
    /// connections (named sharpgears-*), which do not serve clients.
    /// </summary>
    public static async Task<string[]> ListAsync(RedisServer redis)
    {
        var reply = await redis.DirectAsync("CLIENT", "LIST");
        Assert.StartsWith("$", reply);
        return [.. reply[(reply.IndexOf('\n') + 1)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("id=", StringComparison.Ordinal) && !line.Contains(" cmd=client|list ", StringComparison.Ordinal)
                && !line.Contains(" name=sharpgears-", StringComparison.Ordinal))];
    }
}
