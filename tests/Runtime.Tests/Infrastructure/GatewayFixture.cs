namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>A redis-server and a gateway in front of it, shared by the tests of one class.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public int Port => Gateway.Port;

    public async Task InitializeAsync()
    {
        Redis = new RedisServer();
        Gateway = await GatewayHost.StartAsync(Redis);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>A key no other test uses.</summary>
    public static string Key(string name) => $"{name}:{Guid.NewGuid():N}";
}
