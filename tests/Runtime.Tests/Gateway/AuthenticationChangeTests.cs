namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// A backend that starts requiring a password while the gateway runs: its shared connections were
/// opened without one and keep those rights, so the gateway must stop lending them to clients.
/// </summary>
public sealed class AuthenticationChangeTests : IAsyncLifetime
{
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

    [Fact]
    public async Task PasswordSetThroughTheGatewayIsRequiredOfTheNextClientAtOnce()
    {
        await using (var anonymous = await _gateway.ConnectAsync())
        {
            Assert.Equal("+OK\r\n", await anonymous.CommandAsync("SET", "k", "before"));
            Assert.Equal("+OK\r\n", await anonymous.CommandAsync("CONFIG", "SET", "requirepass", "s3cret"));
        }
        await using var next = await _gateway.ConnectAsync();
        Assert.StartsWith("-NOAUTH", await next.CommandAsync("GET", "k"));
        Assert.Equal("+OK\r\n", await next.CommandAsync("AUTH", "s3cret"));
        Assert.Equal("$6\r\nbefore\r\n", await next.CommandAsync("GET", "k"));
    }

    [Fact]
    public async Task PasswordSetDirectlyOnRedisIsRequiredThroughTheGatewayWithinASecond()
    {
        await using (var warm = await _gateway.ConnectAsync())
        {
            Assert.Equal("+PONG\r\n", await warm.CommandAsync("PING")); // the shared connections are open and logged in
        }
        Assert.Equal("+OK\r\n", await _redis.DirectAsync("CONFIG", "SET", "requirepass", "s3cret"));
        await Wait.UntilAsync(async () =>
        {
            await using var client = await _gateway.ConnectAsync();
            return (await client.CommandAsync("GET", "k")).StartsWith("-NOAUTH");
        }, "anonymous clients are refused", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnUnauthenticatedRequestOverRedisLimitsClosesOnlyItsOwnClient()
    {
        Assert.Equal("+OK\r\n", await _redis.DirectAsync("CONFIG", "SET", "requirepass", "s3cret"));
        await Wait.UntilAsync(() => _gateway.Server.ClientsNeedOwnConnection, "the gateway notices");
        await using var authenticated = await _gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await authenticated.CommandAsync("AUTH", "s3cret"));
        await using var anonymous = await _gateway.ConnectAsync();
        string[] mset = ["MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"];
        Assert.Equal("-ERR Protocol error: unauthenticated multibulk length\r\n", await anonymous.CommandAsync(mset));
        Assert.True(await anonymous.IsClosedByServerAsync());
        Assert.Equal("+PONG\r\n", await authenticated.CommandAsync("PING"));
    }

    [Fact]
    public async Task PasswordSetInsideMultiIsRequiredOfTheNextClientAtOnceAfterExec()
    {
        await using (var anonymous = await _gateway.ConnectAsync())
        {
            await anonymous.SendAsync("MULTI\r\nCONFIG SET requirepass s3cret\r\nEXEC\r\n");
            Assert.Equal(["+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"], await Frames.ReadAsync(anonymous, 3));
        }
        await using var next = await _gateway.ConnectAsync();
        Assert.StartsWith("-NOAUTH", await next.CommandAsync("SET", "k", "anonymous write"));
    }

    [Fact]
    public async Task ConfigSetOfAnotherSettingLeavesClientsOnTheSharedConnections()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _gateway.ConnectAsync()));
        foreach (var client in clients)
        {
            Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        }
        Assert.Equal("+OK\r\n", await clients[0].CommandAsync("CONFIG", "SET", "maxmemory-policy", "noeviction"));
        foreach (var client in clients)
        {
            Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
            await client.DisposeAsync();
        }
        // The backend sees the 2 shared connections and the one asking, no connection per client.
        Assert.Equal(3, (await _redis.DirectAsync("CLIENT", "LIST")).Split("id=").Length - 1);
    }
}
