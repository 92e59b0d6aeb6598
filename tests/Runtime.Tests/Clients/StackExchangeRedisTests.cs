using StackExchange.Redis;

namespace SharpGears.Runtime.Tests.Clients;

/// <summary>StackExchange.Redis, the .NET ecosystem's client, sees Redis through the gateway.</summary>
public sealed class StackExchangeRedisTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect($"127.0.0.1:{fixture.Port},abortConnect=false,connectTimeout=5000,syncTimeout=5000");

    public void Dispose() => _redis.Dispose();

    [Fact]
    public void ConnectsAndSeesARedisServer()
    {
        Assert.True(_redis.IsConnected);
        var server = _redis.GetServer($"127.0.0.1:{fixture.Port}");
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.Equal(7, server.Version.Major);
    }

    [Fact]
    public async Task StringsHashesListsAndCountersRoundTrip()
    {
        var db = _redis.GetDatabase();
        var key = GatewayFixture.Key("se");
        Assert.True(await db.StringSetAsync(key, "value"));
        Assert.Equal("value", (string?)await db.StringGetAsync(key));
        await db.HashSetAsync(key + ":h", [new HashEntry("a", 1), new HashEntry("b", 2)]);
        Assert.Equal(2, (await db.HashGetAllAsync(key + ":h")).Length);
        await db.ListRightPushAsync(key + ":l", ["x", "y", "z"]);
        Assert.Equal(["x", "y", "z"], (await db.ListRangeAsync(key + ":l")).Select(v => (string?)v));
        Assert.Equal(5, await db.StringIncrementAsync(key + ":n", 5));
        Assert.True(await db.KeyExpireAsync(key + ":n", TimeSpan.FromSeconds(100)));
        Assert.InRange((await db.KeyTimeToLiveAsync(key + ":n"))!.Value.TotalSeconds, 90, 100);
    }

    [Fact]
    public async Task ThousandConcurrentCommandsCompleteWithTheirOwnResults()
    {
        var db = _redis.GetDatabase();
        var key = GatewayFixture.Key("se-many");
        var sets = Enumerable.Range(0, 1000).Select(i => db.StringSetAsync($"{key}:{i}", i)).ToArray();
        await Task.WhenAll(sets);
        var gets = Enumerable.Range(0, 1000).Select(i => db.StringGetAsync($"{key}:{i}")).ToArray();
        var values = await Task.WhenAll(gets);
        Assert.Equal(Enumerable.Range(0, 1000), values.Select(v => (int)v));
    }

    [Fact]
    public async Task BatchSendsAllAtOnce()
    {
        var db = _redis.GetDatabase();
        var key = GatewayFixture.Key("se-batch");
        var batch = db.CreateBatch();
        var increments = Enumerable.Range(0, 100).Select(_ => batch.StringIncrementAsync(key)).ToArray();
        batch.Execute();
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), await Task.WhenAll(increments));
    }

    [Fact]
    public async Task TransactionWithAConditionCommitsOnlyWhenItHolds()
    {
        var db = _redis.GetDatabase();
        var key = GatewayFixture.Key("se-tx");
        var committed = db.CreateTransaction();
        committed.AddCondition(Condition.KeyNotExists(key));
        _ = committed.StringSetAsync(key, "first");
        Assert.True(await committed.ExecuteAsync());

        var refused = db.CreateTransaction();
        refused.AddCondition(Condition.KeyNotExists(key));
        _ = refused.StringSetAsync(key, "second");
        Assert.False(await refused.ExecuteAsync());
        Assert.Equal("first", (string?)await db.StringGetAsync(key));
    }

    [Fact]
    public async Task SubscriberReceivesWhatIsPublishedThroughTheGatewayAndDirectlyOnRedis()
    {
        var channel = GatewayFixture.Key("se-channel");
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var subscriber = _redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, message) => received.Enqueue(message!));
        Assert.Equal(1, await subscriber.PublishAsync(channel, "through the gateway"));
        await fixture.Redis.DirectAsync("PUBLISH", channel, "directly");
        await Wait.UntilAsync(() => received.Count == 2, "both messages arrive");
        Assert.Equal(["through the gateway", "directly"], received);
    }

    [Fact]
    public async Task OtherDatabasesAreSeparate()
    {
        var key = GatewayFixture.Key("se-db");
        await _redis.GetDatabase(3).StringSetAsync(key, "in three");
        Assert.Equal("in three", (string?)await _redis.GetDatabase(3).StringGetAsync(key));
        Assert.False(await _redis.GetDatabase(0).KeyExistsAsync(key));
        await using var direct = await RawClient.ConnectAsync(fixture.Redis.Port);
        await direct.CommandAsync("SELECT", "3");
        Assert.Equal("$8\r\nin three\r\n", await direct.CommandAsync("GET", key));
    }
}
