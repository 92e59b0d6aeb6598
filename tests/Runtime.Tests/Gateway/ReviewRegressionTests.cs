namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>Cases an independent review of the gateway found, each once a hang or a lost reply.</summary>
public sealed class ReviewRegressionTests() : DedicatedGatewayTest("--timeout", "1")
{
    [Fact]
    public async Task MonitorThenClientReplyOnAnswersAndQuitClosesAsOnRedis()
    {
        byte[] request = [.. RawClient.Encode("MONITOR"), .. RawClient.Encode("CLIENT", "REPLY", "ON"), .. RawClient.Encode("QUIT")];
        var redis = await Frames.ExchangeUntilClosedAsync(Redis.Port, request, 4);
        var gateway = await Frames.ExchangeUntilClosedAsync(Gateway.Port, request, 4);
        Assert.Equal(redis.Select(Frames.WithoutMonitorStamp), gateway.Select(Frames.WithoutMonitorStamp));
        Assert.Equal("<closed>", gateway[^1]);
    }

    [Theory]
    [InlineData("CLIENT REPLY SKIP\r\nRESET\r\nPING\r\nGET x\r\nQUIT\r\n", 4)]
    [InlineData("QUIT\r\nRESET\r\n", 2)]
    public async Task MonitoringClientsEndTheirStreamsAsOnRedis(string commands, int frames)
    {
        var request = Encoding.Latin1.GetBytes("MONITOR\r\n" + commands);
        var redis = await Frames.ExchangeUntilClosedAsync(Redis.Port, request, frames);
        var gateway = await Frames.ExchangeUntilClosedAsync(Gateway.Port, request, frames);
        Assert.Equal(redis.Select(Frames.WithoutMonitorStamp), gateway.Select(Frames.WithoutMonitorStamp));
    }

    [Fact]
    public async Task SubscribeTooLargeToBufferIsConfirmedForEveryChannel()
    {
        var channels = Enumerable.Range(0, 12_000).Select(i => $"review-channel-{i:D6}").ToArray();
        var request = RawClient.Encode(["SUBSCRIBE", .. channels]); // ~ 300 KB: forwarded as it arrives
        await using var client = await Gateway.ConnectAsync();
        await client.SendAsync(request[..(request.Length / 2)]);
        await client.SendAsync(request[(request.Length / 2)..]);
        for (var i = 0; i < channels.Length; i++)
        {
            Assert.Equal(Frames.Confirmation("subscribe", channels[i], i + 1), await client.ReadAsync());
        }
        await client.SendAsync([.. RawClient.Encode("UNSUBSCRIBE"), .. RawClient.Encode("QUIT")]);
        var unsubscribed = new HashSet<string>();
        for (var i = 0; i < channels.Length; i++)
        {
            unsubscribed.Add(await client.ReadAsync());
        }
        Assert.Equal(channels.Length, unsubscribed.Count);
        Assert.Equal("+OK\r\n", await client.ReadAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task SharedConnectionClosedByRedisIdleTimeoutCostsNoError()
    {
        await using var client = await Gateway.ConnectAsync();
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        for (var round = 0; round < 3; round++)
        {
            // Redis (timeout 1) closes the idle shared connections; the moment it has, ask at once.
            var before = await ClientIdsAsync();
            await Wait.UntilAsync(async () => !(await ClientIdsAsync()).Overlaps(before),
                "Redis has closed the idle shared connections", TimeSpan.FromSeconds(10));
            Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        }
    }

    private async Task<HashSet<string>> ClientIdsAsync()
    {
        var list = await Redis.DirectAsync("CLIENT", "LIST");
        return [.. System.Text.RegularExpressions.Regex.Matches(list, @"id=(\d+) .*cmd=(?!client)").Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public async Task ClientThatWritesEverythingBeforeReadingIsNotDeadlocked()
    {
        var key = GatewayFixture.Key("review-big");
        Assert.StartsWith(":", await Redis.DirectAsync("SETRANGE", key, (1024 * 1024 - 1).ToString(), "x"));
        var request = new List<byte>();
        request.AddRange(RawClient.Encode("SELECT", "0")); // its own connection, with back-pressure
        for (var i = 0; i < 20; i++)
        {
            request.AddRange(RawClient.Encode("GET", key)); // 20 MB of replies nobody reads yet
        }
        request.AddRange(RawClient.Encode("RG.PYEXECUTE", "x")); // answered by the gateway after them
        var ping = RawClient.Encode("PING");
        for (var i = 0; i < 300_000; i++)
        {
            request.AddRange(ping); // ~ 4 MB more, sent before reading anything
        }
        await using var client = await Gateway.ConnectAsync();
        await client.SendAsync([.. request]).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("+OK\r\n", await client.ReadAsync());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("$1048576\r\n".Length + 1024 * 1024 + 2, (await client.ReadFrameAsync()).Length);
        }
        Assert.StartsWith("-ERR SharpGears runs C#", await client.ReadAsync());
        for (var i = 0; i < 300_000; i++)
        {
            Assert.Equal("+PONG\r\n", await client.ReadAsync());
        }
    }
}
