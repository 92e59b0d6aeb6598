namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// Pub/sub through the gateway (RESP2): subscriptions pin the client to a backend connection of its
/// own, messages are streamed as they come, and everything Redis allows in subscribed mode answers as
/// it does on Redis itself.
/// </summary>
public sealed class PubSubTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task SubscribedClientReceivesMessagesPublishedThroughTheGatewayAsTheyArrive()
    {
        var channel = GatewayFixture.Key("news");
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await using var publisher = await fixture.Gateway.ConnectAsync();

        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await subscriber.CommandAsync("SUBSCRIBE", channel));
        for (var i = 0; i < 3; i++)
        {
            // Each message must arrive before the next is published: streamed, not batched.
            Assert.Equal(":1\r\n", await publisher.CommandAsync("PUBLISH", channel, $"hello {i}"));
            Assert.Equal(Frames.Message(channel, $"hello {i}"), await subscriber.ReadAsync());
        }
        Assert.True(await subscriber.NothingArrivesWithinAsync(s_quiet), "the subscriber got more than the messages published");
    }

    [Fact]
    public async Task SubscribedClientReceivesMessagesPublishedDirectlyOnRedis()
    {
        var channel = GatewayFixture.Key("direct");
        await using var subscriber = await fixture.Gateway.ConnectAsync();

        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await subscriber.CommandAsync("SUBSCRIBE", channel));
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", channel, "from redis"));
        Assert.Equal(Frames.Message(channel, "from redis"), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", channel, "again"));
        Assert.Equal(Frames.Message(channel, "again"), await subscriber.ReadAsync());
    }

    [Fact]
    public async Task ThousandMessagesPublishedInOnePipelineOnRedisArriveAllAndInOrder()
    {
        var channel = GatewayFixture.Key("burst");
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await subscriber.CommandAsync("SUBSCRIBE", channel));

        await using var publisher = await RawClient.ConnectAsync(fixture.Redis.Port);
        await publisher.SendAsync([.. Enumerable.Range(0, 1000).SelectMany(i => RawClient.Encode("PUBLISH", channel, $"m{i}"))]);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(":1\r\n", await publisher.ReadAsync());
        }
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(Frames.Message(channel, $"m{i}"), await subscriber.ReadAsync());
        }
        Assert.True(await subscriber.NothingArrivesWithinAsync(s_quiet));
    }

    [Fact]
    public async Task LargeMessageArrivesWholeAndByteForByte()
    {
        var channel = GatewayFixture.Key("large");
        var payload = new string(Enumerable.Range(0, 2 * 1024 * 1024).Select(i => (char)(i % 256)).ToArray());
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await subscriber.CommandAsync("SUBSCRIBE", channel));

        await using var publisher = await fixture.Gateway.ConnectAsync();
        Assert.Equal(":1\r\n", await publisher.CommandAsync("PUBLISH", channel, payload));
        Assert.Equal(Frames.Message(channel, payload), await subscriber.ReadAsync());
    }

    [Fact]
    public async Task PatternSubscriberReceivesPmessageWithPatternAndChannel()
    {
        var prefix = GatewayFixture.Key("pattern");
        var pattern = prefix + ":*";
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await using var publisher = await fixture.Gateway.ConnectAsync();

        Assert.Equal(Frames.Confirmation("psubscribe", pattern, 1), await subscriber.CommandAsync("PSUBSCRIBE", pattern));
        Assert.Equal(":1\r\n", await publisher.CommandAsync("PUBLISH", prefix + ":a", "one"));
        Assert.Equal(Frames.Array(Frames.Bulk("pmessage"), Frames.Bulk(pattern), Frames.Bulk(prefix + ":a"), Frames.Bulk("one")), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", prefix + ":b", "two"));
        Assert.Equal(Frames.Array(Frames.Bulk("pmessage"), Frames.Bulk(pattern), Frames.Bulk(prefix + ":b"), Frames.Bulk("two")), await subscriber.ReadAsync());
        Assert.Equal(":0\r\n", await publisher.CommandAsync("PUBLISH", GatewayFixture.Key("elsewhere"), "nobody"));
        Assert.True(await subscriber.NothingArrivesWithinAsync(s_quiet), "a message for a channel outside the pattern arrived");
    }

    [Fact]
    public async Task ShardSubscriberReceivesSmessageForSpublishThroughTheGatewayAndOnRedis()
    {
        var channel = GatewayFixture.Key("shard");
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await using var publisher = await fixture.Gateway.ConnectAsync();

        Assert.Equal(Frames.Confirmation("ssubscribe", channel, 1), await subscriber.CommandAsync("SSUBSCRIBE", channel));
        Assert.Equal(":1\r\n", await publisher.CommandAsync("SPUBLISH", channel, "via gateway"));
        Assert.Equal(Frames.Array(Frames.Bulk("smessage"), Frames.Bulk(channel), Frames.Bulk("via gateway")), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("SPUBLISH", channel, "via redis"));
        Assert.Equal(Frames.Array(Frames.Bulk("smessage"), Frames.Bulk(channel), Frames.Bulk("via redis")), await subscriber.ReadAsync());
        Assert.Equal(Frames.Confirmation("sunsubscribe", channel, 0), await subscriber.CommandAsync("SUNSUBSCRIBE"));
        Assert.Equal("+PONG\r\n", await subscriber.CommandAsync("PING"));
    }

    [Fact]
    public async Task SubscribedClientReceivesKeyspaceNotificationsForWritesMadeDirectlyOnRedis()
    {
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("CONFIG", "SET", "notify-keyspace-events", "KEA"));
        var key = GatewayFixture.Key("watched");
        var channel = "__keyspace@0__:" + key;
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await subscriber.CommandAsync("SUBSCRIBE", channel));

        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", key, "1"));
        Assert.Equal(Frames.Message(channel, "set"), await subscriber.ReadAsync());
        Assert.Equal(":2\r\n", await fixture.Redis.DirectAsync("INCR", key));
        Assert.Equal(Frames.Message(channel, "incrby"), await subscriber.ReadAsync());
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("DEL", key));
        Assert.Equal(Frames.Message(channel, "del"), await subscriber.ReadAsync());
    }

    [Fact]
    public async Task PatternSubscriberReceivesKeyspaceNotificationsForWritesThroughTheGateway()
    {
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("CONFIG", "SET", "notify-keyspace-events", "KEA"));
        var key = GatewayFixture.Key("watched-by-pattern");
        var pattern = "__keyspace@0__:" + key + "*";
        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await using var writer = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("psubscribe", pattern, 1), await subscriber.CommandAsync("PSUBSCRIBE", pattern));

        Assert.Equal(":1\r\n", await writer.CommandAsync("RPUSH", key + ":list", "x"));
        Assert.Equal(
            Frames.Array(Frames.Bulk("pmessage"), Frames.Bulk(pattern), Frames.Bulk("__keyspace@0__:" + key + ":list"), Frames.Bulk("rpush")),
            await subscriber.ReadAsync());
    }

    [Fact]
    public async Task PingInSubscribedModeAnswersPongAndEmptyStringArrayAsRedisDoes()
    {
        var channel = GatewayFixture.Key("ping");
        byte[] request = [.. RawClient.Encode("SUBSCRIBE", channel), .. RawClient.Encode("PING"), .. RawClient.Encode("PING", "hi")];

        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 3);
        var fromGateway = await Frames.ExchangeAsync(fixture.Port, request, 3);

        Assert.Equal([Frames.Confirmation("subscribe", channel, 1), "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"], fromRedis);
        Assert.Equal(fromRedis, fromGateway);
    }

    [Fact]
    public async Task CommandsNotAllowedInSubscribedModeGetRedisErrorAndTheSubscriptionStays()
    {
        var channel = GatewayFixture.Key("strict");
        byte[] request = [.. RawClient.Encode("SUBSCRIBE", channel), .. RawClient.Encode("GET", channel), .. RawClient.Encode("SET", channel, "x")];

        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 3);
        Assert.StartsWith("-ERR Can't execute 'get'", fromRedis[1]);

        await using var subscriber = await fixture.Gateway.ConnectAsync();
        await subscriber.SendAsync(request);
        Assert.Equal(fromRedis, await Frames.ReadAsync(subscriber, 3));
        Assert.Equal(":1\r\n", await fixture.Redis.DirectAsync("PUBLISH", channel, "still here"));
        Assert.Equal(Frames.Message(channel, "still here"), await subscriber.ReadAsync());
    }

    [Fact]
    public async Task FurtherSubscribesInSubscribedModeAreConfirmedWithTheRunningCount()
    {
        var prefix = GatewayFixture.Key("more");
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal(Frames.Confirmation("subscribe", prefix + ":a", 1), await client.CommandAsync("SUBSCRIBE", prefix + ":a"));
        await client.SendAsync(RawClient.Encode("SUBSCRIBE", prefix + ":b", prefix + ":c"));
        Assert.Equal(Frames.Confirmation("subscribe", prefix + ":b", 2), await client.ReadAsync());
        Assert.Equal(Frames.Confirmation("subscribe", prefix + ":c", 3), await client.ReadAsync());
        Assert.Equal(Frames.Confirmation("psubscribe", prefix + ":*", 4), await client.CommandAsync("PSUBSCRIBE", prefix + ":*"));
        Assert.Equal(Frames.Confirmation("ssubscribe", prefix + ":s", 1), await client.CommandAsync("SSUBSCRIBE", prefix + ":s"));

        // One publish reaches both the channel and the pattern subscription.
        Assert.Equal(":2\r\n", await fixture.Redis.DirectAsync("PUBLISH", prefix + ":b", "both"));
        Assert.Equal(Frames.Message(prefix + ":b", "both"), await client.ReadAsync());
        Assert.Equal(Frames.Array(Frames.Bulk("pmessage"), Frames.Bulk(prefix + ":*"), Frames.Bulk(prefix + ":b"), Frames.Bulk("both")), await client.ReadAsync());
    }

    [Fact]
    public async Task UnsubscribeWithoutArgumentsConfirmsEveryChannelOnce()
    {
        var prefix = GatewayFixture.Key("all");
        string[] channels = [prefix + ":a", prefix + ":b", prefix + ":c"];
        await using var client = await fixture.Gateway.ConnectAsync();
        await client.SendAsync(RawClient.Encode(["SUBSCRIBE", .. channels]));
        for (var i = 0; i < channels.Length; i++)
        {
            Assert.Equal(Frames.Confirmation("subscribe", channels[i], i + 1), await client.ReadAsync());
        }

        await client.SendAsync(RawClient.Encode("UNSUBSCRIBE"));
        var confirmations = await Frames.ReadAsync(client, 3);
        var unsubscribed = new List<string>();
        for (var i = 0; i < confirmations.Count; i++)
        {
            var channel = channels.SingleOrDefault(c => confirmations[i] == Frames.Confirmation("unsubscribe", c, channels.Length - 1 - i));
            Assert.True(channel is not null, $"confirmation {i} is not an unsubscribe with count {channels.Length - 1 - i}: {confirmations[i]}");
            unsubscribed.Add(channel);
        }
        Assert.Equal(channels.Order(), unsubscribed.Order());
        Assert.True(await client.NothingArrivesWithinAsync(s_quiet), "more confirmations than channels arrived");

        // Out of subscribed mode: a plain reply again, and nothing published reaches it.
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        Assert.Equal(":0\r\n", await fixture.Redis.DirectAsync("PUBLISH", channels[0], "gone"));
        Assert.True(await client.NothingArrivesWithinAsync(s_quiet));
    }

    [Fact]
    public async Task UnsubscribeWithoutArgumentsWhenSubscribedToNothingMatchesRedis()
    {
        byte[] request = [.. RawClient.Encode("UNSUBSCRIBE"), .. RawClient.Encode("PUNSUBSCRIBE"), .. RawClient.Encode("SUNSUBSCRIBE"), .. RawClient.Encode("PING")];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 4);
        Assert.Equal(Frames.Array(Frames.Bulk("unsubscribe"), "$-1\r\n", ":0\r\n"), fromRedis[0]);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 4));
    }

    [Fact]
    public async Task AfterUnsubscribingFromEverythingTheClientRunsNormalCommandsAgain()
    {
        var prefix = GatewayFixture.Key("back");
        var key = prefix + ":string";
        var list = prefix + ":list";
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", key, "value"));
        Assert.Equal(":3\r\n", await fixture.Redis.DirectAsync("RPUSH", list, "message", "x", "y"));

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", prefix + ":ch", 1), await client.CommandAsync("SUBSCRIBE", prefix + ":ch"));
        Assert.Equal(Frames.Confirmation("psubscribe", prefix + ":*", 2), await client.CommandAsync("PSUBSCRIBE", prefix + ":*"));
        Assert.Equal(Frames.Confirmation("unsubscribe", prefix + ":ch", 1), await client.CommandAsync("UNSUBSCRIBE"));
        Assert.Equal(Frames.Confirmation("punsubscribe", prefix + ":*", 0), await client.CommandAsync("PUNSUBSCRIBE"));

        Assert.Equal("$5\r\nvalue\r\n", await client.CommandAsync("GET", key));
        // An ordinary reply shaped like a pub/sub message is still the reply to LRANGE...
        Assert.Equal(Frames.Array(Frames.Bulk("message"), Frames.Bulk("x"), Frames.Bulk("y")), await client.CommandAsync("LRANGE", list, "0", "-1"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "changed"));
        Assert.Equal("$7\r\nchanged\r\n", await client.CommandAsync("GET", key));
        // ...and was counted as one: QUIT, which waits for every reply owed, is answered and closes.
        await client.SendAsync(RawClient.Encode("QUIT"));
        Assert.Equal(["+OK\r\n"], await Frames.ReadAsync(client, 1, TimeSpan.FromSeconds(3)));
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task PipelineMixingSubscribePingAndUnsubscribeGetsExactlyRedisFramesInOrder()
    {
        var prefix = GatewayFixture.Key("pipe");
        byte[] request =
        [
            .. RawClient.Encode("SUBSCRIBE", prefix + ":a", prefix + ":b"),
            .. RawClient.Encode("PING"),
            .. RawClient.Encode("PSUBSCRIBE", prefix + ":*"),
            .. RawClient.Encode("PING", "message"),
            .. RawClient.Encode("UNSUBSCRIBE", prefix + ":a"),
            .. RawClient.Encode("UNSUBSCRIBE"),
            .. RawClient.Encode("PUNSUBSCRIBE"),
            .. RawClient.Encode("UNSUBSCRIBE"),
            .. RawClient.Encode("PING"),
            .. RawClient.Encode("ECHO", "done"),
        ];
        const int FrameCount = 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1;

        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, FrameCount);
        Assert.Equal("$4\r\ndone\r\n", fromRedis[^1]);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, FrameCount));
    }

    [Fact]
    public async Task InlineSubscribePingAndUnsubscribeGetTheSameFramesAsRedis()
    {
        var prefix = GatewayFixture.Key("inline");
        var request = Encoding.Latin1.GetBytes($"SUBSCRIBE {prefix}:a {prefix}:b\r\nPING\r\nPING \"x y\"\r\nUNSUBSCRIBE {prefix}:a\r\nUNSUBSCRIBE\r\nPING\r\n");
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 7);
        Assert.Equal("*2\r\n$4\r\npong\r\n$3\r\nx y\r\n", fromRedis[3]);
        Assert.Equal("+PONG\r\n", fromRedis[6]);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 7));
    }

    [Fact]
    public async Task ClientTrackingRedirectSendsInvalidationsToAGatewaySubscriberIdentifiedByItsClientId()
    {
        // How RESP2 clients do client-side caching: invalidations go to another connection, named by
        // its CLIENT ID, which listens on __redis__:invalidate. Both connections are gateway clients.
        var key = GatewayFixture.Key("cached");
        await using var listener = await fixture.Gateway.ConnectAsync();
        await using var reader = await fixture.Gateway.ConnectAsync();
        var id = await listener.CommandAsync("CLIENT", "ID");
        Assert.Matches(@"^:[0-9]+\r\n$", id);
        Assert.Equal(Frames.Confirmation("subscribe", "__redis__:invalidate", 1), await listener.CommandAsync("SUBSCRIBE", "__redis__:invalidate"));

        Assert.Equal("+OK\r\n", await reader.CommandAsync("CLIENT", "TRACKING", "ON", "REDIRECT", id[1..^2]));
        Assert.Equal("$-1\r\n", await reader.CommandAsync("GET", key));
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", key, "v"));

        Assert.Equal(Frames.Array(Frames.Bulk("message"), Frames.Bulk("__redis__:invalidate"), Frames.Array(Frames.Bulk(key))), await listener.ReadAsync());
        Assert.True(await reader.NothingArrivesWithinAsync(s_quiet), "the tracking client itself got something");
    }

    [Fact]
    public async Task SubscribingToMoreChannelsWhileMessagesPourInIsConfirmedAndAccountedLikeRedis()
    {
        // Messages for an existing subscription arrive right before the confirmations of a new
        // SUBSCRIBE, often in the same read from Redis. Each confirmation must still count as one, or
        // the gateway loses track of the subscriptions and of which frames answer which request.
        var prefix = GatewayFixture.Key("flood");
        const int Rounds = 20;
        string[] channels = [prefix + ":a", .. Enumerable.Range(0, Rounds).SelectMany(i => new[] { $"{prefix}:b{i}", $"{prefix}:c{i}" })];
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", channels[0], 1), await client.CommandAsync("SUBSCRIBE", channels[0]));

        // A publisher keeps messages coming, in small batches, until the subscriber has its answers.
        using var stop = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            await using var publisher = await RawClient.ConnectAsync(fixture.Redis.Port);
            var batch = Enumerable.Range(0, 20).SelectMany(i => RawClient.Encode("PUBLISH", channels[0], $"m{i}")).ToArray();
            for (var round = 0; !stop.IsCancellationRequested && round < 5000; round++)
            {
                await publisher.SendAsync(batch);
                for (var i = 0; i < 20; i++)
                {
                    await publisher.ReadAsync();
                }
            }
        });
        Assert.Equal(Frames.Message(channels[0], "m0"), await client.ReadAsync());

        var replies = new List<string>();
        var unsubscribed = new List<string>();
        async Task ReadRepliesAsync(int count)
        {
            while (replies.Count < count && replies.LastOrDefault() is not ("<closed>" or "<timeout>"))
            {
                try
                {
                    var frame = await client.ReadAsync(TimeSpan.FromSeconds(3));
                    if (frame.StartsWith("*3\r\n$7\r\nmessage\r\n"))
                    {
                        continue;
                    }
                    var channel = channels.FirstOrDefault(c => frame.StartsWith("*3\r\n" + Frames.Bulk("unsubscribe") + Frames.Bulk(c)));
                    if (channel is not null)
                    {
                        // UNSUBSCRIBE confirms the channels in Redis' own order: compare counts here, channels below.
                        unsubscribed.Add(channel);
                        frame = $"unsubscribe {frame[(frame.LastIndexOf(':') + 1)..^2]}";
                    }
                    replies.Add(frame);
                }
                catch (EndOfStreamException)
                {
                    replies.Add("<closed>");
                }
                catch (OperationCanceledException)
                {
                    replies.Add("<timeout>");
                }
            }
        }

        var expected = new List<string>();
        for (var i = 0; i < Rounds; i++)
        {
            await client.SendAsync(RawClient.Encode("SUBSCRIBE", channels[1 + 2 * i], channels[2 + 2 * i]));
            expected.Add(Frames.Confirmation("subscribe", channels[1 + 2 * i], 2 + 2 * i));
            expected.Add(Frames.Confirmation("subscribe", channels[2 + 2 * i], 3 + 2 * i));
            await ReadRepliesAsync(expected.Count);
        }
        // Then a reply that takes a moment (BLPOP times out after 0.3 s) and QUIT, which the gateway
        // answers itself once every reply owed has arrived: it must come after the BLPOP's reply.
        await client.SendAsync(
        [
            .. RawClient.Encode("PING"),
            .. RawClient.Encode("UNSUBSCRIBE"),
            .. RawClient.Encode("BLPOP", prefix + ":empty", "0.3"),
            .. RawClient.Encode("QUIT"),
        ]);
        expected.Add("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        expected.AddRange(Enumerable.Range(0, channels.Length).Select(i => $"unsubscribe {channels.Length - 1 - i}"));
        expected.AddRange(["*-1\r\n", "+OK\r\n", "<closed>"]);
        await ReadRepliesAsync(expected.Count);
        await stop.CancelAsync();
        await flood;

        Assert.Equal(expected, replies);
        Assert.Equal(channels.Order(), unsubscribed.Order());
    }

    [Fact]
    public async Task MessagesPublishedWhileAPipelineIsAnsweredAreAllDeliveredAlongsideTheReplies()
    {
        var channel = GatewayFixture.Key("interleave");
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Confirmation("subscribe", channel, 1), await client.CommandAsync("SUBSCRIBE", channel));

        // Publishes and PINGs race: whatever the interleaving, every frame arrives whole and the PINGs in order.
        await using var publisher = await RawClient.ConnectAsync(fixture.Redis.Port);
        var publishing = publisher.SendAsync([.. Enumerable.Range(0, 200).SelectMany(i => RawClient.Encode("PUBLISH", channel, $"m{i}"))]);
        await client.SendAsync([.. Enumerable.Range(0, 200).SelectMany(i => RawClient.Encode("PING", $"p{i}"))]);
        await publishing;

        var messages = new List<string>();
        var pongs = new List<string>();
        foreach (var frame in await Frames.ReadAsync(client, 400))
        {
            (frame.StartsWith("*3\r\n$7\r\nmessage\r\n") ? messages : pongs).Add(frame);
        }
        Assert.Equal(Enumerable.Range(0, 200).Select(i => Frames.Message(channel, $"m{i}")), messages);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => Frames.Array(Frames.Bulk("pong"), Frames.Bulk($"p{i}"))), pongs);
        Assert.True(await client.NothingArrivesWithinAsync(s_quiet));
    }
}
