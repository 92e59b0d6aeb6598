namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// A backend that starts requiring a password while the gateway runs: its shared connections were
/// opened without one and keep those rights, so the gateway must stop lending them to clients.
/// </summary>
public sealed class AuthenticationChangeTests() : DedicatedGatewayTest()
{
    [Fact]
    public async Task PasswordSetThroughTheGatewayIsRequiredOfTheNextClientAtOnce()
    {
        await using (var anonymous = await Gateway.ConnectAsync())
        {
            Assert.Equal("+OK\r\n", await anonymous.CommandAsync("SET", "k", "before"));
            Assert.Equal("+OK\r\n", await anonymous.CommandAsync("CONFIG", "SET", "requirepass", "s3cret"));
        }
        await using var next = await Gateway.ConnectAsync();
        Assert.StartsWith("-NOAUTH", await next.CommandAsync("GET", "k"));
        Assert.Equal("+OK\r\n", await next.CommandAsync("AUTH", "s3cret"));
        Assert.Equal("$6\r\nbefore\r\n", await next.CommandAsync("GET", "k"));
    }

    [Fact]
    public async Task PasswordSetDirectlyOnRedisIsRequiredThroughTheGatewayWithinASecond()
    {
        await using (var warm = await Gateway.ConnectAsync())
        {
            Assert.Equal("+PONG\r\n", await warm.CommandAsync("PING")); // the shared connections are open and logged in
        }
        Assert.Equal("+OK\r\n", await Redis.DirectAsync("CONFIG", "SET", "requirepass", "s3cret"));
        await Wait.UntilAsync(async () =>
        {
            await using var client = await Gateway.ConnectAsync();
            return (await client.CommandAsync("GET", "k")).StartsWith("-NOAUTH");
        }, "anonymous clients are refused", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnUnauthenticatedRequestOverRedisLimitsClosesOnlyItsOwnClient()
    {
        Assert.Equal("+OK\r\n", await Redis.DirectAsync("CONFIG", "SET", "requirepass", "s3cret"));
        await Wait.UntilAsync(() => Gateway.Server.ClientsNeedOwnConnection, "the gateway notices");
        await using var authenticated = await Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await authenticated.CommandAsync("AUTH", "s3cret"));
        await using var anonymous = await Gateway.ConnectAsync();
        string[] mset = ["MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"];
        Assert.Equal("-ERR Protocol error: unauthenticated multibulk length\r\n", await anonymous.CommandAsync(mset));
        Assert.True(await anonymous.IsClosedByServerAsync());
        Assert.Equal("+PONG\r\n", await authenticated.CommandAsync("PING"));
    }

    [Fact]
    public async Task PasswordSetInsideMultiIsRequiredOfTheNextClientAtOnceAfterExec()
    {
        await using (var anonymous = await Gateway.ConnectAsync())
        {
            await anonymous.SendAsync("MULTI\r\nCONFIG SET requirepass s3cret\r\nEXEC\r\n");
            Assert.Equal(["+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"], await Frames.ReadAsync(anonymous, 3));
        }
        await using var next = await Gateway.ConnectAsync();
        Assert.StartsWith("-NOAUTH", await next.CommandAsync("SET", "k", "anonymous write"));
    }

    [Fact]
    public async Task ConfigSetOfAnotherSettingLeavesClientsOnTheSharedConnections()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Gateway.ConnectAsync()));
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
        // The backend sees the 2 shared connections, no connection per client (the engine's own are not counted).
        Assert.Equal(2, (await BackendClients.ListAsync(Redis)).Length);
    }
}
