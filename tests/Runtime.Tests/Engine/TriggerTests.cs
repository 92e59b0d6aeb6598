using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Triggers (GEARS-REFERENCE.md, "Command hooks and triggers"): <c>GB(Readers.Command)...Register(trigger: "name")</c>
/// makes <c>RG.TRIGGER name args...</c> run the pipeline over one record, the name and the arguments,
/// and reply with its output records (strings as bulk strings, numbers as integers), or its first
/// error; <c>RG.TRIGGERONKEY name key args...</c> passes the key second. One registration per name.
/// </summary>
/// <remarks>Each test names its triggers and sessions with <see cref="GearsFixture.Unique"/>: they share one gateway.</remarks>
public sealed class TriggerTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private async Task<(string Trigger, string RegistrationId)> TriggerAsync(string pipeline, string mode = "Async")
    {
        var trigger = GearsFixture.Unique("trigger");
        var session = GearsFixture.Unique("session");
        await fixture.SubmitOkAsync($$"""GB(Readers.Command){{pipeline}}.Register(trigger: "{{trigger}}", mode: ExecutionMode.{{mode}});""", "ID", session);
        return (trigger, await fixture.RegistrationIdOfAsync(session));
    }

    [Theory]
    [InlineData(".Map(args => string.Join(\"|\", args))", "*1\r\n$NAME_LENGTH\r\nNAME|a|bc\r\n")]
    [InlineData(".FlatMap(args => args.Skip(1))", "*2\r\n$1\r\na\r\n$2\r\nbc\r\n")]
    [InlineData(".Map(args => (long)args.Length)", "*1\r\n:3\r\n")]
    [InlineData(".Map(args => args.Length)", "*1\r\n:3\r\n")]
    [InlineData(".Filter(args => false)", "*0\r\n")]
    [InlineData(".Map(args => (object?)null)", "*1\r\n$-1\r\n")]
    [InlineData(".FlatMap(args => new object[] { \"x\", 2L })", "*2\r\n$1\r\nx\r\n:2\r\n")]
    [InlineData(".Map(async args => { await Task.Yield(); return args[2]; })", "*1\r\n$2\r\nbc\r\n")]
    public async Task RgTriggerRepliesWithThePipelinesRecords(string pipeline, string expected)
    {
        var (trigger, _) = await TriggerAsync(pipeline);
        expected = expected.Replace("NAME_LENGTH", (trigger.Length + 5).ToString()).Replace("NAME", trigger);

        Assert.Equal(expected, await fixture.CommandAsync("RG.TRIGGER", trigger, "a", "bc"));
    }

    [Fact]
    public async Task RgTriggerWithoutArgumentsRunsOverTheNameAlone()
    {
        var (trigger, id) = await TriggerAsync(".Map(args => args.Length + \":\" + args[0])");

        Assert.Equal(Frames.Array(Frames.Bulk("1:" + trigger)), await fixture.CommandAsync("RG.TRIGGER", trigger));
        var statistics = await fixture.StatisticsAsync(id);
        Assert.Equal((1, 1, 0), (statistics.Integer("numTriggered"), statistics.Integer("numSuccess"), statistics.Integer("numFailures")));
    }

    [Fact]
    public async Task RgTriggerOnKeyPassesTheKeySecond()
    {
        var (trigger, _) = await TriggerAsync(".Map(args => string.Join(\"|\", args))");

        Assert.Equal(Frames.Array(Frames.Bulk($"{trigger}|user:1|x|y")), await fixture.CommandAsync("RG.TRIGGERONKEY", trigger, "user:1", "x", "y"));
        Assert.Equal(Frames.Array(Frames.Bulk($"{trigger}|user:2")), await fixture.CommandAsync("RG.TRIGGERONKEY", trigger, "user:2"));
    }

    [Fact]
    public async Task AValueReadFromRedisThatIsNotUtf8IsRepliedByteForByte()
    {
        var key = GearsFixture.Unique("binary");
        var value = Encoding.Latin1.GetString([0x00, 0xff, 0xfe, 0x80, (byte)'+', 0x7f]); // the raw clients send and read Latin-1: byte for byte
        Assert.Equal("+OK\r\n", await fixture.DirectAsync("SET", key, value));
        var (trigger, _) = await TriggerAsync(""".Map(args => Execute("GET", args[1]))""");

        Assert.Equal(Frames.Array(Frames.Bulk(value)), await fixture.CommandAsync("RG.TRIGGER", trigger, key));
    }

    [Fact]
    public async Task ATriggerWritesWithExecuteAndRepliesWhatItReturns()
    {
        var prefix = GearsFixture.Unique("tw") + ":";
        var (trigger, _) = await TriggerAsync($$"""
            .Map(args => Execute("HINCRBY", "{{prefix}}" + args[1], args[2], long.Parse(args[3])))
            """);

        Assert.Equal("*1\r\n:5\r\n", await fixture.CommandAsync("RG.TRIGGER", trigger, "h", "f", "5"));
        Assert.Equal("*1\r\n:7\r\n", await fixture.CommandAsync("RG.TRIGGER", trigger, "h", "f", "2"));
        Assert.Equal("7", Reply.Parse(await fixture.DirectAsync("HGET", prefix + "h", "f")));
    }

    [Fact]
    public async Task AnUnknownTriggerIsAnError()
    {
        var reply = await fixture.CommandAsync("RG.TRIGGER", "no-such-trigger", "a");
        Assert.StartsWith("-ERR Unknown trigger", reply);
        Assert.Contains("no-such-trigger", reply);
        Assert.StartsWith("-ERR Unknown trigger", await fixture.CommandAsync("RG.TRIGGERONKEY", "no-such-trigger", "k"));
    }

    [Fact]
    public async Task TheArityIsChecked()
    {
        Assert.Equal("-ERR wrong number of arguments for 'rg.trigger' command\r\n", await fixture.CommandAsync("RG.TRIGGER"));
        Assert.Equal("-ERR wrong number of arguments for 'rg.triggeronkey' command\r\n", await fixture.CommandAsync("RG.TRIGGERONKEY"));
        Assert.Equal("-ERR wrong number of arguments for 'rg.triggeronkey' command\r\n", await fixture.CommandAsync("RG.TRIGGERONKEY", "name"));
    }

    [Fact]
    public async Task ATriggerThatThrowsAnswersAnErrorAndCountsAFailure()
    {
        var (trigger, id) = await TriggerAsync(".Map(args => args.Length > 2 ? throw new InvalidOperationException(\"kaput\") : \"fine\")");

        Assert.Equal(Frames.Array(Frames.Bulk("fine")), await fixture.CommandAsync("RG.TRIGGER", trigger, "one"));
        var reply = await fixture.CommandAsync("RG.TRIGGER", trigger, "one", "two");

        Assert.StartsWith("-ERR InvalidOperationException: kaput", reply);
        var statistics = await fixture.StatisticsAsync(id);
        Assert.Equal((2, 1, 1), (statistics.Integer("numTriggered"), statistics.Integer("numSuccess"), statistics.Integer("numFailures")));
        Assert.StartsWith("InvalidOperationException: kaput", statistics.Text("lastError"));
    }

    [Fact]
    public async Task AGearsExceptionKeepsItsOwnErrorCodeAndARedisErrorComesThroughAsRedisWordsIt()
    {
        var (coded, _) = await TriggerAsync(".Map(args => args.Length > 0 ? throw new GearsException(\"NOPE bad input\") : \"\")");
        var (plain, _) = await TriggerAsync(".Map(args => args.Length > 0 ? throw new GearsException(\"bad input\") : \"\")");
        var key = GearsFixture.Unique("wrongtype");
        await fixture.DirectAsync("SET", key, "text");
        var (redis, _) = await TriggerAsync($$""".Map(args => Execute("LPUSH", "{{key}}", "x"))""");

        Assert.Equal("-NOPE bad input\r\n", await fixture.CommandAsync("RG.TRIGGER", coded));
        Assert.Equal("-ERR bad input\r\n", await fixture.CommandAsync("RG.TRIGGER", plain));
        Assert.StartsWith("-WRONGTYPE Operation against a key holding the wrong kind of value", await fixture.CommandAsync("RG.TRIGGER", redis));
    }

    [Fact]
    public async Task CallNextAndOverrideReplyFailInATrigger()
    {
        var (callNext, _) = await TriggerAsync(".Map(args => CallNext(args[1..]))");
        var (overrideReply, _) = await TriggerAsync(".Map(args => { OverrideReply(\"x\"); return \"overridden\"; })");

        Assert.Contains("CallNext can only be called from a command hook", await fixture.CommandAsync("RG.TRIGGER", callNext, "a"));
        Assert.Contains("Can not get command ctx", await fixture.CommandAsync("RG.TRIGGER", overrideReply, "a"));
    }

    [Fact]
    public async Task ATriggerNameIsRefusedWhileAnotherSessionHasItAndTheOwnerCanUpgradeIt()
    {
        var trigger = GearsFixture.Unique("dup");
        var (owner, other) = (GearsFixture.Unique("owner"), GearsFixture.Unique("other"));
        string Code(string answer) => $$"""GB(Readers.Command).Map(args => "{{answer}}").Register(trigger: "{{trigger}}");""";
        await fixture.SubmitOkAsync(Code("v1"), "ID", owner);

        // Another session: refused, and nothing of it is kept.
        Assert.Equal($"-ERR trigger already registered: {trigger}\r\n", await fixture.SubmitAsync(Code("intruder"), "ID", other));
        Assert.Empty(await fixture.RegistrationsOfAsync(other));
        Assert.DoesNotContain(await fixture.SessionsAsync(), s => s.Text("ID") == other);
        // Twice in one session: refused too.
        var (twice, twiceName) = (GearsFixture.Unique("twice"), trigger + "-2");
        Assert.Equal($"-ERR trigger already registered: {twiceName}\r\n", await fixture.SubmitAsync($$"""
            GB(Readers.Command).Map(args => "a").Register(trigger: "{{twiceName}}");
            GB(Readers.Command).Map(args => "b").Register(trigger: "{{twiceName}}");
            """, "ID", twice));
        Assert.Empty(await fixture.RegistrationsOfAsync(twice));
        Assert.StartsWith("-ERR Unknown trigger", await fixture.CommandAsync("RG.TRIGGER", twiceName));
        Assert.Equal(Frames.Array(Frames.Bulk("v1")), await fixture.CommandAsync("RG.TRIGGER", trigger));

        // The owner's UPGRADE keeps the name, with the new code.
        await fixture.SubmitOkAsync(Code("v2"), "ID", owner, "UPGRADE");
        Assert.Equal(Frames.Array(Frames.Bulk("v2")), await fixture.CommandAsync("RG.TRIGGER", trigger));
        Assert.Single(await fixture.RegistrationsOfAsync(owner));

        // Once unregistered, the name is free for anyone.
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(owner)));
        Assert.StartsWith("-ERR Unknown trigger", await fixture.CommandAsync("RG.TRIGGER", trigger));
        await fixture.SubmitOkAsync(Code("other"), "ID", other);
        Assert.Equal(Frames.Array(Frames.Bulk("other")), await fixture.CommandAsync("RG.TRIGGER", trigger));
    }

    [Fact]
    public async Task RgDumpregistrationsShowsATriggerAsACommandReader()
    {
        var (trigger, id) = await TriggerAsync(".Map(args => args[0])", mode: "Sync");

        var registration = (await fixture.RegistrationsAsync()).Single(r => r.Text("id") == id);
        Assert.Equal("CommandReader", registration.Text("reader"));
        var data = registration.Map("RegistrationData");
        Assert.Equal("sync", data.Text("mode"));
        Assert.Equal(new object?[] { "trigger", trigger, "inorder", 0L }, data["args"]);
        Assert.Equal(
            ["mode", "numTriggered", "numSuccess", "numFailures", "numAborted", "lastRunDurationMS", "totalRunDurationMS", "avgRunDurationMS", "lastError", "args"],
            data.Names);
    }

    [Theory]
    [InlineData("Sync")]
    [InlineData("Async")]
    [InlineData("AsyncLocal")]
    public async Task TriggersWorkInEveryModeAndManyCallersAtOnceEachGetTheirOwnAnswer(string mode)
    {
        var counter = GearsFixture.Unique("calls");
        var (trigger, id) = await TriggerAsync($$"""
            .Map(args => { Execute("INCR", "{{counter}}"); return args[1] + "!"; })
            .FlatMap(answer => new object[] { answer, answer.Length })
            """, mode);

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fixture.CommandAsync("RG.TRIGGER", trigger, $"call{i}")));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Frames.Array(Frames.Bulk($"call{i}!"), $":{$"call{i}!".Length}\r\n"), replies[i]);
        }
        Assert.Equal("20", await fixture.GetAsync(counter));
        Assert.Equal(20, (await fixture.StatisticsAsync(id)).Integer("numSuccess"));
    }

    [Fact]
    public async Task RedisCliCallsATrigger()
    {
        var (trigger, _) = await TriggerAsync(".FlatMap(args => args.Skip(1).Select(a => a.ToUpperInvariant()))");

        var result = await ChildProcess.RunAsync("redis-cli", ["-p", fixture.Gateway.Port.ToString(), "RG.TRIGGER", trigger, "one", "two"],
            timeout: TimeSpan.FromSeconds(15));

        Assert.Equal("ONE\nTWO", result.Stdout.Trim()); // not a terminal: one reply per line
    }

    [Fact]
    public async Task ATriggerComesBackAfterAGatewayRestart()
    {
        var trigger = GearsFixture.Unique("restart");
        var counter = GearsFixture.Unique("onreg");
        var session = GearsFixture.Unique("restart");
        var dataDir = Directory.CreateTempSubdirectory("sg-trigger-restart-").FullName;
        try
        {
            string registrationId;
            await using (var first = await GatewayHost.StartAsync(fixture.Redis, "--data-dir", dataDir))
            {
                await using var client = await first.ConnectAsync();
                Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, $$"""
                    GB(Readers.Command).Map(args => "hello " + args[1])
                        .Register(trigger: "{{trigger}}", onRegistered: () => Execute("INCR", "{{counter}}"));
                    """, "ID", session));
                Assert.Equal(Frames.Array(Frames.Bulk("hello a")), await client.CommandAsync("RG.TRIGGER", trigger, "a"));
                registrationId = Assert.Single(await Gears.RegistrationsAsync(client)).Id;
            }

            await using var second = await GatewayHost.StartAsync(fixture.Redis, "--data-dir", dataDir);
            await using var again = await second.ConnectAsync();
            Assert.Equal(Frames.Array(Frames.Bulk("hello b")), await again.CommandAsync("RG.TRIGGER", trigger, "b"));
            var registration = Assert.Single(await Gears.RegistrationsAsync(again));
            Assert.Equal((registrationId, "CommandReader", session), (registration.Id, registration.Reader, registration.SessionId));
            await Gears.WaitForCounterAsync(fixture.Redis, counter, 2); // onRegistered ran again on load
            // The restored trigger still owns its name.
            Assert.Equal($"-ERR trigger already registered: {trigger}\r\n",
                await Gears.SubmitAsync(again, $$"""GB(Readers.Command).Map(a => a).Register(trigger: "{{trigger}}");"""));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
