namespace SharpGears.Runtime.Tests.Gateway;

public class BlockingCommandTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(200);

    public static TheoryData<string, string[], string[], string> Cases => new()
    {
        // name, blocking command ({k} = key), command that releases it, expected reply of the blocked client
        { "BLPOP", ["BLPOP", "{k}", "10"], ["RPUSH", "{k}", "v"], "*2\r\n${len}\r\n{k}\r\n$1\r\nv\r\n" },
        { "BRPOP", ["BRPOP", "{k}", "10"], ["LPUSH", "{k}", "v"], "*2\r\n${len}\r\n{k}\r\n$1\r\nv\r\n" },
        { "BLMOVE", ["BLMOVE", "{k}", "{k}:dst", "LEFT", "RIGHT", "10"], ["RPUSH", "{k}", "v"], "$1\r\nv\r\n" },
        { "BZPOPMIN", ["BZPOPMIN", "{k}", "10"], ["ZADD", "{k}", "1", "m"], "*3\r\n${len}\r\n{k}\r\n$1\r\nm\r\n$1\r\n1\r\n" },
        { "XREAD BLOCK", ["XREAD", "BLOCK", "10000", "STREAMS", "{k}", "$"], ["XADD", "{k}", "1-1", "f", "v"], "*1\r\n*2\r\n${len}\r\n{k}\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BlockedClientDoesNotBlockOthersAndIsReleasedByAWrite(string name, string[] blocking, string[] release, string expected)
    {
        var key = GatewayFixture.Key(name.Replace(' ', '-'));
        string Fill(string text) => text.Replace("{len}", key.Length.ToString()).Replace("{k}", key);
        await using var blocked = await fixture.Gateway.ConnectAsync();
        await using var other = await fixture.Gateway.ConnectAsync();

        await blocked.SendAsync(RawClient.Encode([.. blocking.Select(Fill)]));
        Assert.True(await blocked.NothingArrivesWithinAsync(s_quiet), $"{name} should block");

        // Other clients, on the shared connections and on private ones, are served meanwhile.
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
        Assert.Equal("+OK\r\n", await other.CommandAsync("SELECT", "0"));
        await using (var third = await fixture.Gateway.ConnectAsync())
        {
            Assert.Equal("$-1\r\n", await third.CommandAsync("GET", GatewayFixture.Key("nothing")));
        }

        await other.CommandAsync([.. release.Select(Fill)]);
        Assert.Equal(Fill(expected), await blocked.ReadAsync());
    }

    [Fact]
    public async Task BlockingCommandTimesOutWithRedisNullReply() =>
        await Differential.AssertSameAsync(fixture, "BLPOP {k} 0.1\r\nPING\r\n", 2);

    [Fact]
    public async Task WaitBlocksOnlyItsOwnClient()
    {
        await using var waiting = await fixture.Gateway.ConnectAsync();
        await using var other = await fixture.Gateway.ConnectAsync();
        await waiting.SendAsync(RawClient.Encode("WAIT", "1", "700"));
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
        Assert.True(await waiting.NothingArrivesWithinAsync(s_quiet));
        Assert.Equal(":0\r\n", await waiting.ReadAsync()); // no replica acknowledged in time
    }

    [Fact]
    public async Task CommandsPipelinedBehindABlockingCommandRunAfterIt()
    {
        var key = GatewayFixture.Key("behind");
        await using var blocked = await fixture.Gateway.ConnectAsync();
        await blocked.SendAsync([.. RawClient.Encode("BLPOP", key, "10"), .. RawClient.Encode("LLEN", key), .. RawClient.Encode("ECHO", "after")]);
        Assert.True(await blocked.NothingArrivesWithinAsync(s_quiet));
        await fixture.Redis.DirectAsync("RPUSH", key, "a", "b");
        Assert.StartsWith("*2\r\n", await blocked.ReadAsync());
        Assert.Equal(":1\r\n", await blocked.ReadAsync());
        Assert.Equal("$5\r\nafter\r\n", await blocked.ReadAsync());
    }
}
