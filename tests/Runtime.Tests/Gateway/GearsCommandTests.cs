namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// RG.* commands are answered by the gateway: a name it does not know gets exactly Redis' own
/// unknown-command error (Redis, which knows no RG.* command, is the reference), RG.PYEXECUTE points
/// to RG.CSEXECUTE, and their replies keep their place among forwarded ones.
/// </summary>
public sealed class GearsCommandTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly Dictionary<string, string> s_unknown = new()
    {
        ["no arguments"] = Encode("RG.NOSUCH"),
        ["lower case, two arguments"] = Encode("rg.nosuch", "a", "b"),
        ["inline"] = "rg.nosuch a 'b c'\r\n",
        ["an argument of 200 bytes"] = Encode("RG.NOSUCH", new string('a', 200)),
        ["a name of 40 bytes"] = Encode("RG." + new string('Y', 37), "x"),
        ["a line break in an argument"] = Encode("RG.NOSUCH", "a\r\nb"),
        // Redis quotes arguments until the quoted text reaches 128 bytes, not 128 bytes per argument.
        ["two arguments of 100 bytes"] = Encode("RG.NOSUCH", new string('a', 100), new string('b', 100)),
        ["50 short arguments"] = Encode(["RG.NOSUCH", .. Enumerable.Repeat("x", 50)]),
        // Redis copies the bytes as they are, and stops an argument at a NUL byte (C strings).
        ["bytes that are not UTF-8"] = Encode("RG.NOSUCH", "\xff\xfe"),
        ["a NUL byte in an argument"] = Encode("RG.NOSUCH", "a\0b", "c"),
        ["100 two-byte UTF-8 characters"] = Encode("RG.NOSUCH", Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(new string('é', 100)))),
    };

    public static TheoryData<string> UnknownCommands => new(s_unknown.Keys);

    [Theory]
    [MemberData(nameof(UnknownCommands))]
    public async Task AnUnknownRgCommandGetsRedisOwnUnknownCommandError(string name)
    {
        var request = s_unknown[name];
        var expected = await ReplyAsync(fixture.Redis.Port, request);
        var actual = await ReplyAsync(fixture.Port, request);

        Assert.StartsWith("-ERR unknown command '", expected);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("*1\r\n$12\r\nRG.PYEXECUTE\r\n")]
    [InlineData("*2\r\n$12\r\nrg.pyexecute\r\n$14\r\nGB().run('k*')\r\n")]
    [InlineData("RG.PYEXECUTE \"GB().run()\"\r\n")]
    public async Task RgPyexecuteGetsAnErrorThatNamesRgCsexecute(string request)
    {
        var reply = await ReplyAsync(fixture.Port, request);

        Assert.StartsWith("-ERR ", reply);
        Assert.Contains("RG.CSEXECUTE", reply);
        Assert.Equal(reply.Length - 2, reply.IndexOfAny(['\r', '\n'])); // one line
    }

    [Fact]
    public async Task RgCommandsPipelinedBetweenPlainCommandsAreAnsweredInOrder()
    {
        var key = GatewayFixture.Key("rg-pipeline");
        var counter = GatewayFixture.Key("rg-counter");
        var unknownError = await ReplyAsync(fixture.Redis.Port, Encode("RG.NOSUCH", "x"));
        await using var client = await fixture.Gateway.ConnectAsync();

        await client.SendAsync(
            Encode("SET", key, "v") + Encode("RG.NOSUCH", "x") + Encode("GET", key) + "RG.PYEXECUTE x\r\n"
            + Encode("INCR", counter) + Encode("RG.NOSUCH", "x") + "PING\r\n" + Encode("RG.PYEXECUTE", "y") + Encode("INCR", counter));

        Assert.Equal("+OK\r\n", await client.ReadAsync());
        Assert.Equal(unknownError, await client.ReadAsync());
        Assert.Equal("$1\r\nv\r\n", await client.ReadAsync());
        Assert.Contains("RG.CSEXECUTE", await client.ReadAsync());
        Assert.Equal(":1\r\n", await client.ReadAsync());
        Assert.Equal(unknownError, await client.ReadAsync());
        Assert.Equal("+PONG\r\n", await client.ReadAsync());
        Assert.Contains("RG.CSEXECUTE", await client.ReadAsync());
        Assert.Equal(":2\r\n", await client.ReadAsync());
    }

    [Fact]
    public async Task RgCommandsOfAPinnedClientAreAnsweredInOrderWithItsOtherReplies()
    {
        var key = GatewayFixture.Key("rg-pinned");
        await using var client = await fixture.Gateway.ConnectAsync();

        await client.SendAsync(Encode("SELECT", "1") + Encode("SET", key, "v") + Encode("RG.PYEXECUTE", "x")
            + Encode("BLPOP", GatewayFixture.Key("rg-empty"), "0.01") + Encode("RG.NOSUCH") + Encode("GET", key));

        Assert.Equal("+OK\r\n", await client.ReadAsync());
        Assert.Equal("+OK\r\n", await client.ReadAsync());
        Assert.Contains("RG.CSEXECUTE", await client.ReadAsync());
        Assert.Equal("*-1\r\n", await client.ReadAsync());
        Assert.StartsWith("-ERR unknown command 'RG.NOSUCH'", await client.ReadAsync());
        Assert.Equal("$1\r\nv\r\n", await client.ReadAsync());
        Assert.Equal("$-1\r\n", await fixture.Redis.DirectAsync("GET", key)); // it went to database 1
    }

    [Fact]
    public async Task AnUnknownRgCommandInsideMultiMakesExecDiscardTheTransactionAsRedisDoes()
    {
        var key = GatewayFixture.Key("rg-multi");
        var transaction = Encode("MULTI") + Encode("SET", key, "1") + Encode("RG.NOSUCH") + Encode("EXEC") + Encode("GET", key);

        var expected = await RepliesAsync(fixture.Redis.Port, transaction, 5);
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", expected[3]);
        Assert.Equal("$-1\r\n", expected[4]);

        var actual = await RepliesAsync(fixture.Port, transaction, 5);
        Assert.Equal(expected, actual);
    }

    private static string Encode(params string[] arguments) => Encoding.Latin1.GetString(RawClient.Encode(arguments));

    private static async Task<string> ReplyAsync(int port, string request) => (await RepliesAsync(port, request, 1))[0];

    private static async Task<string[]> RepliesAsync(int port, string request, int count)
    {
        await using var client = await RawClient.ConnectAsync(port);
        await client.SendAsync(request);
        var replies = new string[count];
        for (var i = 0; i < count; i++)
        {
            replies[i] = await client.ReadAsync();
        }
        return replies;
    }
}
