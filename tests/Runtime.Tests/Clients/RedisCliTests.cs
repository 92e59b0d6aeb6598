namespace SharpGears.Runtime.Tests.Clients;

/// <summary>redis-cli, Redis' own client, in its one-shot, stdin and --pipe modes.</summary>
public sealed class RedisCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private async Task<(int ExitCode, string Output)> RunAsync(string? input, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync("redis-cli", ["-p", fixture.Port.ToString(), .. arguments], input);
        return (result.ExitCode, result.Output);
    }

    [Fact]
    public async Task OneShotCommandsAnswerAsOnRedis()
    {
        var key = GatewayFixture.Key("cli");
        Assert.Equal("PONG\n", (await RunAsync(null, "PING")).Output);
        Assert.Equal("OK\n", (await RunAsync(null, "SET", key, "hello world")).Output);
        Assert.Equal("hello world\n", (await RunAsync(null, "GET", key)).Output);
        Assert.Equal("(nil)\n", (await RunAsync(null, "--no-raw", "GET", key + ":missing")).Output);
    }

    [Fact]
    public async Task CommandsReadFromStandardInputAnswerInOrder()
    {
        var key = GatewayFixture.Key("cli");
        var (exit, output) = await RunAsync($"SET {key} 1\nINCR {key}\nINCRBY {key} 10\nGET {key}\n");
        Assert.Equal(0, exit);
        Assert.Equal("OK\n2\n12\n12\n", output);
    }

    [Fact]
    public async Task PipeModeMassInsertsAndReportsEveryReply()
    {
        var key = GatewayFixture.Key("cli-pipe");
        var protocol = new StringBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            protocol.Append(Encoding.Latin1.GetString(RawClient.Encode("SET", $"{key}:{i}", i.ToString())));
        }
        var (exit, output) = await RunAsync(protocol.ToString(), "--pipe");
        Assert.Equal(0, exit);
        Assert.Contains("errors: 0, replies: 20000", output);
        Assert.Equal("$5\r\n19999\r\n", await fixture.Redis.DirectAsync("GET", $"{key}:19999"));
    }

    [Fact]
    public async Task ScanModeListsTheMatchingKeys()
    {
        var key = GatewayFixture.Key("cli-scan");
        await RunAsync(null, "SET", key, "x");
        var (exit, output) = await RunAsync(null, "--scan", "--pattern", key);
        Assert.Equal(0, exit);
        Assert.Equal(key + "\n", output);
    }
}
