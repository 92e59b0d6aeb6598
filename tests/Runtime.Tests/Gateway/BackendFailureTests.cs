namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// The backend Redis dies and comes back: clients get errors at once instead of hanging, clients
/// whose connection state died with it are closed (as Redis' own clients would be), and the gateway
/// reconnects by itself. Each test has its own Redis to kill.
/// </summary>
public sealed class BackendFailureTests
{
    /// <summary>How soon "promptly" is: generous, only to tell an answer from a hang.</summary>
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task APlainCommandGetsAnErrorPromptlyWhileTheBackendIsDownAndTheGatewayReconnectsWhenItIsBack()
    {
        await using var redis = new RedisServer();
        await using var gateway = await GatewayHost.StartAsync(redis);
        await using var client = await gateway.ConnectAsync();
        var key = GatewayFixture.Key("outage");
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "v"));

        redis.Kill();

        await client.SendAsync(RawClient.Encode("GET", key));
        AssertErrorLine(await ReplyPromptlyAsync(client, "GET while the backend is down"));
        // The gateway itself still serves: it answers a forwarded PING with a well-formed error, and accepts new clients.
        await client.SendAsync(RawClient.Encode("PING"));
        AssertErrorLine(await ReplyPromptlyAsync(client, "PING while the backend is down"));
        await using (var newcomer = await gateway.ConnectAsync())
        {
            await newcomer.SendAsync("PING\r\n");
            AssertErrorLine(await ReplyPromptlyAsync(newcomer, "inline PING of a new client while the backend is down"));
        }

        redis.Start();

        // The same client (never closed) is served again once the gateway has reconnected by itself.
        await Wait.UntilAsync(async () => (await client.CommandAsync("GET", key)).StartsWith('$'), "GET through the gateway succeeds again");
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "w"));
        Assert.Equal("$1\r\nw\r\n", await redis.DirectAsync("GET", key));
        await using var pinned = await gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await pinned.CommandAsync("SELECT", "1"));
        Assert.Equal("$-1\r\n", await pinned.CommandAsync("GET", key));
    }

    [Fact]
    public async Task APinnedClientWithCommandsInFlightGetsAnErrorForEachPromptlyAndIsThenClosed()
    {
        await using var redis = new RedisServer();
        await using var gateway = await GatewayHost.StartAsync(redis);
        await using var client = await gateway.ConnectAsync();
        var key = GatewayFixture.Key("pinned-in-flight");
        Assert.Equal("+OK\r\n", await client.CommandAsync("SELECT", "1"));
        // The GET waits in the backend behind the BLPOP.
        await client.SendAsync([.. RawClient.Encode("BLPOP", key, "0"), .. RawClient.Encode("GET", key)]);
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(redis)).Any(c => c.Contains(" cmd=blpop ")), "the backend has the client blocked in BLPOP");

        redis.Kill();

        AssertErrorLine(await ReplyPromptlyAsync(client, "the BLPOP in flight"));
        AssertErrorLine(await ReplyPromptlyAsync(client, "the GET in flight"));
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the pinned client is closed: its connection state is gone");
    }

    [Fact]
    public async Task APinnedClientThatSendsAGetAfterTheBackendDiedIsAnsweredOrClosedPromptlyAndEndsUpClosed()
    {
        await using var redis = new RedisServer();
        await using var gateway = await GatewayHost.StartAsync(redis);
        await using var client = await gateway.ConnectAsync();
        await using var direct = await RawClient.ConnectAsync(redis.Port);
        Assert.Equal("+OK\r\n", await client.CommandAsync("SELECT", "1"));
        Assert.Equal("+OK\r\n", await direct.CommandAsync("SELECT", "1"));

        redis.Kill();

        // A client of Redis itself sees its connection close; the gateway's pinned client may first get
        // an error for a GET that reached the gateway in time, but never waits for an answer.
        Assert.True(await direct.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "Redis' own client is closed");
        try
        {
            await client.SendAsync(RawClient.Encode("GET", GatewayFixture.Key("after-death")));
            AssertErrorLine(await client.ReadAsync(s_prompt));
        }
        catch (Exception e) when (e is EndOfStreamException or System.Net.Sockets.SocketException)
        {
            // Closed already: as with Redis.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"a pinned client's GET got neither an answer nor a close within {s_prompt.TotalSeconds} s of the backend's death");
        }
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the pinned client is closed: its connection state is gone");
        Assert.Equal(0, gateway.Server.ClientCount);
    }

    [Fact]
    public async Task AClientBlockedInBlpopGetsAnErrorPromptlyWhenTheBackendDies()
    {
        await using var redis = new RedisServer();
        await using var gateway = await GatewayHost.StartAsync(redis);
        await using var client = await gateway.ConnectAsync();
        await using var bystander = await gateway.ConnectAsync();
        var key = GatewayFixture.Key("blocked-outage");
        await client.SendAsync(RawClient.Encode("BLPOP", key, "0"));
        await Wait.UntilAsync(async () => (await BackendClients.ListAsync(redis)).Any(c => c.Contains(" cmd=blpop ")), "the backend has the client blocked in BLPOP");

        redis.Kill();

        AssertErrorLine(await ReplyPromptlyAsync(client, "the blocked BLPOP"));
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the blocked client is closed: its connection is gone");

        redis.Start();
        await Wait.UntilAsync(async () => (await bystander.CommandAsync("PING")) == "+PONG\r\n", "PING through the gateway succeeds again");
        await using var again = await gateway.ConnectAsync();
        Assert.Equal("*-1\r\n", await again.CommandAsync("BLPOP", key, "0.01"));
    }

    [Fact]
    public async Task AGatewayStartedWhileTheBackendIsDownAnswersErrorsPromptlyAndConnectsOnceItIsUp()
    {
        await using var redis = new RedisServer();
        redis.Kill();

        await using var gateway = await GatewayHost.StartAsync(redis);
        await using var client = await gateway.ConnectAsync();
        await client.SendAsync(RawClient.Encode("GET", GatewayFixture.Key("not-yet")));
        AssertErrorLine(await ReplyPromptlyAsync(client, "GET before the backend was ever reachable"));

        redis.Start();

        await Wait.UntilAsync(async () => (await client.CommandAsync("PING")) == "+PONG\r\n", "PING through the gateway succeeds");
        Assert.Equal("+OK\r\n", await client.CommandAsync("SELECT", "1"));
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
    }

    private static async Task<string> ReplyPromptlyAsync(RawClient client, string what)
    {
        try
        {
            return await client.ReadAsync(s_prompt);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{what}: no reply within {s_prompt.TotalSeconds} s");
            throw;
        }
    }

    /// <summary>One well-formed RESP error: "-ERR ..." on a single line.</summary>
    private static void AssertErrorLine(string reply)
    {
        Assert.StartsWith("-ERR ", reply);
        Assert.EndsWith("\r\n", reply);
        Assert.Equal(reply.Length - 2, reply.IndexOfAny(['\r', '\n']));
    }
}
