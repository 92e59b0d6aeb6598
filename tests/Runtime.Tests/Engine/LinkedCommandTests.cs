using SharpGears.Runtime.Tests.Engine.Support;
using StackExchange.Redis;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Registrations with <c>commands</c> (GEARS-REFERENCE.md, "Key misses and <c>commands</c>"): fired
/// only by those client commands through the gateway, for the keys the command names; the client's
/// reply is held until the executions it fired are done, then it gets what <c>OverrideReply</c> gave,
/// or the original reply. Tests share one gateway and use keys, logs and sessions of their own.
/// </summary>
/// <remarks>
/// A linked client's reply comes only after its executions have finished, so once it is read, what
/// they logged and counted is final: tests assert at once, without waiting, and that is part of
/// what they check.
/// </remarks>
public sealed class LinkedCommandTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    /// <summary>A registration linked to <paramref name="commands"/>: one ForEach step over <paramref name="body"/> (r is the record).</summary>
    private static string Linked(string body, string prefix, string commands = "\"get\"", string events = "\"keymiss\"", string mode = "AsyncLocal") =>
        $$"""
        GB().ForEach(r => { {{body}} }).Register(prefix: "{{prefix}}*", eventTypes: {{(events == "null" ? "null" : $"[{events}]")}}, commands: [{{commands}}], mode: ExecutionMode.{{mode}});

        """;

    /// <summary>An async step that waits until <paramref name="release"/> exists (its own deadline: 20 s), then overrides the reply with "released".</summary>
    private static string WaitsForRelease(string prefix, string release) =>
        $$"""
        GB().ForEach(async r =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((long)(await ExecuteAsync("EXISTS", "{{release}}"))! == 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("{{release}} never appeared");
                await Task.Delay(10);
            }
            OverrideReply("released");
        }).Register(prefix: "{{prefix}}*", eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.AsyncLocal);
        """;

    private async Task<Pairs> StatisticsOfAsync(string session) => (await fixture.RegistrationOfAsync(session)).Map("RegistrationData");

    // ---- OverrideReply: what the client gets ------------------------------------------------

    [Theory]
    [InlineData("get", "\"text\"", "$4\r\ntext\r\n")]
    [InlineData("get", "\"\"", "$0\r\n\r\n")]
    [InlineData("get", "\"+OK\"", "+OK\r\n")]
    [InlineData("get", "\"-ERR x\"", "-ERR x\r\n")]
    [InlineData("get", "\"-WRONGTYPE mine\"", "-WRONGTYPE mine\r\n")]
    [InlineData("get", "42L", ":42\r\n")]
    [InlineData("get", "-7", ":-7\r\n")]
    [InlineData("get", "new object?[] { \"a\", 1L }", "*2\r\n$1\r\na\r\n:1\r\n")]
    [InlineData("get", "new object?[] { \"a\", new object?[] { null, \"+s\" } }", "*2\r\n$1\r\na\r\n*2\r\n$-1\r\n+s\r\n")]
    [InlineData("get", "new object?[0]", "*0\r\n")]
    // STRLEN of a missing key answers 0 (a key miss): a nil override is told apart from the original.
    [InlineData("strlen", "null", "$-1\r\n")]
    public async Task OverrideReplyValuesBecomeTheirRespTypes(string command, string value, string expected)
    {
        var session = GearsFixture.Unique("override");
        var prefix = GearsFixture.Unique("override") + ":";
        await fixture.SubmitOkAsync(Linked($"OverrideReply({value});", prefix, $"\"{command}\""), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(expected, await client.CommandAsync(command.ToUpperInvariant(), prefix + "missing"));

        var data = await StatisticsOfAsync(session);
        Assert.Equal((1L, 1L, 0L), (data.Integer("numTriggered"), data.Integer("numSuccess"), data.Integer("numFailures")));
    }

    [Fact]
    public async Task WithoutOverrideReplyTheClientGetsTheOriginalReply()
    {
        var session = GearsFixture.Unique("no-override");
        var (prefix, log) = (GearsFixture.Unique("no-override") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key);""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "a"));

        Assert.Equal([prefix + "a"], await fixture.ListAsync(log)); // it ran before the reply came
    }

    [Fact]
    public async Task OnlyTheFirstOverrideReplyOfTwoRegistrationsWins()
    {
        var session = GearsFixture.Unique("two-overrides");
        var (prefix, winners) = (GearsFixture.Unique("two-overrides") + ":", GearsFixture.Unique("log"));
        // Each logs its value once its OverrideReply has passed: only the winner gets that far.
        await fixture.SubmitOkAsync(
            Linked($"""OverrideReply("first"); Execute("RPUSH", "{winners}", "first");""", prefix)
            + Linked($"""OverrideReply("second"); Execute("RPUSH", "{winners}", "second");""", prefix),
            "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        var reply = Reply.Parse(await client.CommandAsync("GET", prefix + "k"));

        var winner = Assert.Single(await fixture.ListAsync(winners));
        Assert.Equal(winner, reply);
        var statistics = (await fixture.RegistrationsOfAsync(session)).Select(r => r.Map("RegistrationData")).ToList();
        Assert.Equal(2, statistics.Count);
        Assert.All(statistics, data => Assert.Equal(1, data.Integer("numTriggered")));
        var failed = Assert.Single(statistics, data => data.Integer("numFailures") == 1);
        Assert.Contains("already called", failed.Text("lastError"));
        Assert.Single(statistics, data => data.Integer("numSuccess") == 1);
    }

    [Fact]
    public async Task ASecondOverrideReplyInOneExecutionThrowsAndTheFirstStands()
    {
        var session = GearsFixture.Unique("override-twice");
        var (prefix, output) = (GearsFixture.Unique("override-twice") + ":", GearsFixture.Unique("out"));
        await fixture.SubmitOkAsync(
            Linked($$"""
                OverrideReply("one");
                try { OverrideReply("two"); }
                catch (GearsException e) { Execute("SET", "{{output}}", e.Message); }
                OverrideReply("three");
                """, prefix),
            "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$3\r\none\r\n", await client.CommandAsync("GET", prefix + "k"));

        Assert.Contains("already called", await fixture.GetAsync(output));
        var data = await StatisticsOfAsync(session);
        Assert.Equal((1L, 0L, 1L), (data.Integer("numTriggered"), data.Integer("numSuccess"), data.Integer("numFailures")));
        Assert.Contains("already called", data.Text("lastError"));
    }

    // ---- Holding: only the linked client, in order ---------------------------------------------

    [Fact]
    public async Task WhileALinkedReplyIsHeldOtherClientsAreServed()
    {
        var session = GearsFixture.Unique("held");
        var (prefix, release) = (GearsFixture.Unique("held") + ":", GearsFixture.Unique("release"));
        await fixture.SubmitOkAsync(WaitsForRelease(prefix, release), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "other", "value");

        await using var linked = await fixture.Gateway.ConnectAsync();
        await linked.SendAsync(RawClient.Encode("GET", prefix + "k"));
        await fixture.WaitForStatisticAsync(id, "numTriggered", 1); // its execution waits for the release key

        await using (var other = await fixture.Gateway.ConnectAsync())
        {
            Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
            Assert.Equal("$5\r\nvalue\r\n", await other.CommandAsync("GET", prefix + "other"));
            Assert.Equal("+OK\r\n", await other.CommandAsync("SET", release, "1"));
        }

        // The override is given only after the release: the reply was held until then.
        Assert.Equal("$8\r\nreleased\r\n", await linked.ReadAsync());
    }

    [Fact]
    public async Task RepliesPipelinedAfterAHeldOneComeAfterItInOrder()
    {
        var session = GearsFixture.Unique("order");
        var (prefix, release) = (GearsFixture.Unique("order") + ":", GearsFixture.Unique("release"));
        await fixture.SubmitOkAsync(WaitsForRelease(prefix, release), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "hit", "here");

        await using var client = await fixture.Gateway.ConnectAsync();
        await client.SendAsync([
            .. RawClient.Encode("GET", prefix + "miss"),
            .. RawClient.Encode("PING"),
            .. RawClient.Encode("GET", prefix + "hit"),
            .. RawClient.Encode("ECHO", "last"),
        ]);
        await fixture.WaitForStatisticAsync(id, "numTriggered", 1);
        await fixture.DirectAsync("SET", release, "1");

        Assert.Equal(
            ["$8\r\nreleased\r\n", "+PONG\r\n", "$4\r\nhere\r\n", "$4\r\nlast\r\n"],
            await Frames.ReadAsync(client, 4, TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task ALongPipelineOfHitsMissesAndPlainCommandsIsAnsweredInOrderWithEachMissOverridden()
    {
        // Linked GETs and MGETs travel in the batch of plain commands around them; their replies are
        // picked out of the batch's. 300 KB replies arrive over several reads, in the middle of the
        // batch: a GET hit (passed on at sight), an MGET of it and a hit (looked at whole, passed on),
        // and an MGET of it and a miss (looked at whole, overridden).
        var session = GearsFixture.Unique("batch");
        var prefix = GearsFixture.Unique("batch") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("fetched " + r.Key);""", prefix, "\"get\", \"mget\""), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        var large = new string('L', 300_000);
        await fixture.DirectAsync("SET", prefix + "large", large);
        const int Rounds = 150;
        for (var i = 0; i < Rounds; i += 2)
        {
            await fixture.DirectAsync("SET", prefix + "hit" + i, "v" + i);
        }

        await using var client = await fixture.Gateway.ConnectAsync();
        var requests = new List<byte>();
        var expected = new List<string>();
        for (var i = 0; i < Rounds; i++)
        {
            var key = prefix + "hit" + i; // a hit when i is even, a miss when odd
            requests.AddRange(RawClient.Encode("GET", key));
            expected.Add(Frames.Bulk(i % 2 == 0 ? "v" + i : "fetched " + key));
            requests.AddRange(RawClient.Encode("ECHO", "plain" + i));
            expected.Add(Frames.Bulk("plain" + i));
            if (i == Rounds / 2)
            {
                requests.AddRange(RawClient.Encode("GET", prefix + "large"));
                expected.Add(Frames.Bulk(large));
                requests.AddRange(RawClient.Encode("MGET", prefix + "large", prefix + "hit0"));
                expected.Add(Frames.Array(Frames.Bulk(large), Frames.Bulk("v0")));
                requests.AddRange(RawClient.Encode("MGET", prefix + "large", prefix + "absent"));
                expected.Add(Frames.Bulk("fetched " + prefix + "absent"));
            }
        }
        await client.SendAsync([.. requests]);

        Assert.Equal(expected, await Frames.ReadAsync(client, expected.Count, TimeSpan.FromSeconds(30)));
        Assert.Equal(Rounds / 2 + 1, (await fixture.StatisticsAsync(id)).Integer("numTriggered"));
    }

    [Fact]
    public async Task AClientThatLeavesWhileItsReplyIsHeldLeavesTheExecutionAndTheGatewayWhole()
    {
        var session = GearsFixture.Unique("leaves");
        var (prefix, release) = (GearsFixture.Unique("leaves") + ":", GearsFixture.Unique("release"));
        await fixture.SubmitOkAsync(WaitsForRelease(prefix, release), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        var leaving = await fixture.Gateway.ConnectAsync();
        await leaving.SendAsync([.. RawClient.Encode("GET", prefix + "k"), .. RawClient.Encode("PING")]);
        await fixture.WaitForStatisticAsync(id, "numTriggered", 1);
        leaving.Abort();
        await fixture.DirectAsync("SET", release, "1");

        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);
        await using var other = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
        Assert.Equal("$8\r\nreleased\r\n", await other.CommandAsync("GET", prefix + "again"));
    }

    // ---- What fires ---------------------------------------------------------------------------

    [Fact]
    public async Task AHitIsNotHeldAndFiresNothing()
    {
        var session = GearsFixture.Unique("hit");
        var (prefix, release) = (GearsFixture.Unique("hit") + ":", GearsFixture.Unique("release"));
        await fixture.SubmitOkAsync(WaitsForRelease(prefix, release), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "hit", "here");

        await using var client = await fixture.Gateway.ConnectAsync();
        // Held, it would wait for a release key nobody sets yet: past the read's deadline (15 s, the script's is 20 s).
        Assert.Equal("$4\r\nhere\r\n", await client.CommandAsync("GET", prefix + "hit"));
        Assert.Equal(0, (await fixture.StatisticsAsync(id)).Integer("numTriggered"));

        // A miss, for contrast, fires and waits.
        await client.SendAsync(RawClient.Encode("GET", prefix + "miss"));
        await fixture.WaitForStatisticAsync(id, "numTriggered", 1);
        await fixture.DirectAsync("SET", release, "1");
        Assert.Equal("$8\r\nreleased\r\n", await client.ReadAsync());
        Assert.Equal(1, (await fixture.StatisticsAsync(id)).Integer("numTriggered"));
    }

    [Fact]
    public async Task HgetOfAMissingFieldInAnExistingHashIsNotAKeyMiss()
    {
        var session = GearsFixture.Unique("hget");
        var prefix = GearsFixture.Unique("hget") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("fetched");""", prefix, "\"hget\""), "ID", session);
        await fixture.DirectAsync("HSET", prefix + "h", "f", "v");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await client.CommandAsync("HGET", prefix + "h", "nofield")); // the key exists
        Assert.Equal("$1\r\nv\r\n", await client.CommandAsync("HGET", prefix + "h", "f"));
        Assert.Equal(0, (await StatisticsOfAsync(session)).Integer("numTriggered"));

        Assert.Equal("$7\r\nfetched\r\n", await client.CommandAsync("HGET", prefix + "nohash", "f"));
        Assert.Equal(1, (await StatisticsOfAsync(session)).Integer("numTriggered"));
    }

    [Fact]
    public async Task MgetOfTwoMissingKeysFiresOncePerKey()
    {
        var session = GearsFixture.Unique("mget");
        var (prefix, log) = (GearsFixture.Unique("mget") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, "\"mget\""), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("*2\r\n$-1\r\n$-1\r\n", await client.CommandAsync("MGET", prefix + "a", prefix + "b"));

        Assert.Equal([prefix + "a|keymiss", prefix + "b|keymiss"], (await fixture.ListAsync(log)).Order());
    }

    [Fact]
    public async Task MgetOfAHitAndAMissFiresForTheMissOnly()
    {
        var session = GearsFixture.Unique("mget-half");
        var (prefix, log) = (GearsFixture.Unique("mget-half") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, "\"mget\""), "ID", session);
        await fixture.DirectAsync("SET", prefix + "hit", "1");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("*2\r\n$1\r\n1\r\n$-1\r\n", await client.CommandAsync("MGET", prefix + "hit", prefix + "miss"));

        Assert.Equal([prefix + "miss|keymiss"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task OnlyKeysThatMatchThePrefixFire()
    {
        var session = GearsFixture.Unique("prefix");
        var (prefix, log) = (GearsFixture.Unique("prefix") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key); OverrideReply("fetched");""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", "x" + prefix + "k"));
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix[..^1]));
        Assert.Equal("$7\r\nfetched\r\n", await client.CommandAsync("GET", prefix + "k"));

        Assert.Equal([prefix + "k"], await fixture.ListAsync(log));
    }

    // ---- Linked and keyspace-notified registrations side by side ------------------------------

    [Fact]
    public async Task WritesFireUnlinkedRegistrationsOnceWhoeverWritesAndLinkedOnesOnlyThroughTheGateway()
    {
        var session = GearsFixture.Unique("writes");
        var prefix = GearsFixture.Unique("writes") + ":";
        var (linkedLog, notifiedLog) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        // Both sync, the linked one first: an event's sync executions run in registration order, so
        // once the unlinked one has logged an event, a linked one fired by it would have run too.
        await fixture.SubmitOkAsync(
            Scripts.Show
            + Linked($"""Execute("RPUSH", "{linkedLog}", r.Key + "|" + r.Event);""", prefix, "\"set\"", "\"set\"", "Sync")
            + Scripts.Recording(notifiedLog, prefix + "*", arguments: """, eventTypes: ["set"]"""),
            "ID", session);

        await using (var client = await fixture.Gateway.ConnectAsync())
        {
            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "gateway", "1"));
        }
        await fixture.DirectAsync("SET", prefix + "direct", "2");
        await fixture.DirectAsync("SET", prefix + "marker", "3");

        await fixture.WaitForItemAsync(notifiedLog, Scripts.Entry(prefix + "marker", "set", "string", "string:3"));
        Assert.Equal(
            [
                Scripts.Entry(prefix + "gateway", "set", "string", "string:1"),
                Scripts.Entry(prefix + "direct", "set", "string", "string:2"),
                Scripts.Entry(prefix + "marker", "set", "string", "string:3"),
            ],
            await fixture.ListAsync(notifiedLog));
        Assert.Equal([prefix + "gateway|set"], await fixture.ListAsync(linkedLog));
    }

    [Fact]
    public async Task KeyMissesFireUnlinkedRegistrationsOnceWhoeverReadsAndLinkedOnesOnlyThroughTheGateway()
    {
        var session = GearsFixture.Unique("misses");
        var prefix = GearsFixture.Unique("misses") + ":";
        var (linkedLog, notifiedLog) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(
            Scripts.Show
            + Linked($"""Execute("RPUSH", "{linkedLog}", r.Key + "|" + r.Event);""", prefix, mode: "Sync")
            + Scripts.Recording(notifiedLog, prefix + "*", arguments: """, eventTypes: ["keymiss"]"""),
            "ID", session);
        // Key misses are notified only once a registration listens to them.
        await Gears.WaitUntilListeningAsync(arguments => fixture.DirectAsync(arguments), "keymiss");

        Assert.Equal("$-1\r\n", await fixture.DirectAsync("GET", prefix + "direct"));
        await using (var client = await fixture.Gateway.ConnectAsync())
        {
            Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "gateway"));
        }
        Assert.Equal("$-1\r\n", await fixture.DirectAsync("GET", prefix + "marker"));

        await fixture.WaitForItemAsync(notifiedLog, Scripts.Entry(prefix + "marker", "keymiss", "empty", "null"));
        Assert.Equal(
            [
                Scripts.Entry(prefix + "direct", "keymiss", "empty", "null"),
                Scripts.Entry(prefix + "gateway", "keymiss", "empty", "null"),
                Scripts.Entry(prefix + "marker", "keymiss", "empty", "null"),
            ],
            await fixture.ListAsync(notifiedLog));
        Assert.Equal([prefix + "gateway|keymiss"], await fixture.ListAsync(linkedLog));
    }

    // ---- Write commands --------------------------------------------------------------------

    [Theory]
    [InlineData("null")]
    [InlineData("\"set\"")]
    public async Task ALinkedSetFiresOncePerSuccessfulSetWithEventSet(string events)
    {
        var session = GearsFixture.Unique("set");
        var (prefix, log) = (GearsFixture.Unique("set") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(
            Scripts.Show + Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event + "|" + Show(r.Value));""", prefix, "\"set\"", events),
            "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", prefix + "a", "1"));
        Assert.Equal([prefix + "a|set|string:1"], await fixture.ListAsync(log));

        Assert.Equal("$-1\r\n", await client.CommandAsync("SET", prefix + "a", "2", "NX")); // nothing done, nothing fired
        await fixture.DirectAsync("SET", prefix + "direct", "3"); // not through the gateway
        Assert.Equal("$1\r\n1\r\n", await client.CommandAsync("GET", prefix + "a")); // a read, not a set
        // Pipelined: each reply waits for its own execution, which may run while the next SET is done
        // (a record's value is read when its execution runs, so the first may see "5" already).
        await client.SendAsync([.. RawClient.Encode("SET", prefix + "b", "4"), .. RawClient.Encode("SET", prefix + "b", "5")]);
        Assert.Equal(["+OK\r\n", "+OK\r\n"], await Frames.ReadAsync(client, 2));

        var entries = await fixture.ListAsync(log);
        Assert.Equal([prefix + "a|set|string:1", prefix + "b|set|", prefix + "b|set|"], entries.Select(e => e.StartsWith(prefix + "b|") ? e[..e.LastIndexOf('|')] + "|" : e));
        var data = await StatisticsOfAsync(session);
        Assert.Equal((3L, 3L), (data.Integer("numTriggered"), data.Integer("numSuccess")));
    }

    [Fact]
    public async Task OverrideReplyReplacesTheReplyOfAWrite()
    {
        var session = GearsFixture.Unique("set-override");
        var prefix = GearsFixture.Unique("set-override") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("+DONE");""", prefix, "\"set\"", "\"set\""), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+DONE\r\n", await client.CommandAsync("SET", prefix + "k", "v"));

        Assert.Equal("v", await fixture.GetAsync(prefix + "k")); // the write itself happened
    }

    [Fact]
    public async Task AWriteThatFailsFiresNothingAndKeepsItsError()
    {
        var session = GearsFixture.Unique("set-error");
        var prefix = GearsFixture.Unique("set-error") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("+DONE");""", prefix, "\"incr\"", "null"), "ID", session);
        await fixture.DirectAsync("SET", prefix + "text", "abc");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("-ERR value is not an integer", await client.CommandAsync("INCR", prefix + "text"));
        Assert.Equal(0, (await StatisticsOfAsync(session)).Integer("numTriggered"));
        // INCR's event is "incrby", as Redis names it.
        Assert.Equal("+DONE\r\n", await client.CommandAsync("INCR", prefix + "n"));
        Assert.Equal("1", await fixture.GetAsync(prefix + "n"));
    }

    // ---- Refusals at registration -------------------------------------------------------------

    [Theory]
    [InlineData("\"eval\"", "user:*", "noscript")]                     // noscript (and movablekeys)
    [InlineData("\"unwatch\"", "*", "noscript")]                       // noscript, forwarded plain by the gateway
    [InlineData("\"role\"", "*", "noscript")]                          // noscript, forwarded plain by the gateway
    [InlineData("\"sort\"", "user:*", "movablekeys")]                  // movable keys with a prefix
    [InlineData("\"zunionstore\"", "user:*", "movablekeys")]
    [InlineData("\"nosuchcommand\"", "*", "does not know")]
    [InlineData("\"object\"", "*", "subcommands")]                     // a container
    [InlineData("\"config\"", "*", "gateway handles it itself")]
    [InlineData("\"subscribe\"", "*", "gateway handles it itself")]
    [InlineData("\"multi\"", "*", "gateway handles it itself")]
    [InlineData("\"blpop\"", "*", "gateway handles it itself")]
    [InlineData("\"rg.trigger\"", "*", "gateway handles it itself")]
    [InlineData("\"get\", \"nosuchcommand\"", "*", "does not know")] // one bad name refuses the whole registration
    public async Task CommandsThatCannotBeLinkedAreRefusedAtRegistration(string commands, string prefix, string reason)
    {
        var session = GearsFixture.Unique("refused");
        var code = $$"""GB().ForEach(r => OverrideReply("x")).Register(prefix: "{{prefix}}", eventTypes: ["keymiss"], commands: [{{commands}}]);""";

        var reply = await fixture.SubmitAsync(code, "ID", session);

        Assert.True(reply.StartsWith('-') && reply.Contains(reason, StringComparison.Ordinal), $"commands: [{commands}] answered {reply.TrimEnd()}");
        Assert.Empty(await fixture.RegistrationsOfAsync(session));
        Assert.DoesNotContain(await fixture.SessionsAsync(), s => s.Text("ID") == session);
    }

    [Fact]
    public async Task MovableKeysAreAcceptedWithoutAPrefix()
    {
        var session = GearsFixture.Unique("movable");
        var log = GearsFixture.Unique("log");
        await fixture.SubmitOkAsync(
            $$"""GB().ForEach(r => Execute("RPUSH", "{{log}}", r.Key)).Register(eventTypes: ["keymiss"], commands: ["sintercard"]);""",
            "ID", session);
        try
        {
            var key = GearsFixture.Unique("movable");
            await using var client = await fixture.Gateway.ConnectAsync();
            Assert.Equal(":0\r\n", await client.CommandAsync("SINTERCARD", "1", key));
            Assert.Equal([key], await fixture.ListAsync(log));
        }
        finally
        {
            await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(session));
        }
    }

    // ---- Failures ----------------------------------------------------------------------------

    [Fact]
    public async Task ALinkedExecutionThatThrowsLeavesTheOriginalReplyAndIsCounted()
    {
        var session = GearsFixture.Unique("throws");
        var prefix = GearsFixture.Unique("throws") + ":";
        await fixture.SubmitOkAsync(Linked("""throw new InvalidOperationException("boom " + r.Key);""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "k"));

        var data = await StatisticsOfAsync(session);
        Assert.Equal((1L, 0L, 1L), (data.Integer("numTriggered"), data.Integer("numSuccess"), data.Integer("numFailures")));
        Assert.Contains("InvalidOperationException: boom " + prefix + "k", data.Text("lastError"));
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "again")); // fails again, answered again
        Assert.Equal(2, (await StatisticsOfAsync(session)).Integer("numFailures"));
    }

    [Fact]
    public async Task ALinkedExecutionPastTheTimeOutIsAbortedAndTheClientGetsTheOriginalReply()
    {
        var session = GearsFixture.Unique("timeout");
        var (prefix, release) = (GearsFixture.Unique("timeout") + ":", GearsFixture.Unique("never"));
        var previous = Assert.IsType<long>(Assert.Single(Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGGET", "ExecutionTimeout"))));
        Assert.Equal(Frames.Array("+OK\r\n"), await fixture.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", "300"));
        try
        {
            // It polls a key nobody sets (its own deadline, 20 s, is far past the time-out).
            await fixture.SubmitOkAsync(WaitsForRelease(prefix, release), "ID", session);

            await using var client = await fixture.Gateway.ConnectAsync();
            Assert.Equal("$-1\r\n", await client.CommandAsync("GET", prefix + "k"));

            var id = await fixture.RegistrationIdOfAsync(session);
            await fixture.WaitForStatisticAsync(id, "numAborted", 1);
            var data = await fixture.StatisticsAsync(id);
            Assert.Equal((1L, 0L, 0L), (data.Integer("numTriggered"), data.Integer("numSuccess"), data.Integer("numFailures")));
            Assert.Contains("aborted", data.Text("lastError"));
            Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        }
        finally
        {
            await fixture.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", previous.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    // ---- Modes --------------------------------------------------------------------------------

    [Theory]
    [InlineData("Sync")]
    [InlineData("Async")]
    [InlineData("AsyncLocal")]
    public async Task EveryModeHoldsTheReplyAndOverridesIt(string mode)
    {
        var session = GearsFixture.Unique("mode");
        var (prefix, counter) = (GearsFixture.Unique("mode") + ":", GearsFixture.Unique("count"));
        await fixture.SubmitOkAsync(
            $$"""
            GB().Map(async r => (long)(await ExecuteAsync("INCR", "{{counter}}"))!)
                .ForEach(n => OverrideReply("{{mode}}-" + n))
                .Register(prefix: "{{prefix}}*", eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.{{mode}});
            """,
            "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Bulk(mode + "-1"), await client.CommandAsync("GET", prefix + "a"));
        Assert.Equal(Frames.Bulk(mode + "-2"), await client.CommandAsync("GET", prefix + "b"));
    }

    // ---- More reads, writes and clients -----------------------------------------------------

    [Theory]
    [InlineData("type", "+none\r\n")]
    [InlineData("ttl", ":-2\r\n")]
    [InlineData("exists", ":0\r\n")]
    [InlineData("llen", ":0\r\n")]
    [InlineData("hgetall", "*0\r\n")]
    [InlineData("smembers", "*0\r\n")]
    [InlineData("getdel", "$-1\r\n")]
    public async Task EveryEmptyReplyOfAMissingKeyIsAKeyMiss(string command, string original)
    {
        var session = GearsFixture.Unique("empty");
        var (prefix, log) = (GearsFixture.Unique("empty") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, $"\"{command}\""), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(original, await client.CommandAsync(command.ToUpperInvariant(), prefix + "k"));

        Assert.Equal([prefix + "k|keymiss"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task AnEmptyStringThatExistsIsNotAKeyMiss()
    {
        var session = GearsFixture.Unique("empty-string");
        var prefix = GearsFixture.Unique("empty-string") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("fetched");""", prefix), "ID", session);
        await fixture.DirectAsync("SET", prefix + "k", "");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$0\r\n\r\n", await client.CommandAsync("GET", prefix + "k"));
        Assert.Equal(0, (await StatisticsOfAsync(session)).Integer("numTriggered"));
    }

    [Fact]
    public async Task CommandNamesMatchWhateverTheirCaseAndInlineCommandsAreLinkedToo()
    {
        var session = GearsFixture.Unique("case");
        var prefix = GearsFixture.Unique("case") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("fetched:" + r.Key);""", prefix, "\"GET\""), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(Frames.Bulk($"fetched:{prefix}a"), await client.CommandAsync("gEt", prefix + "a"));
        await client.SendAsync($"get {prefix}b\r\n"); // an inline command, as telnet sends it
        Assert.Equal(Frames.Bulk($"fetched:{prefix}b"), await client.ReadAsync());
    }

    [Fact]
    public async Task ARespThreeClientGetsItsOwnNullOrTheOverride()
    {
        var session = GearsFixture.Unique("resp3");
        var prefix = GearsFixture.Unique("resp3") + ":";
        await fixture.SubmitOkAsync(Linked("""if (r.Key.EndsWith(":override")) OverrideReply("fetched");""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%", await client.CommandAsync("HELLO", "3"));
        Assert.Equal("_\r\n", await client.CommandAsync("GET", prefix + "plain"));
        Assert.Equal("$7\r\nfetched\r\n", await client.CommandAsync("GET", prefix + "override"));
        Assert.Equal(2, (await StatisticsOfAsync(session)).Integer("numTriggered"));
    }

    [Fact]
    public async Task AMultiKeyWriteFiresForEachKeyWithTheEventRedisNames()
    {
        var session = GearsFixture.Unique("mset");
        var (prefix, log) = (GearsFixture.Unique("mset") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, "\"mset\"", "null"), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("MSET", prefix + "a", "1", "other:" + prefix, "2", prefix + "b", "3"));

        Assert.Equal([prefix + "a|set", prefix + "b|set"], (await fixture.ListAsync(log)).Order());
    }

    [Theory]
    [InlineData("del", "DEL {k}", ":0\r\n")]
    [InlineData("setnx", "SETNX {existing} v", ":0\r\n")]
    [InlineData("hdel", "HDEL {k} f", ":0\r\n")]
    [InlineData("expire", "EXPIRE {k} 100", ":0\r\n")]
    [InlineData("lpushx", "LPUSHX {k} v", ":0\r\n")]
    public async Task AWriteThatChangesNothingFiresNothingAsRedisNotifiesNothing(string command, string call, string original)
    {
        // Redis sends no keyspace event for these calls (checked on 7.0 with notify-keyspace-events KEA).
        var session = GearsFixture.Unique("noop");
        var (prefix, log) = (GearsFixture.Unique("noop") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, $"\"{command}\"", "null"), "ID", session);
        await fixture.DirectAsync("SET", prefix + "existing", "x");

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal(original, await client.CommandAsync(call.Replace("{k}", prefix + "k").Replace("{existing}", prefix + "existing").Split(' ')));

        Assert.Empty(await fixture.ListAsync(log));
    }

    [Fact]
    public async Task LinkedCommandsInsideATransactionFireUnlinkedAfterExecAndNotAfterDiscard()
    {
        var session = GearsFixture.Unique("multi");
        var (prefix, log) = (GearsFixture.Unique("multi") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(
            Linked($"""Execute("RPUSH", "{log}", r.Key + "|" + r.Event);""", prefix, "\"get\", \"set\"", "\"keymiss\", \"set\""),
            "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("GET", prefix + "discarded"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("DISCARD"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("SET", prefix + "written", "1"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("GET", prefix + "missing"));
        Assert.Equal("*2\r\n+OK\r\n$-1\r\n", await client.CommandAsync("EXEC"));

        // Had the discarded GET survived, it would have fired first, with the EXEC's.
        await fixture.WaitForItemAsync(log, prefix + "missing|keymiss");
        Assert.Equal([prefix + "written|set", prefix + "missing|keymiss"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task StackExchangeRedisGetsEachOverrideForItsOwnKeyWhenExecutionsFinishOutOfOrder()
    {
        // A multiplexer pipelines every call on one connection: the held replies must each keep their place.
        var session = GearsFixture.Unique("se");
        var prefix = GearsFixture.Unique("se") + ":";
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(async r =>
            {
                // Later keys finish first (the delay only shuffles the order of completion).
                await Task.Delay(5 * (20 - int.Parse(r.Key.Substring(r.Key.LastIndexOf(':') + 1))));
                OverrideReply("v:" + r.Key);
            }).Register(prefix: "{{prefix}}*", eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.AsyncLocal);
            """,
            "ID", session);

        var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{fixture.Gateway.Port},connectTimeout=5000,syncTimeout=15000");
        RedisValue[] values;
        var keys = Enumerable.Range(0, 20).Select(i => $"{prefix}{i}").ToList();
        try
        {
            var db = redis.GetDatabase();
            values = await Task.WhenAll(keys.Select(key => db.StringGetAsync(key)));
        }
        finally
        {
            // 1.2.6's Dispose waits out syncTimeout for its QUITs, whoever the server is (Redis too).
            redis.Close(allowCommandsToComplete: false);
            redis.Dispose();
        }

        Assert.Equal(keys.Select(key => "v:" + key), values.Select(value => (string?)value));
    }

    [Fact]
    public async Task RedisPyReadsThroughWithPlainCallsAndAPipeline()
    {
        var session = GearsFixture.Unique("py");
        var prefix = GearsFixture.Unique("py") + ":";
        await fixture.SubmitOkAsync(Linked("""OverrideReply("from-source:" + r.Key);""", prefix), "ID", session);
        await fixture.DirectAsync("SET", prefix + "hit", "cached");

        var script = $$"""
            import sys, redis
            r = redis.Redis(host="127.0.0.1", port={{fixture.Gateway.Port}}, socket_timeout=15)
            p = "{{prefix}}"
            got = r.get(p + "a")
            assert got == ("from-source:" + p + "a").encode(), got
            pipe = r.pipeline(transaction=False)
            pipe.get(p + "b"); pipe.ping(); pipe.get(p + "hit"); pipe.get(p + "c")
            got = pipe.execute()
            assert got == [("from-source:" + p + "b").encode(), True, b"cached", ("from-source:" + p + "c").encode()], got
            print("ok")
            """;
        var result = await ChildProcess.RunAsync(ChildProcess.Python, ["-c", script]);
        Assert.True(result.ExitCode == 0, $"redis-py: {result.Output}");
        Assert.Equal(3, (await StatisticsOfAsync(session)).Integer("numTriggered"));
    }

    [Fact]
    public async Task AClientThatAsksForNoReplyStillFiresTheRegistration()
    {
        // CLIENT REPLY SKIP: the GET still runs and misses; only its reply is not sent.
        var session = GearsFixture.Unique("skip");
        var (prefix, log) = (GearsFixture.Unique("skip") + ":", GearsFixture.Unique("log"));
        await fixture.SubmitOkAsync(Linked($"""Execute("RPUSH", "{log}", r.Key);""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        await client.SendAsync([.. RawClient.Encode("CLIENT", "REPLY", "SKIP"), .. RawClient.Encode("GET", prefix + "skipped"), .. RawClient.Encode("GET", prefix + "answered")]);
        Assert.Equal("$-1\r\n", await client.ReadAsync());

        // Nothing waits for the skipped reply, so its execution may end after the answered one's.
        await fixture.WaitForItemAsync(log, prefix + "skipped", TimeSpan.FromSeconds(5));
        Assert.Equal([prefix + "answered", prefix + "skipped"], (await fixture.ListAsync(log)).Order());
    }

    [Fact]
    public async Task ARespThreeClientGetsRespThreeNullsAndMapsFromOverrideReply()
    {
        var session = GearsFixture.Unique("resp3o");
        var prefix = GearsFixture.Unique("resp3o") + ":";
        await fixture.SubmitOkAsync(Linked(
            """OverrideReply(r.Key.EndsWith(":map") ? new Dictionary<string, string> { ["f"] = "v" } : null);""", prefix), "ID", session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.StartsWith("%", await client.CommandAsync("HELLO", "3"));
        Assert.Equal("_\r\n", await client.CommandAsync("GET", prefix + "nil"));
        Assert.Equal("%1\r\n$1\r\nf\r\n$1\r\nv\r\n", await client.CommandAsync("GET", prefix + "map"));

        await using var resp2 = await fixture.Gateway.ConnectAsync();
        Assert.Equal("*2\r\n$1\r\nf\r\n$1\r\nv\r\n", await resp2.CommandAsync("GET", prefix + "map"));
    }

    [Fact]
    public async Task OnlyLookUpsForReadingMissAsRedisNotifies()
    {
        // LPOP looks its key up for writing: Redis notifies no miss. GETDEL reads it first: it does.
        var session = GearsFixture.Unique("popmiss");
        var prefix = GearsFixture.Unique("popmiss") + ":";
        await fixture.SubmitOkAsync(Linked("""Execute("SADD", "{{prefix}}fired", r.Key);""".Replace("{{prefix}}", prefix), prefix, commands: "\"lpop\", \"getdel\""), "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await client.CommandAsync("LPOP", prefix + "list"));
        Assert.Equal("$-1\r\n", await client.CommandAsync("GETDEL", prefix + "string"));
        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);
        Assert.Equal(1, (await fixture.StatisticsAsync(id)).Integer("numTriggered"));
        Assert.Equal("*1\r\n$" + (prefix.Length + 6) + "\r\n" + prefix + "string\r\n", await fixture.DirectAsync("SMEMBERS", prefix + "fired"));
    }
}

