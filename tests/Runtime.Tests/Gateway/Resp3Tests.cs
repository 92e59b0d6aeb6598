using System.Text.RegularExpressions;

namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// RESP3 through the gateway: HELLO 3 pins the client, after which replies are RESP3 types and pub/sub
/// messages and client-tracking invalidations come as '&gt;' push frames, in between ordinary replies.
/// </summary>
public sealed class Resp3Tests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task HelloThreeReturnsTheSameMapAsRedisApartFromTheConnectionId()
    {
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, RawClient.Encode("HELLO", "3"), 1);
        var fromGateway = await Frames.ExchangeAsync(fixture.Port, RawClient.Encode("HELLO", "3"), 1);

        Assert.StartsWith("%7\r\n", fromRedis[0]);
        Assert.Contains("$5\r\nproto\r\n:3\r\n", fromRedis[0]);
        Assert.Equal(Frames.WithoutId(fromRedis[0]), Frames.WithoutId(fromGateway[0]));
        Assert.Single(fromGateway);
    }

    [Fact]
    public async Task HelloTwoAndBadProtocolVersionsAnswerAsRedisDoes()
    {
        byte[] request = [.. RawClient.Encode("HELLO", "2"), .. RawClient.Encode("HELLO", "4"), .. RawClient.Encode("HELLO", "three"), .. RawClient.Encode("PING")];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 4);
        var fromGateway = await Frames.ExchangeAsync(fixture.Port, request, 4);

        Assert.StartsWith("*14\r\n", fromRedis[0]);
        Assert.StartsWith("-NOPROTO", fromRedis[1]);
        Assert.Equal(fromRedis.Select(Frames.WithoutId), fromGateway.Select(Frames.WithoutId));
    }

    [Fact]
    public async Task AfterHelloThreeSubscribeIsConfirmedAndMessagesArriveAsPushFrames()
    {
        var channel = GatewayFixture.Key("resp3-news");
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await using var publisher = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%7\r\n", await subscriber.CommandAsync("HELLO", "3"));

        Assert.Equal(Frames.Push(Frames.Bulk("subscribe"), Frames.Bulk(channel), ":1\r\n"), await subscriber.CommandAsync("SUBSCRIBE", channel));
        Assert.Equal(":1\r\n", await publisher.CommandAsync("PUBLISH", channel, "through the gateway"));
        Assert.Equal(Frames.Push(Frames.Bulk("message"), Frames.Bulk(channel), Frames.Bulk("through the gateway")), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", channel, "on redis"));
        Assert.Equal(Frames.Push(Frames.Bulk("message"), Frames.Bulk(channel), Frames.Bulk("on redis")), await subscriber.ReadAsync());

        // RESP3 allows every command while subscribed; replies stay replies.
        Assert.Equal("+PONG\r\n", await subscriber.CommandAsync("PING"));
        Assert.Equal("_\r\n", await subscriber.CommandAsync("GET", GatewayFixture.Key("missing")));
        Assert.Equal(Frames.Push(Frames.Bulk("unsubscribe"), Frames.Bulk(channel), ":0\r\n"), await subscriber.CommandAsync("UNSUBSCRIBE"));
        Assert.True(await subscriber.NothingArrivesWithinAsync(s_quiet));
    }

    [Fact]
    public async Task AfterHelloThreePatternMessagesArriveAsPushFramesBetweenReplies()
    {
        var prefix = GatewayFixture.Key("resp3-pattern");
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%7\r\n", await subscriber.CommandAsync("HELLO", "3"));
        Assert.Equal(Frames.Push(Frames.Bulk("psubscribe"), Frames.Bulk(prefix + ":*"), ":1\r\n"), await subscriber.CommandAsync("PSUBSCRIBE", prefix + ":*"));

        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", prefix + ":x", "hi"));
        Assert.Equal(Frames.Push(Frames.Bulk("pmessage"), Frames.Bulk(prefix + ":*"), Frames.Bulk(prefix + ":x"), Frames.Bulk("hi")), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await subscriber.CommandAsync("INCR", prefix + ":counter"));
    }

    [Fact]
    public async Task ClientTrackingSendsAnInvalidatePushWhenAnotherClientWritesATrackedKey()
    {
        var key = GatewayFixture.Key("tracked");
        await using var tracker = await fixture.Gateway.ConnectAsync();
        await using var writer = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%7\r\n", await tracker.CommandAsync("HELLO", "3"));
        Assert.Equal("+OK\r\n", await tracker.CommandAsync("CLIENT", "TRACKING", "ON"));
        Assert.Equal("_\r\n", await tracker.CommandAsync("GET", key));

        Assert.Equal("+OK\r\n", await writer.CommandAsync("SET", key, "1"));
        Assert.Equal(Frames.Invalidate(key), await tracker.ReadAsync());

        // Tracking again after reading again; this time the write is made on Redis directly.
        Assert.Equal("$1\r\n1\r\n", await tracker.CommandAsync("GET", key));
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", key, "2"));
        Assert.Equal(Frames.Invalidate(key), await tracker.ReadAsync());
        Assert.True(await tracker.NothingArrivesWithinAsync(s_quiet), "an invalidation arrived for a key not read since");
    }

    [Fact]
    public async Task PipelineOfPlainCommandsAfterHelloThreeGetsRedisResp3RepliesInOrder()
    {
        var prefix = GatewayFixture.Key("resp3-pipe");
        Assert.Equal(":2\r\n", await fixture.Redis.DirectAsync("HSET", prefix + ":h", "f1", "v1", "f2", "v2"));
        Assert.Equal(":3\r\n", await fixture.Redis.DirectAsync("SADD", prefix + ":s", "1", "2", "3"));
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("ZADD", prefix + ":z", "1.5", "a"));
        byte[] request =
        [
            .. RawClient.Encode("HELLO", "3"),
            .. RawClient.Encode("HGETALL", prefix + ":h"),
            .. RawClient.Encode("SMEMBERS", prefix + ":s"),
            .. RawClient.Encode("GET", prefix + ":missing"),
            .. RawClient.Encode("ZSCORE", prefix + ":z", "a"),
            .. RawClient.Encode("ZRANGE", prefix + ":z", "0", "-1", "WITHSCORES"),
            .. RawClient.Encode("EXISTS", prefix + ":h"),
            .. RawClient.Encode("HGETALL", prefix + ":none"),
            .. RawClient.Encode("CONFIG", "GET", "maxmemory-policy"),
            .. RawClient.Encode("ECHO", "last"),
        ];

        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 10);
        var fromGateway = await Frames.ExchangeAsync(fixture.Port, request, 10);

        Assert.Equal("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", fromRedis[1]);
        Assert.StartsWith("~3\r\n", fromRedis[2]);
        Assert.Equal("_\r\n", fromRedis[3]);
        Assert.Equal(",1.5\r\n", fromRedis[4]);
        Assert.Equal(fromRedis.Select(Frames.WithoutId), fromGateway.Select(Frames.WithoutId));
    }

    [Fact]
    public async Task InResp3SubscribedModeAnArrayReplyStartingWithMessageIsAnsweredAsAReply()
    {
        // In RESP3 messages are '>' pushes, so a '*' array is always a reply, even one whose first
        // element is "message" and even while the connection has subscriptions.
        var prefix = GatewayFixture.Key("resp3-lookalike");
        var list = prefix + ":list";
        Assert.Equal(":3\r\n", await fixture.Redis.DirectAsync("RPUSH", list, "message", "x", "y"));
        byte[] request =
        [
            .. RawClient.Encode("HELLO", "3"),
            .. RawClient.Encode("SUBSCRIBE", prefix + ":ch"),
            .. RawClient.Encode("LRANGE", list, "0", "-1"),
            .. RawClient.Encode("PING"),
            .. RawClient.Encode("QUIT"),
        ];

        var fromRedis = await Frames.ExchangeUntilClosedAsync(fixture.Redis.Port, request, 5);
        Assert.Equal(
            [
                Frames.Push(Frames.Bulk("subscribe"), Frames.Bulk(prefix + ":ch"), ":1\r\n"),
                Frames.Array(Frames.Bulk("message"), Frames.Bulk("x"), Frames.Bulk("y")),
                "+PONG\r\n",
                "+OK\r\n",
                "<closed>",
            ],
            fromRedis.Skip(1));
        var fromGateway = await Frames.ExchangeUntilClosedAsync(fixture.Port, request, 5);
        Assert.Equal(fromRedis.Select(Frames.WithoutId), fromGateway.Select(Frames.WithoutId));
    }

    [Fact]
    public async Task ResetAfterHelloThreeReturnsTheConnectionToResp2()
    {
        var channel = GatewayFixture.Key("resp3-reset");
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%7\r\n", await client.CommandAsync("HELLO", "3"));
        Assert.Equal(Frames.Push(Frames.Bulk("subscribe"), Frames.Bulk(channel), ":1\r\n"), await client.CommandAsync("SUBSCRIBE", channel));
        Assert.Equal("+RESET\r\n", await client.CommandAsync("RESET"));

        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", GatewayFixture.Key("missing")));
        Assert.Equal(":0\r\n", await fixture.Redis.DirectAsync("PUBLISH", channel, "nobody listens"));
        Assert.True(await client.NothingArrivesWithinAsync(s_quiet));
    }
}
