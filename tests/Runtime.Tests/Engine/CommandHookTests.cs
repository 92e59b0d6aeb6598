using SharpGears.Runtime.Tests.Engine.Support;
using StackExchange.Redis;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Command hooks (GEARS-REFERENCE.md, "Command hooks and triggers"):
/// <c>GB(Readers.Command)...Register(hook: "set", keyPrefix: "user:")</c> routes a client's calls of
/// the command whose keys start with the prefix to the pipeline; its one result is the reply;
/// <c>CallNext(args)</c> runs the next hook down, and finally the real command on the client's own
/// backend connection. Clients talk to the gateway; what landed is read straight from Redis.
/// </summary>
/// <remarks>
/// The tests share one gateway: each hooks keys under a prefix of its own, and a hook without a
/// prefix (which takes every call of its command) is only put on a command no other test calls
/// through the gateway, and unregistered at the end. A hooked call answers only once its hook has
/// finished, so counters read after the reply are final: no waiting is needed.
/// </remarks>
public sealed class CommandHookTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    // A hook that lets a value through only when it is a number.
    private static string Validating(string prefix, string mode = "Sync") => $$"""
        GB(Readers.Command).Map(args =>
            {
                if (!long.TryParse(args[2], out _))
                {
                    throw new GearsException("INVALID the value of " + args[1] + " must be a number");
                }
                return CallNext(args[1..]);
            })
            .Register(hook: "set", keyPrefix: "{{prefix}}", mode: ExecutionMode.{{mode}});
        """;

    // A hook that records each call in the list `audit` and passes the command on unchanged.
    private static string Auditing(string command, string prefix, string audit, string mode = "Async") => $$"""
        GB(Readers.Command).Map(args =>
            {
                Execute("RPUSH", "{{audit}}", string.Join(" ", args));
                return CallNext(args[1..]);
            })
            .Register(hook: "{{command}}", keyPrefix: "{{prefix}}", mode: ExecutionMode.{{mode}});
        """;

    private async Task<string> RegisterAsync(string tag, string code)
    {
        var session = GearsFixture.Unique(tag);
        await fixture.SubmitOkAsync(code, "ID", session);
        return await fixture.RegistrationIdOfAsync(session);
    }

    private async Task<(long Triggered, long Success, long Failures)> CountsAsync(string registrationId)
    {
        var statistics = await fixture.StatisticsAsync(registrationId);
        return (statistics.Integer("numTriggered"), statistics.Integer("numSuccess"), statistics.Integer("numFailures"));
    }

    // 1. Validation

    [Fact]
    public async Task AValidatingHookRefusesABadValueWithItsErrorAndLetsAGoodOneThroughWithRedisOwnStatus()
    {
        var prefix = GearsFixture.Unique("user") + ":";
        var id = await RegisterAsync("validate", Validating(prefix));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal($"-INVALID the value of {prefix}age must be a number\r\n", await client.CommandAsync("SET", prefix + "age", "old"));
        Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "age"));

        // Passed on through CallNext: Redis' status reply, not a bulk string "OK".
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "age", "42"));
        Assert.Equal("42", await fixture.GetAsync(prefix + "age"));
        Assert.Equal((2, 1, 1), await CountsAsync(id));

        // Keys outside the prefix go straight to Redis: written as they are, and the hook never ran.
        foreach (var other in new[] { "x" + prefix + "age", prefix[..^1], prefix.ToUpperInvariant() + "age" })
        {
            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", other, "old"));
            Assert.Equal("old", await fixture.GetAsync(other));
        }
        Assert.Equal((2, 1, 1), await CountsAsync(id));
    }

    [Fact]
    public async Task AHookedCommandMatchesItsNameInAnyCaseAndAnInlineRequestToo()
    {
        var prefix = GearsFixture.Unique("case") + ":";
        var id = await RegisterAsync("case", Validating(prefix));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.StartsWith("-INVALID ", await client.CommandAsync("sEt", prefix + "a", "x"));
        await client.SendAsync($"SET {prefix}b y\r\n"); // inline, as telnet sends it
        Assert.StartsWith("-INVALID ", await client.ReadAsync());
        await client.SendAsync($"set {prefix}b 7\r\n");
        Assert.Equal("+OK\r\n", await client.ReadAsync());

        Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "a"));
        Assert.Equal("7", await fixture.GetAsync(prefix + "b"));
        Assert.Equal((3, 1, 2), await CountsAsync(id));
    }

    [Fact]
    public async Task StackExchangeRedisSeesTheHooksErrorAsAServerErrorAndItsStatusAsSuccess()
    {
        var prefix = GearsFixture.Unique("se") + ":";
        await RegisterAsync("se", Validating(prefix, mode: "Async"));

        using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{fixture.Gateway.Port},connectTimeout=5000,syncTimeout=5000");
        var db = redis.GetDatabase();
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync(prefix + "n", "abc"));
        Assert.Equal($"INVALID the value of {prefix}n must be a number", error.Message);
        Assert.True(await db.StringSetAsync(prefix + "n", "12"));
        // Many at once, pipelined on the multiplexer's one connection: each gets its own answer.
        var sets = Enumerable.Range(0, 50).Select(i => db.StringSetAsync($"{prefix}{i}", i)).ToArray();
        Assert.All(await Task.WhenAll(sets), Assert.True);
        Assert.Equal(Enumerable.Range(0, 50), (await Task.WhenAll(Enumerable.Range(0, 50).Select(i => db.StringGetAsync($"{prefix}{i}")))).Select(v => (int)v));
    }

    // 2. Rewriting

    [Fact]
    public async Task AHookThatRewritesTheArgumentsWritesWhatItPassesToCallNext()
    {
        var prefix = GearsFixture.Unique("rw") + ":";
        // RedisGears' own example: every HSET also stamps the hash.
        await RegisterAsync("rw-hset", $$"""
            GB(Readers.Command).Map(args => CallNext([.. args[1..], "_last_modified_", "1700000000"]))
                .Register(hook: "hset", keyPrefix: "{{prefix}}");
            """);
        await RegisterAsync("rw-set", $$"""
            GB(Readers.Command).Map(args => CallNext([args[1], args[2].ToUpperInvariant(), .. args[3..]]))
                .Register(hook: "set", keyPrefix: "{{prefix}}", mode: ExecutionMode.Sync);
            """);
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal(":2\r\n", await client.CommandAsync("HSET", prefix + "h", "name", "ada"));
        Assert.Equal(
            new Dictionary<string, string> { ["name"] = "ada", ["_last_modified_"] = "1700000000" },
            Pairs(await fixture.DirectAsync("HGETALL", prefix + "h")));
        Assert.Equal(":1\r\n", await client.CommandAsync("HSET", prefix + "h", "name", "grace", "born", "1906"));
        Assert.Equal("grace", Reply.Parse(await fixture.DirectAsync("HGET", prefix + "h", "name")));

        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "s", "shout", "EX", "1000"));
        Assert.Equal("SHOUT", await fixture.GetAsync(prefix + "s"));
        Assert.InRange((long)Reply.Parse(await fixture.DirectAsync("TTL", prefix + "s"))!, 900, 1000);
    }

    // 3. Auditing, and replies passed through exactly

    [Fact]
    public async Task AnAuditHookRecordsEachCallAndTheClientGetsTheOriginalReplies()
    {
        var prefix = GearsFixture.Unique("audit") + ":";
        var audit = GearsFixture.Unique("audit-log");
        await RegisterAsync("audit-incrby", Auditing("incrby", prefix, audit));
        await RegisterAsync("audit-lpush", Auditing("lpush", prefix, audit));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal(":5\r\n", await client.CommandAsync("INCRBY", prefix + "n", "5"));
        Assert.Equal(":7\r\n", await client.CommandAsync("INCRBY", prefix + "n", "2"));
        Assert.Equal(":2\r\n", await client.CommandAsync("LPUSH", prefix + "l", "a", "b"));
        // Redis' own error, as Redis words it.
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await client.CommandAsync("LPUSH", prefix + "n", "c"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await client.CommandAsync("INCRBY", prefix + "n", "x"));

        Assert.Equal(
            [$"INCRBY {prefix}n 5", $"INCRBY {prefix}n 2", $"LPUSH {prefix}l a b", $"LPUSH {prefix}n c", $"INCRBY {prefix}n x"],
            await fixture.ListAsync(audit));
        Assert.Equal("7", await fixture.GetAsync(prefix + "n"));
    }

    // Bytes no UTF-8 text holds, and the frame's own line end inside the value.
    private const string Binary = "\u0080\r\n\u00ff\u0000\u00c3(\r\nend";

    [Fact]
    public async Task AHookThatReturnsCallNextsValueGivesTheClientTheExactBytesOfABinaryReply()
    {
        var prefix = GearsFixture.Unique("bin") + ":";
        var audit = GearsFixture.Unique("bin-log");
        await RegisterAsync("bin", Auditing("get", prefix, audit));
        await fixture.DirectAsync("SET", prefix + "v", Binary);
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal($"${Binary.Length}\r\n{Binary}\r\n", await client.CommandAsync("GET", prefix + "v"));
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "missing"));
        Assert.Equal(2, (await fixture.ListAsync(audit)).Length);

        // redis-py, with its own parser, gets the same bytes.
        var (exitCode, output) = await PythonAsync(
            $"import redis, sys; v = redis.Redis(port={fixture.Gateway.Port}).get('{prefix}v'); sys.stdout.write(v.hex())");
        Assert.True(exitCode == 0, output);
        Assert.Equal(Convert.ToHexStringLower(Encoding.Latin1.GetBytes(Binary)), output);
    }

    [Fact]
    public async Task AHookThatPassesItsArgumentsOnUnchangedWritesBinaryValuesByteForByte()
    {
        // A pass-through hook must be invisible: what the client sent is what Redis stores.
        var prefix = GearsFixture.Unique("binw") + ":";
        var audit = GearsFixture.Unique("binw-log");
        await RegisterAsync("binw", Auditing("set", prefix, audit));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "v", Binary));
        Assert.Equal($"${Binary.Length}\r\n{Binary}\r\n", await fixture.DirectAsync("GET", prefix + "v"));
    }

    [Fact]
    public async Task ACommandWithSeveralKeysIsHookedWhenAnyOfItsKeysHasThePrefix()
    {
        var prefix = GearsFixture.Unique("multi-key") + ":";
        var id = await RegisterAsync("multi-key", $$"""
            GB(Readers.Command).Map(args => "+hooked " + (args.Length - 1)).Register(hook: "mset", keyPrefix: "{{prefix}}");
            """);
        await using var client = await fixture.Gateway.ConnectAsync();

        // Keys found from Redis' key specifications: every other argument.
        Assert.Equal("+hooked 4\r\n", await client.CommandAsync("MSET", "other-" + prefix, "a", prefix + "k", "b"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("MSET", "other-" + prefix, "a", "x", prefix + "k"));
        Assert.Equal(prefix + "k", await fixture.GetAsync("x")); // a value, not a key: not hooked
        Assert.Equal(1, (await CountsAsync(id)).Triggered);
    }

    [Fact]
    public async Task ReturningTheValueOfAnEarlierCallNextStillGivesItsExactReply()
    {
        // Returning CallNext's value gives the reply as Redis sent it, whichever call it came from.
        var prefix = GearsFixture.Unique("twice") + ":";
        await RegisterAsync("twice", $$"""
            GB(Readers.Command).Map(args =>
                {
                    var first = CallNext(args[1..]);
                    CallNext(args[1] + ":copy", args[2]);
                    return first;
                })
                .Register(hook: "set", keyPrefix: "{{prefix}}");
            """);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("SET", prefix + "k", "v"));
        Assert.Equal("v", await fixture.GetAsync(prefix + "k:copy"));
    }

    [Fact]
    public async Task AClientThatGoesAwayWhileItsHookRunsLeavesTheGatewayServing()
    {
        var prefix = GearsFixture.Unique("gone") + ":";
        var (started, release) = (GearsFixture.Unique("gone-started"), GearsFixture.Unique("gone-release"));
        var id = await RegisterAsync("gone", $$"""
            GB(Readers.Command).Map(async args =>
                {
                    if (args[2] == "wait")
                    {
                        await ExecuteAsync("SET", "{{started}}", "1");
                        while (await ExecuteAsync("GET", "{{release}}") is null)
                        {
                            await Task.Delay(10);
                        }
                    }
                    return await CallNextAsync(args[1..]);
                })
                .Register(hook: "set", keyPrefix: "{{prefix}}");
            """);

        var leaving = await fixture.Gateway.ConnectAsync();
        await leaving.SendAsync(RawClient.Encode("SET", prefix + "k", "wait"));
        await fixture.WaitForValueAsync(started, "1");
        leaving.Abort();
        await fixture.DirectAsync("SET", release, "1");
        await Wait.UntilAsync(async () =>
        {
            var (_, success, failures) = await CountsAsync(id);
            return success + failures == 1;
        }, "the abandoned hook's execution has ended");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "k", "after"));
        Assert.Equal("after", await fixture.GetAsync(prefix + "k"));
    }

    // 4. Nesting

    [Fact]
    public async Task NestedHooksRunLastRegisteredFirstAndUnregisteringTheOuterLeavesTheInner()
    {
        var prefix = GearsFixture.Unique("nest") + ":";
        var order = GearsFixture.Unique("nest-order");
        string Hook(string name) => $$"""
            GB(Readers.Command).Map(args =>
                {
                    Execute("RPUSH", "{{order}}", "{{name}} in");
                    var reply = CallNext([.. args[1..], "{{name}}"]);
                    Execute("RPUSH", "{{order}}", "{{name}} out");
                    return reply;
                })
                .Register(hook: "rpush", keyPrefix: "{{prefix}}");
            """;
        var inner = await RegisterAsync("nest-inner", Hook("inner"));
        var outer = await RegisterAsync("nest-outer", Hook("outer"));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal(":3\r\n", await client.CommandAsync("RPUSH", prefix + "l", "x"));
        Assert.Equal(["x", "outer", "inner"], await fixture.ListAsync(prefix + "l"));
        Assert.Equal(["outer in", "inner in", "inner out", "outer out"], await fixture.ListAsync(order));
        Assert.Equal(1, (await CountsAsync(inner)).Triggered);
        Assert.Equal(1, (await CountsAsync(outer)).Triggered);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", outer));
        Assert.Equal(":5\r\n", await client.CommandAsync("RPUSH", prefix + "l", "y"));
        Assert.Equal(["x", "outer", "inner", "y", "inner"], await fixture.ListAsync(prefix + "l"));
        Assert.Equal(2, (await CountsAsync(inner)).Triggered);
    }

    [Fact]
    public async Task AnOuterHookThatDoesNotCallNextStopsTheChainAndAHookWithoutPrefixTakesEveryCall()
    {
        var prefix = GearsFixture.Unique("stop") + ":";
        var order = GearsFixture.Unique("stop-order");
        // The inner hook takes every APPEND (no prefix); the outer only those under the prefix, and
        // answers "blocked" for the key "no" without going further.
        var inner = await RegisterAsync("stop-inner", $$"""
            GB(Readers.Command).Map(args => { Execute("RPUSH", "{{order}}", "inner " + args[1]); return CallNext(args[1..]); })
                .Register(hook: "append");
            """);
        var outer = await RegisterAsync("stop-outer", $$"""
            GB(Readers.Command).Map(args => args[1].EndsWith(":no") ? "+blocked" : CallNext(args[1..]))
                .Register(hook: "append", keyPrefix: "{{prefix}}");
            """);
        try
        {
            await using var client = await fixture.Gateway.ConnectAsync();
            Assert.Equal("+blocked\r\n", await client.CommandAsync("APPEND", prefix + "no", "x"));
            Assert.Equal(":1\r\n", await client.CommandAsync("APPEND", prefix + "yes", "x"));
            Assert.Equal(":2\r\n", await client.CommandAsync("APPEND", "elsewhere-" + prefix, "ab"));

            Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "no"));
            Assert.Equal([$"inner {prefix}yes", $"inner elsewhere-{prefix}"], await fixture.ListAsync(order));
            Assert.Equal(2, (await CountsAsync(outer)).Triggered);
            Assert.Equal(2, (await CountsAsync(inner)).Triggered);
        }
        finally
        {
            await fixture.CommandAsync("RG.UNREGISTER", inner);
        }
    }

    [Fact]
    public async Task AHookWithoutPrefixTakesCommandsWithoutKeys()
    {
        var id = await RegisterAsync("echo", """
            GB(Readers.Command).Map(args => "hooked:" + (string)CallNext(args[1..])).Register(hook: "echo");
            """);
        try
        {
            Assert.Equal("$11\r\nhooked:ping\r\n", await fixture.CommandAsync("ECHO", "ping"));
        }
        finally
        {
            await fixture.CommandAsync("RG.UNREGISTER", id);
        }
        Assert.Equal("$4\r\nping\r\n", await fixture.CommandAsync("ECHO", "ping"));
    }

    // 5. Reply shapes

    [Theory]
    [InlineData(".Filter(args => false)", "$-1\r\n")]
    [InlineData(".Map(args => (object?)null)", "$-1\r\n")]
    [InlineData(".Map(args => 42L)", ":42\r\n")]
    [InlineData(".Map(args => 7)", ":7\r\n")]
    [InlineData(".Map(args => \"text\")", "$4\r\ntext\r\n")]
    [InlineData(".Map(args => \"+FINE\")", "+FINE\r\n")]
    [InlineData(".Map(args => \"-WRONGTYPE not for you\")", "-WRONGTYPE not for you\r\n")]
    [InlineData(".FlatMap(args => new[] { \"a\", \"bc\" })", "*2\r\n$1\r\na\r\n$2\r\nbc\r\n")]
    [InlineData(".Map(args => new object?[] { 1L, \"x\", null })", "*3\r\n:1\r\n$1\r\nx\r\n$-1\r\n")]
    [InlineData(".Map(args => (string)CallNext(args[1..]) + \"!\")", "$6\r\nvalue!\r\n")]
    [InlineData(".Map(args => CallNext(args[1..]))", "$5\r\nvalue\r\n")]
    [InlineData(".Map(async args => await CallNextAsync(args[1..]))", "$5\r\nvalue\r\n")]
    [InlineData(".Map(args => args.Length > 0 ? throw new GearsException(\"no such thing\") : \"\")", "-ERR no such thing\r\n")]
    [InlineData(".Map(args => args.Length > 0 ? throw new GearsException(\"WRONGTYPE said the hook\") : \"\")", "-WRONGTYPE said the hook\r\n")]
    public async Task TheHooksResultBecomesTheReply(string pipeline, string expected)
    {
        var prefix = GearsFixture.Unique("shape") + ":";
        await RegisterAsync("shape", $$"""GB(Readers.Command){{pipeline}}.Register(hook: "get", keyPrefix: "{{prefix}}");""");
        await fixture.DirectAsync("SET", prefix + "k", "value");

        Assert.Equal(expected, await fixture.CommandAsync("GET", prefix + "k"));
    }

    [Fact]
    public async Task AHookThatThrowsAnswersAnErrorNamingTheExceptionAndCountsAFailure()
    {
        var prefix = GearsFixture.Unique("boom") + ":";
        var id = await RegisterAsync("boom", $$"""
            GB(Readers.Command).Map(args => args.Length > 0 ? throw new InvalidOperationException("boom\nsecond line") : "")
                .Register(hook: "set", keyPrefix: "{{prefix}}");
            """);

        var reply = await fixture.CommandAsync("SET", prefix + "k", "v");

        Assert.StartsWith("-ERR InvalidOperationException: boom second line", reply);
        Assert.EndsWith("\r\n", reply);
        Assert.DoesNotContain('\n', reply[..^2]); // one line
        Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "k"));
        Assert.Equal((1, 0, 1), await CountsAsync(id));
        Assert.Contains("InvalidOperationException: boom", (await fixture.StatisticsAsync(id)).Text("lastError"));
    }

    [Fact]
    public async Task CallNextThrowsRedisErrorIntoTheHookAndUncaughtTheClientGetsRedisText()
    {
        var prefix = GearsFixture.Unique("arity") + ":";
        var uncaught = await RegisterAsync("arity-uncaught", $$"""
            GB(Readers.Command).Map(args => CallNext(args[1])).Register(hook: "set", keyPrefix: "{{prefix}}u:");
            """);
        await RegisterAsync("arity-caught", $$"""
            GB(Readers.Command).Map(args =>
                {
                    try { return CallNext(args[1]); }
                    catch (GearsException e) { return "caught: " + e.Message; }
                })
                .Register(hook: "set", keyPrefix: "{{prefix}}c:");
            """);

        Assert.Equal("-ERR wrong number of arguments for 'set' command\r\n", await fixture.CommandAsync("SET", prefix + "u:k", "v"));
        Assert.Equal((1, 0, 1), await CountsAsync(uncaught));
        Assert.Equal(
            "caught: ERR wrong number of arguments for 'set' command",
            Reply.Parse(await fixture.CommandAsync("SET", prefix + "c:k", "v")));
    }

    // 6. Transactions and pipelining

    [Fact]
    public async Task InsideMultiAHookedCommandQueuesPlainAndExecRunsItUnhooked()
    {
        var prefix = GearsFixture.Unique("multi") + ":";
        var id = await RegisterAsync("multi", $$"""
            GB(Readers.Command).Map(args => CallNext(args[1], args[2].ToUpperInvariant())).Register(hook: "set", keyPrefix: "{{prefix}}");
            """);
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("SET", prefix + "k", "quiet"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("GET", prefix + "k"));
        Assert.Equal("*2\r\n+OK\r\n$5\r\nquiet\r\n", await client.CommandAsync("EXEC"));
        Assert.Equal("quiet", await fixture.GetAsync(prefix + "k"));
        Assert.Equal(0, (await CountsAsync(id)).Triggered);

        // After EXEC the hook is back.
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "k", "loud"));
        Assert.Equal("LOUD", await fixture.GetAsync(prefix + "k"));
        Assert.Equal(1, (await CountsAsync(id)).Triggered);
    }

    [Fact]
    public async Task HookedCommandsPipelinedWithOthersKeepTheReplyOrder()
    {
        var prefix = GearsFixture.Unique("pipe") + ":";
        // An asynchronous hook that gives its thread back before it goes on, so that anything that
        // could overtake it has the chance to.
        await RegisterAsync("pipe", $$"""
            GB(Readers.Command).Map(async args => { await Task.Yield(); return await CallNextAsync([args[1], args[2].ToUpperInvariant(), .. args[3..]]); })
                .Register(hook: "set", keyPrefix: "{{prefix}}");
            """);
        await using var client = await fixture.Gateway.ConnectAsync();

        var commands = new List<(string[] Command, string Reply)>();
        for (var i = 0; i < 20; i++)
        {
            commands.Add((["SET", $"{prefix}{i}", $"v{i}"], "+OK\r\n"));
            commands.Add((["GET", $"{prefix}{i}"], $"${1 + i.ToString().Length}\r\nV{i}\r\n"));
            commands.Add((["INCR", $"{prefix}count"], $":{i + 1}\r\n"));
            commands.Add((["SET", $"{prefix}{i}", "bad", "NX"], "$-1\r\n")); // hooked, and nil from Redis
            commands.Add((["ECHO", $"e{i}"], $"${1 + i.ToString().Length}\r\ne{i}\r\n"));
        }
        await client.SendAsync([.. commands.SelectMany(c => RawClient.Encode(c.Command))]);

        foreach (var (command, reply) in commands)
        {
            Assert.Equal((string.Join(' ', command), reply), (string.Join(' ', command), await client.ReadAsync()));
        }
    }

    // 7. The client's own connection

    [Fact]
    public async Task CallNextRunsOnTheClientsConnectionSoItsSelectedDatabaseApplies()
    {
        var prefix = GearsFixture.Unique("db") + ":";
        var audit = GearsFixture.Unique("db-log");
        await RegisterAsync("db", Auditing("set", prefix, audit));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("SELECT", "3"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "k", "in-3"));
        Assert.Equal("$4\r\nin-3\r\n", await client.CommandAsync("GET", prefix + "k"));

        await using var direct = await RawClient.ConnectAsync(fixture.Redis.Port);
        Assert.Equal("+OK\r\n", await direct.CommandAsync("SELECT", "3"));
        Assert.Equal("$4\r\nin-3\r\n", await direct.CommandAsync("GET", prefix + "k"));
        Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "k")); // not in db 0
        // The hook's own Execute runs on the engine's connection, in the backend's database (0).
        Assert.Equal([$"SET {prefix}k in-3"], await fixture.ListAsync(audit));
    }

    // 8. Refusals

    [Theory]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"nosuchcommand\");", "does not know")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"save\");", "noscript")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"eval\");", "noscript")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"object\");", "subcommands")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"xinfo\");", "subcommands")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"config\");", "'config'")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"client\");", "'client'")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"multi\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"exec\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"SELECT\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"subscribe\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"blpop\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"rg.trigger\");", "the gateway handles it itself")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"sort\", keyPrefix: \"refused:\");", "movablekeys")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"zunionstore\", keyPrefix: \"refused:\");", "movablekeys")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"\");", "empty")]
    [InlineData("GB().ForEach(r => {}).Register(hook: \"set\");", "GB(Readers.Command)")]
    [InlineData("GB().ForEach(r => {}).Register(hook: \"set\", keyPrefix: \"refused:\");", "GB(Readers.Command)")]
    [InlineData("GB(Readers.Command).Map(a => a).Register(prefix: \"refused:*\");", "hook: \"command\"")]
    [InlineData("GB(Readers.Command).Map(a => a).Register();", "hook: \"command\"")]
    // A good registration before a refused one: the session is refused whole.
    [InlineData("GB(Readers.Command).Map(a => a).Register(hook: \"set\", keyPrefix: \"refused:\"); GB(Readers.Command).Map(a => a).Register(hook: \"save\");", "noscript")]
    public async Task WhatCannotBeHookedIsRefusedAtRegistrationAndNothingIsRegistered(string code, string why)
    {
        var session = GearsFixture.Unique("refused");

        var reply = await fixture.SubmitAsync(code, "ID", session);

        Assert.StartsWith("-", reply);
        Assert.Contains(why, reply, StringComparison.Ordinal);
        Assert.Empty(await fixture.RegistrationsOfAsync(session));
        Assert.DoesNotContain(await fixture.SessionsAsync(), s => s.Text("ID") == session);
    }

    [Fact]
    public async Task ACommandWithMovableKeysCanBeHookedWithoutAPrefix()
    {
        var prefix = GearsFixture.Unique("sort") + ":";
        var id = await RegisterAsync("sort", """
            GB(Readers.Command).Map(args => new object?[] { "sorted by hook", CallNext(args[1..]) }).Register(hook: "sort");
            """);
        try
        {
            await fixture.DirectAsync("RPUSH", prefix + "l", "3", "1", "2");
            Assert.Equal("*2\r\n$14\r\nsorted by hook\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", await fixture.CommandAsync("SORT", prefix + "l"));
        }
        finally
        {
            await fixture.CommandAsync("RG.UNREGISTER", id);
        }
    }

    [Fact]
    public async Task RgDumpregistrationsShowsAHookAsACommandReaderWithItsCommandAndPrefix()
    {
        var session = GearsFixture.Unique("dump");
        var prefix = GearsFixture.Unique("dump") + ":";
        // STRLEN: no other test calls it through the gateway.
        await fixture.SubmitOkAsync($$"""
            GB(Readers.Command).Map(a => a).Register(hook: "hset", keyPrefix: "{{prefix}}", mode: ExecutionMode.Sync);
            GB(Readers.Command).Map(a => a).Register(hook: "strlen", mode: ExecutionMode.AsyncLocal);
            """, "ID", session);
        var registrations = await fixture.RegistrationsOfAsync(session);
        try
        {
            Assert.Equal(2, registrations.Count);
            Assert.All(registrations, r => Assert.Equal("CommandReader", r.Text("reader")));
            var data = registrations.Select(r => r.Map("RegistrationData")).ToList();
            Assert.Equal(["sync", "async_local"], data.Select(d => d.Text("mode")));
            Assert.Equal(new object?[] { "hook", "hset", "keyprefix", prefix }, data[0]["args"]);
            Assert.Equal(new object?[] { "hook", "strlen", "keyprefix", null }, data[1]["args"]);
        }
        finally
        {
            foreach (var registration in registrations)
            {
                await fixture.CommandAsync("RG.UNREGISTER", registration.Text("id")!);
            }
        }
    }

    [Fact]
    public async Task CallNextOutsideAHookThrows()
    {
        var prefix = GearsFixture.Unique("outside") + ":";
        var log = GearsFixture.Unique("outside-log");
        await RegisterAsync("outside", $$"""
            GB().ForEach(r =>
                {
                    try { CallNext("x"); Execute("RPUSH", "{{log}}", "no exception"); }
                    catch (GearsException e) { Execute("RPUSH", "{{log}}", e.Message); }
                })
                .Register(prefix: "{{prefix}}*", eventTypes: ["set"]);
            """);

        await fixture.DirectAsync("SET", prefix + "k", "v");

        await Wait.UntilAsync(async () => (await fixture.ListAsync(log)).Length > 0, $"{log} has an entry");
        Assert.Contains("CallNext can only be called from a command hook", Assert.Single(await fixture.ListAsync(log)));
    }

    // 10. Modes

    [Theory]
    [InlineData("Sync")]
    [InlineData("Async")]
    [InlineData("AsyncLocal")]
    public async Task HooksWorkInEveryMode(string mode)
    {
        var prefix = GearsFixture.Unique("mode") + ":";
        var audit = GearsFixture.Unique("mode-log");
        var validating = await RegisterAsync("mode-v", Validating(prefix, mode));
        var auditing = await RegisterAsync("mode-a", Auditing("set", prefix, audit, mode));
        Assert.Equal(ModeName(mode), (await fixture.StatisticsAsync(validating)).Text("mode"));
        await using var client = await fixture.Gateway.ConnectAsync();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", $"{prefix}{i}", i.ToString()));
            Assert.Equal($"-INVALID the value of {prefix}{i} must be a number\r\n", await client.CommandAsync("SET", $"{prefix}{i}", "no"));
            Assert.Equal(i.ToString(), await fixture.GetAsync($"{prefix}{i}"));
        }
        // The auditing hook is outermost: it saw every call; the validating one refused half, and its
        // error reply came out of the auditing hook's CallNext as an exception, failing it too.
        Assert.Equal(10, (await fixture.ListAsync(audit)).Length);
        Assert.Equal((10L, 5L, 5L), await CountsAsync(auditing));
        Assert.Equal((10L, 5L, 5L), await CountsAsync(validating));
    }

    [Theory]
    [InlineData("Async", "CallNext(args[1..])", 1)]
    [InlineData("AsyncLocal", "CallNext(args[1..])", 1)]
    [InlineData("Async", "CallNextAsync(args[1..]).Result", 1)]
    [InlineData("Async", "CallNext(args[1..])", 2)]
    public async Task MoreConcurrentCallsThanExecutionThreadsOfAHookWithABlockingCallNextAllComplete(string mode, string callNext, int hooks)
    {
        // A hook that blocks its execution thread in CallNext, as RedisGears' call_next does, called by
        // more clients at once than the pool has threads (3). Its own gateway, with a short execution
        // time-out: a pool that deadlocks answers errors after 3 s instead of hanging the shared one.
        await using var gateway = await GatewayHost.StartAsync(fixture.Redis, "--SharpGears:ExecutionThreads", "3");
        var prefix = GearsFixture.Unique("busy") + ":";
        await using (var admin = await gateway.ConnectAsync())
        {
            Assert.Equal("*1\r\n+OK\r\n", await admin.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", "3000"));
            for (var i = 0; i < hooks; i++)
            {
                Assert.Equal("+OK\r\n", await Gears.SubmitAsync(admin, $$"""
                    GB(Readers.Command).Map(args => {{callNext}}).Register(hook: "set", keyPrefix: "{{prefix}}", mode: ExecutionMode.{{mode}});
                    """));
            }
        }

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var client = await gateway.ConnectAsync();
            return await client.CommandAsync("SET", $"{prefix}{i}", "v");
        }));

        Assert.True(replies.All(reply => reply == "+OK\r\n"), "replies: " + string.Join(" | ", replies.Select(r => r.TrimEnd())));
        Assert.Equal(":8\r\n", await fixture.DirectAsync(["EXISTS", .. Enumerable.Range(0, 8).Select(i => $"{prefix}{i}")]));
    }

    private static string ModeName(string mode) => mode switch
    {
        "Sync" => "sync",
        "AsyncLocal" => "async_local",
        _ => "async",
    };

    // A hook that survives a restart of the gateway must still hook: its command's description is
    // asked of Redis again when the session is loaded.
    [Fact]
    public async Task AHookComesBackAfterAGatewayRestart()
    {
        var prefix = GearsFixture.Unique("restart") + ":";
        var dataDir = Directory.CreateTempSubdirectory("sg-hook-restart-").FullName;
        try
        {
            await using (var first = await GatewayHost.StartAsync(fixture.Redis, "--data-dir", dataDir))
            {
                await using var client = await first.ConnectAsync();
                Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Validating(prefix), "ID", GearsFixture.Unique("restart")));
                Assert.StartsWith("-INVALID ", await client.CommandAsync("SET", prefix + "a", "x"));
            }

            await using var second = await GatewayHost.StartAsync(fixture.Redis, "--data-dir", dataDir);
            await using var again = await second.ConnectAsync();
            Assert.StartsWith("-INVALID ", await again.CommandAsync("SET", prefix + "b", "x"));
            Assert.Equal(":0\r\n", await fixture.DirectAsync("EXISTS", prefix + "b"));
            Assert.Equal("+OK\r\n", await again.CommandAsync("SET", prefix + "b", "1"));
            Assert.Equal("1", await fixture.GetAsync(prefix + "b"));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static Dictionary<string, string> Pairs(string frame)
    {
        var items = Reply.Strings(Reply.Parse(frame));
        return Enumerable.Range(0, items.Length / 2).ToDictionary(i => items[2 * i], i => items[(2 * i) + 1]);
    }

    private static async Task<(int ExitCode, string Output)> PythonAsync(string code)
    {
        var result = await ChildProcess.PythonAsync(["-c", code], TimeSpan.FromSeconds(30));
        return (result.ExitCode, result.ExitCode == 0 ? result.Stdout : result.Stderr);
    }
}
