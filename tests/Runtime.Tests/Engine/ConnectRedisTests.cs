using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// <c>ConnectRedis(address)</c>: a script's client of another Redis (a read-through source, a
/// write-behind sink), against a real second redis-server. Its calls give the values Execute gives,
/// it connects when first used and again after a failure, and it closes with the script.
/// </summary>
/// <remarks>Each test has a source server of its own; the gateway is shared, so names are unique.</remarks>
public sealed class ConnectRedisTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private async Task<(string Trigger, string Session)> TriggerAsync(string address, string pipeline)
    {
        var trigger = GearsFixture.Unique("trigger");
        var session = GearsFixture.Unique("session");
        await fixture.SubmitOkAsync($$"""
            var source = ConnectRedis("{{address}}");
            GB(Readers.Command){{pipeline}}.Register(trigger: "{{trigger}}");
            """, "ID", session);
        return (trigger, session);
    }

    // The connections a server has from scripts' clients (CLIENT LIST, name=sharpgears-script).
    private static async Task<int> ScriptConnectionsAsync(RedisServer server) =>
        (await server.DirectAsync("CLIENT", "LIST")).Split('\n').Count(line => line.Contains("name=sharpgears-script "));

    [Fact]
    public async Task ScriptCallsGiveTheValuesExecuteGivesWithTheAddressesCredentials()
    {
        await using var source = new RedisServer("--requirepass", "s3cret");
        var (trigger, _) = await TriggerAsync($"redis://:s3cret@127.0.0.1:{source.Port}", """
            .FlatMap(args =>
            {
                source.Execute("SET", "k", args[1]);
                source.Execute("RPUSH", "l", "a", "b");
                return new object?[] { source.Execute("GET", "k"), source.Execute("INCRBY", "n", 5), source.Execute("GET", "missing"), source.Execute("LRANGE", "l", 0, -1) };
            })
            """);

        Assert.Equal(
            Frames.Array(Frames.Bulk("hello"), ":5\r\n", "$-1\r\n", Frames.Array(Frames.Bulk("a"), Frames.Bulk("b"))),
            await fixture.CommandAsync("RG.TRIGGER", trigger, "hello"));
        Assert.Equal("$5\r\nhello\r\n", await AuthenticatedAsync(source, "GET", "k"));
    }

    private static async Task<string> AuthenticatedAsync(RedisServer server, params string[] command)
    {
        await using var client = await RawClient.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", "s3cret"));
        return await client.CommandAsync(command);
    }

    [Fact]
    public async Task AsyncCallsArePipelinedAndAnErrorReplyIsTheScriptsError()
    {
        await using var source = new RedisServer();
        var (trigger, _) = await TriggerAsync($"127.0.0.1:{source.Port}", """
            .Map(async args =>
            {
                var calls = Enumerable.Range(0, 100).Select(i => source.ExecuteAsync("INCR", args[1])).ToList();
                await Task.WhenAll(calls);
                return await source.ExecuteAsync("GET", args[1]);
            })
            """);
        var (failing, _) = await TriggerAsync($"127.0.0.1:{source.Port}", """.Map(args => source.Execute("NOSUCHCOMMAND"))""");

        Assert.Equal(Frames.Array(Frames.Bulk("100")), await fixture.CommandAsync("RG.TRIGGER", trigger, "counter"));
        var error = await fixture.CommandAsync("RG.TRIGGER", failing);
        Assert.StartsWith("-", error);
        Assert.Contains("unknown command", error);
    }

    [Fact]
    public async Task ASourceThatIsDownFailsTheCallsNotTheLoadAndServesOnceItIsBack()
    {
        var source = new RedisServer();
        await using var _ = source;
        source.Kill();
        var (trigger, _) = await TriggerAsync($"127.0.0.1:{source.Port}", """.Map(args => source.Execute("PING"))""");

        var error = await fixture.CommandAsync("RG.TRIGGER", trigger);
        Assert.StartsWith("-", error);
        Assert.Contains($"cannot reach the Redis at 127.0.0.1:{source.Port}", error);

        source.Start();
        await Wait.UntilAsync(async () => await fixture.CommandAsync("RG.TRIGGER", trigger) == Frames.Array(Frames.Bulk("PONG")),
            "the trigger reaches the source once it is back");
    }

    [Fact]
    public async Task ItsConnectionsCloseWhenTheScriptIsUnregistered()
    {
        await using var source = new RedisServer();
        // Kept reachable from outside the script, so that only closing it, not the collector, ends its connections.
        var (trigger, session) = await TriggerAsync($"127.0.0.1:{source.Port}", """
            .Map(args => { AppDomain.CurrentDomain.SetData(args[0], source); return source.Execute("PING"); })
            """);
        await fixture.CommandAsync("RG.TRIGGER", trigger);
        Assert.True(await ScriptConnectionsAsync(source) >= 1, "the call went over a connection named sharpgears-script");

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(session)));

        await Wait.UntilAsync(async () => await ScriptConnectionsAsync(source) == 0, "the script's connections to the source are closed");
    }

    [Fact]
    public async Task CallsOutsideAnExecutionShareAConnectionAlsoAfterErrorReplies()
    {
        await using var source = new RedisServer();
        // The body runs on a thread of no execution: its calls borrow an idle connection and give it back.
        await fixture.SubmitOkAsync($$"""
            var source = ConnectRedis("127.0.0.1:{{source.Port}}");
            for (var i = 0; i < 10; i++)
            {
                try { source.Execute("NOSUCHCOMMAND"); } catch (GearsException) { }
                source.Execute("PING");
            }
            GB(Readers.Command).Map(args => source.Execute("PING")).Register(trigger: "{{GearsFixture.Unique("trigger")}}");
            """, "ID", GearsFixture.Unique("session"));

        Assert.Equal(1, await ScriptConnectionsAsync(source));
    }

    [Fact]
    public async Task AnAddressThatIsNoAddressFailsTheSubmissionAndSaysWhy()
    {
        var reply = await fixture.SubmitAsync("""var source = ConnectRedis("http://127.0.0.1:1");""");

        Assert.StartsWith("-", reply);
        Assert.Contains("ConnectRedis 'http://127.0.0.1:1': the scheme must be redis:// or unix://", reply);
    }
}
