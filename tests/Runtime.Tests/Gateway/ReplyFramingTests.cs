namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>Replies of every shape reach the client whole, wherever they fall in the receive buffers.</summary>
public class ReplyFramingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task LongErrorLinesAnywhereInALargePipelineAreDelivered()
    {
        var key = GatewayFixture.Key("framing");
        await fixture.Redis.DirectAsync("SET", key + ":s", new string('v', 1500));
        await fixture.Redis.DirectAsync("RPUSH", key + ":list", "x");
        var batch = new List<byte>();
        for (var i = 0; i < 2000; i++)
        {
            for (var j = 0; j < 7; j++)
            {
                batch.AddRange(RawClient.Encode("GET", key + ":s"));
            }
            batch.AddRange(RawClient.Encode("GET", key + ":list")); // a 68-byte -WRONGTYPE line
        }
        await using var client = await fixture.Gateway.ConnectAsync();
        await client.SendAsync([.. batch]);
        var wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        for (var i = 0; i < 2000; i++)
        {
            for (var j = 0; j < 7; j++)
            {
                Assert.Equal("$1500\r\n".Length + 1500 + 2, (await client.ReadAsync()).Length);
            }
            Assert.Equal(wrongType, await client.ReadAsync());
        }
    }

    [Fact]
    public async Task HundredKilobyteStatusReplyIsDelivered() =>
        await Differential.AssertSameAsync(fixture,
            "EVAL \"return redis.status_reply(string.rep('x', 100000))\" 0\r\nPING\r\n", 2);

    [Fact]
    public async Task DeeplyNestedReplyIsDeliveredAndOthersAreUnaffected()
    {
        const string script = "local t = {} local c = t for i = 1, 300 do local n = {} c[1] = n c = n end c[1] = 'bottom' return t";
        await using var other = await fixture.Gateway.ConnectAsync();
        await Differential.AssertSameAsync(fixture, key =>
            Encoding.Latin1.GetString([.. RawClient.Encode("SET", key, "v1"), .. RawClient.Encode("EVAL", script, "0"), .. RawClient.Encode("GET", key)]), 3);
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
    }
}
