namespace SharpGears.Runtime.Tests.Gateway;

public class TransactionTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task MultiExecRepliesAsRedis() =>
        await Differential.AssertSameAsync(fixture, "MULTI\r\nSET {k} 1\r\nINCR {k}\r\nGET {k}\r\nEXEC\r\nGET {k}\r\n", 6);

    [Fact]
    public async Task DiscardDropsTheQueuedCommands() =>
        await Differential.AssertSameAsync(fixture, "MULTI\r\nSET {k} 1\r\nDISCARD\r\nGET {k}\r\nEXEC\r\n", 5);

    [Fact]
    public async Task ErrorWhileQueueingAbortsTheTransactionAsInRedis() =>
        await Differential.AssertSameAsync(fixture, "MULTI\r\nSET {k} 1\r\nNOSUCHCOMMAND\r\nEXEC\r\nGET {k}\r\n", 5);

    [Fact]
    public async Task WatchedKeyChangedByAnotherClientMakesExecReturnNil()
    {
        var key = GatewayFixture.Key("watched");
        await using var watcher = await fixture.Gateway.ConnectAsync();
        await using var other = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await watcher.CommandAsync("WATCH", key));
        Assert.Equal("+OK\r\n", await other.CommandAsync("SET", key, "changed"));
        Assert.Equal("+OK\r\n", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await watcher.CommandAsync("SET", key, "mine"));
        Assert.Equal("*-1\r\n", await watcher.CommandAsync("EXEC"));
        Assert.Equal("$7\r\nchanged\r\n", await other.CommandAsync("GET", key));
    }

    [Fact]
    public async Task WatchedKeyChangedDirectlyOnRedisAlsoAbortsExec()
    {
        var key = GatewayFixture.Key("watched");
        await using var watcher = await fixture.Gateway.ConnectAsync();
        await watcher.CommandAsync("WATCH", key);
        await fixture.Redis.DirectAsync("SET", key, "outside");
        await watcher.CommandAsync("MULTI");
        await watcher.CommandAsync("INCR", key);
        Assert.Equal("*-1\r\n", await watcher.CommandAsync("EXEC"));
    }

    [Fact]
    public async Task UnchangedWatchedKeyLetsExecRun()
    {
        var key = GatewayFixture.Key("watched");
        await using var client = await fixture.Gateway.ConnectAsync();
        await client.CommandAsync("WATCH", key);
        await client.CommandAsync("MULTI");
        await client.CommandAsync("INCR", key);
        Assert.Equal("*1\r\n:1\r\n", await client.CommandAsync("EXEC"));
    }
}
