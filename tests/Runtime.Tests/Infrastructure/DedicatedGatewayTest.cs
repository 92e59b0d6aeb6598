namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// A test class whose every test gets its own redis-server and gateway (xUnit makes one instance per
/// test): for tests that change the server (its password, its timeouts) or kill it.
/// </summary>
public abstract class DedicatedGatewayTest(params string[] redisArguments) : IAsyncLifetime
{
    protected RedisServer Redis { get; private set; } = null!;

    protected GatewayHost Gateway { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Redis = new RedisServer(redisArguments);
        Gateway = await GatewayHost.StartAsync(Redis);
    }

    public virtual async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
