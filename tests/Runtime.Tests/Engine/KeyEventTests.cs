using SharpGears.Runtime.Tests.Engine.Support;
using StackExchange.Redis;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// KeysReader registrations fired by Redis' keyspace notifications: whoever writes (here always
/// straight to Redis, never through the gateway), the matching registrations run, with records as
/// GEARS-REFERENCE.md describes them ("Readers and their records", "Key misses").
/// </summary>
/// <remarks>
/// Most registrations here are sync: their executions run one after another in event order, so once
/// the record of a later event is logged, every earlier event has been handled, and a test can see
/// that something did not fire without sleeping.
/// </remarks>
public sealed class KeyEventTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task WritesMadeStraightToRedisFireARegistrationWhoseExecuteWritesTheCount()
    {
        var counter = GearsFixture.Unique("count");
        var prefix = GearsFixture.Unique("fire") + ":";
        // Default mode (async): executions run on the pool, in any order; the count is what matters.
        await fixture.SubmitOkAsync(
            $$"""GB().ForEach(r => Execute("INCR", "{{counter}}")).Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" });""",
            "ID", GearsFixture.Unique("fire"));

        // StackExchange.Redis connected to Redis itself, as another application would be.
        using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{fixture.Redis.Port},connectTimeout=5000,syncTimeout=5000"))
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(Enumerable.Range(0, 5).Select(i => db.StringSetAsync(prefix + i, i)));
        }
        await fixture.DirectAsync("SET", prefix + "raw", "x");

        await fixture.WaitForValueAsync(counter, "6");
    }

    [Fact]
    public async Task APrefixEndingInStarMatchesKeysThatStartWithTheRest()
    {
        var (log, name) = (GearsFixture.Unique("log"), GearsFixture.Unique("star"));
        await fixture.SubmitOkAsync(Scripts.Recorder(log, name + ":*"), "ID", GearsFixture.Unique("star"));

        foreach (var key in new[] { name, "x" + name + ":a", name + ":", name + "x", name + ":a:b", name + ":last" })
        {
            await fixture.DirectAsync("SET", key, "1");
        }

        await fixture.WaitForItemAsync(log, Scripts.Entry(name + ":last", "set", "string", "string:1"));
        Assert.Equal(
            [name + ":", name + ":a:b", name + ":last"],
            (await fixture.ListAsync(log)).Select(item => item[..item.IndexOf('|', StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task APrefixWithoutStarMatchesOnlyThatKey()
    {
        var (log, key) = (GearsFixture.Unique("log"), GearsFixture.Unique("exact"));
        await fixture.SubmitOkAsync(Scripts.Recorder(log, key), "ID", GearsFixture.Unique("exact"));

        foreach (var other in new[] { key + "2", key[..^1], key + ":x", "x" + key })
        {
            await fixture.DirectAsync("SET", other, "1");
        }
        await fixture.DirectAsync("SET", key, "1");

        await fixture.WaitForItemAsync(log, Scripts.Entry(key, "set", "string", "string:1"));
        Assert.Equal([Scripts.Entry(key, "set", "string", "string:1")], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task EventTypesLimitTheEventsThatFire()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("events") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", arguments: """, eventTypes: new[] { "hset", "del" }"""), "ID", GearsFixture.Unique("events"));

        await fixture.DirectAsync("SET", prefix + "s", "1");
        await fixture.DirectAsync("HSET", prefix + "h", "f", "v");
        await fixture.DirectAsync("INCR", prefix + "n");
        await fixture.DirectAsync("DEL", prefix + "s");
        await fixture.DirectAsync("HSET", prefix + "last", "f", "v");

        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "last", "hset", "hash", "map:f=v"));
        Assert.Equal(
            [
                Scripts.Entry(prefix + "h", "hset", "hash", "map:f=v"),
                Scripts.Entry(prefix + "s", "del", "empty", "null"),
                Scripts.Entry(prefix + "last", "hset", "hash", "map:f=v"),
            ],
            await fixture.ListAsync(log));
    }

    [Fact]
    public async Task KeyTypesLimitTheKeysThatFire()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("types") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", arguments: """, keyTypes: new[] { "hash" }"""), "ID", GearsFixture.Unique("types"));

        await fixture.DirectAsync("SET", prefix + "s", "1");
        await fixture.DirectAsync("RPUSH", prefix + "l", "a");
        await fixture.DirectAsync("SADD", prefix + "set", "m");
        await fixture.DirectAsync("HSET", prefix + "h", "f", "v");

        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "h", "hset", "hash", "map:f=v"));
        Assert.Equal([Scripts.Entry(prefix + "h", "hset", "hash", "map:f=v")], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task RecordsCarryTheValueAndTypeOfTheirKey()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("values") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*"), "ID", GearsFixture.Unique("values"));

        await fixture.DirectAsync("SET", prefix + "s", "text");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "s", "set", "string", "string:text"));
        await fixture.DirectAsync("HSET", prefix + "h", "b", "2", "a", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "h", "hset", "hash", "map:a=1,b=2"));
        await fixture.DirectAsync("RPUSH", prefix + "l", "x", "y");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "l", "rpush", "list", "list:x,y"));
        // Sets and sorted sets have no value in a record, as in RedisGears.
        await fixture.DirectAsync("SADD", prefix + "set", "m");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "set", "sadd", "set", "null"));
        await fixture.DirectAsync("ZADD", prefix + "z", "1", "m");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "z", "zadd", "zset", "null"));
    }

    [Fact]
    public async Task AHashValueIsAReadOnlyDictionaryAndAListValueAReadOnlyList()
    {
        var output = GearsFixture.Unique("out");
        var prefix = GearsFixture.Unique("shapes") + ":";
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r => Execute("RPUSH", "{{output}}", r.Key + "=" + (r.Value is IReadOnlyDictionary<string, string?> ? "map" : r.Value is IReadOnlyList<string?> ? "list" : r.Value is string ? "string" : "other")))
                .Register(prefix: "{{prefix}}*", mode: ExecutionMode.Sync);
            """,
            "ID", GearsFixture.Unique("shapes"));

        await fixture.DirectAsync("HSET", prefix + "h", "f", "v");
        await fixture.DirectAsync("LPUSH", prefix + "l", "a");
        await fixture.DirectAsync("SET", prefix + "s", "v");

        await fixture.WaitForItemAsync(output, prefix + "s=string");
        Assert.Equal([prefix + "h=map", prefix + "l=list", prefix + "s=string"], await fixture.ListAsync(output));
    }

    [Fact]
    public async Task KeysAndValuesInUtf8ComeThroughWhole()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("utf8") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*"), "ID", GearsFixture.Unique("utf8"));
        // RawClient sends and reads Latin-1 text: these are the UTF-8 bytes of the strings.
        static string Utf8(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));

        await fixture.DirectAsync("SET", prefix + Utf8("clé-ключ-鍵"), Utf8("valeur-значение"));

        await fixture.WaitForItemAsync(log, Utf8(Scripts.Entry(prefix + "clé-ключ-鍵", "set", "string", "string:valeur-значение")));
    }

    [Fact]
    public async Task WithReadValueFalseRecordsHaveNoValue()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("novalue") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", arguments: ", readValue: false"), "ID", GearsFixture.Unique("novalue"));

        await fixture.DirectAsync("SET", prefix + "s", "text");
        await fixture.DirectAsync("HSET", prefix + "h", "f", "v");

        await Wait.UntilAsync(async () => (await fixture.ListAsync(log)).Length == 2, "both events are logged");
        var entries = await fixture.ListAsync(log);
        // The type is not part of what a record without value promises (RedisGears gives only key and event).
        Assert.StartsWith(prefix + "s|set|", entries[0]);
        Assert.EndsWith("|null", entries[0]);
        Assert.StartsWith(prefix + "h|hset|", entries[1]);
        Assert.EndsWith("|null", entries[1]);
    }

    [Fact]
    public async Task ADeletedKeysRecordHasTypeEmptyAndNoValue()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("del") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*"), "ID", GearsFixture.Unique("del"));

        await fixture.DirectAsync("HSET", prefix + "k", "f", "v");
        // Waited for: records are read from Redis when their execution runs, so the DEL must come after.
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "k", "hset", "hash", "map:f=v"));
        await fixture.DirectAsync("DEL", prefix + "k");

        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "k", "del", "empty", "null"));
    }

    [Fact]
    public async Task ExpiredKeysFireExpiredEvents()
    {
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("expired") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", arguments: """, eventTypes: new[] { "expired" }"""), "ID", GearsFixture.Unique("expired"));

        await fixture.DirectAsync("SET", prefix + "k", "v", "PX", "50");

        // Redis' active expiry finds the key within a few of its 100 ms cycles; nothing reads it.
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "k", "expired", "empty", "null"));
        Assert.Single(await fixture.ListAsync(log));
    }

    [Fact]
    public async Task KeymissFiresOnlyForRegistrationsThatListIt()
    {
        var session = GearsFixture.Unique("miss");
        var (misses, all) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        var prefix = GearsFixture.Unique("miss") + ":";
        await fixture.SubmitOkAsync(
            Scripts.Show + Scripts.Recording(misses, prefix + "*", arguments: """, eventTypes: new[] { "keymiss" }""") + Scripts.Recording(all, prefix + "*"),
            "ID", session);
        try
        {
            Assert.Equal("$-1\r\n", await fixture.DirectAsync("GET", prefix + "missing"));
            await fixture.DirectAsync("SET", prefix + "marker", "1");

            await fixture.WaitForItemAsync(all, Scripts.Entry(prefix + "marker", "set", "string", "string:1"));
            await fixture.WaitForItemAsync(misses, Scripts.Entry(prefix + "missing", "keymiss", "empty", "null"));
            // Without eventTypes a registration gets the default events, which key misses are not part of.
            Assert.Equal([Scripts.Entry(prefix + "marker", "set", "string", "string:1")], await fixture.ListAsync(all));
            // One GET that missed, one record: the engine reading the record must not miss again.
            Assert.Equal([Scripts.Entry(prefix + "missing", "keymiss", "empty", "null")], await fixture.ListAsync(misses));
        }
        finally
        {
            await UnregisterAllAsync(session);
        }
    }

    [Fact]
    public async Task TheEnginesOwnReadsOfRecordsAreNotKeyMisses()
    {
        var session = GearsFixture.Unique("own-reads");
        var (misses, deletions) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        var prefix = GearsFixture.Unique("own-reads") + ":";
        await fixture.SubmitOkAsync(
            Scripts.Show
            + Scripts.Recording(misses, prefix + "*", arguments: """, eventTypes: new[] { "keymiss" }""")
            + Scripts.Recording(deletions, prefix + "*", arguments: """, eventTypes: new[] { "del", "set" }"""),
            "ID", session);
        try
        {
            // No client reads a missing key here; the "del" record is read from Redis after the key is gone.
            await fixture.DirectAsync("SET", prefix + "k", "1");
            await fixture.WaitForItemAsync(deletions, Scripts.Entry(prefix + "k", "set", "string", "string:1"));
            await fixture.DirectAsync("DEL", prefix + "k");
            await fixture.WaitForItemAsync(deletions, Scripts.Entry(prefix + "k", "del", "empty", "null"));
            await fixture.DirectAsync("SET", prefix + "marker", "1");
            await fixture.WaitForItemAsync(deletions, Scripts.Entry(prefix + "marker", "set", "string", "string:1"));

            Assert.Empty(await fixture.ListAsync(misses));
        }
        finally
        {
            await UnregisterAllAsync(session);
        }
    }

    [Fact]
    public async Task InSyncModeEachEventIsHandledInOrderWithAValueNoOlderThanItsEvent()
    {
        var (log, key) = (GearsFixture.Unique("log"), GearsFixture.Unique("at-event"));
        await fixture.SubmitOkAsync(Scripts.Recorder(log, key, arguments: """, eventTypes: new[] { "set" }"""), "ID", GearsFixture.Unique("at-event"));

        // Two writes in one round trip. A gateway learns of an event only after Redis has done it, so
        // a sync execution reads the value when the dispatcher reaches its event: in event order, and
        // never older than the event (README: "sync" means in order, not atomic with the write).
        await using (var client = await RawClient.ConnectAsync(fixture.Redis.Port))
        {
            await client.SendAsync([.. RawClient.Encode("SET", key, "first"), .. RawClient.Encode("SET", key, "second")]);
            Assert.Equal("+OK\r\n", await client.ReadAsync());
            Assert.Equal("+OK\r\n", await client.ReadAsync());
        }

        await Wait.UntilAsync(async () => (await fixture.ListAsync(log)).Length == 2, "both events are logged");
        var entries = await fixture.ListAsync(log);
        Assert.Contains(entries[0], new[] { Scripts.Entry(key, "set", "string", "string:first"), Scripts.Entry(key, "set", "string", "string:second") });
        Assert.Equal(Scripts.Entry(key, "set", "string", "string:second"), entries[1]);
    }

    [Fact]
    public async Task NewFiresOnlyForRegistrationsThatListItAndOnlyForNewKeys()
    {
        var (created, all) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        var prefix = GearsFixture.Unique("new") + ":";
        await fixture.SubmitOkAsync(
            Scripts.Show + Scripts.Recording(created, prefix + "*", arguments: """, eventTypes: new[] { "new" }""") + Scripts.Recording(all, prefix + "*"),
            "ID", GearsFixture.Unique("new"));

        await fixture.DirectAsync("SET", prefix + "k", "1");
        await fixture.WaitForItemAsync(all, Scripts.Entry(prefix + "k", "set", "string", "string:1"));
        await fixture.DirectAsync("SET", prefix + "k", "2"); // not a new key
        await fixture.WaitForItemAsync(all, Scripts.Entry(prefix + "k", "set", "string", "string:2"));

        Assert.Equal([Scripts.Entry(prefix + "k", "new", "string", "string:1")], await fixture.ListAsync(created));
        Assert.Equal(
            [Scripts.Entry(prefix + "k", "set", "string", "string:1"), Scripts.Entry(prefix + "k", "set", "string", "string:2")],
            await fixture.ListAsync(all));
    }

    [Fact]
    public async Task ExecuteRepliesCastToLongStringArrayAndNull()
    {
        var (key, list, output) = (GearsFixture.Unique("cast"), GearsFixture.Unique("cast-list"), GearsFixture.Unique("cast-out"));
        var (counter, missing, scratch) = (GearsFixture.Unique("cast-n"), GearsFixture.Unique("cast-missing"), GearsFixture.Unique("cast-scratch"));
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                var count = (long)Execute("INCR", "{{counter}}");
                var value = (string)Execute("GET", r.Key);
                Execute("RPUSH", "{{list}}", "a", "b");
                var items = (object[])Execute("LRANGE", "{{list}}", 0, -1);
                var none = Execute("GET", "{{missing}}");
                var status = (string)Execute("SET", "{{scratch}}", 1.5);
                var empty = (object[])Execute("LRANGE", "{{missing}}", 0, -1);
                Execute("SET", "{{output}}", $"{count}|{value}|{string.Join(",", items)}|{(none is null ? "null" : "not null")}|{status}|{empty.Length}");
            }).Register(prefix: "{{key}}", mode: ExecutionMode.Sync);
            """,
            "ID", GearsFixture.Unique("cast"));

        await fixture.DirectAsync("SET", key, "hello");

        await fixture.WaitForValueAsync(output, "1|hello|a,b|null|OK|0");
        Assert.Equal("1.5", await fixture.GetAsync(scratch)); // numbers are sent in invariant culture
    }

    [Fact]
    public async Task AnErrorReplyIsThrownAsAGearsExceptionCountedAsAFailureWithItsScriptLine()
    {
        var session = GearsFixture.Unique("wrongtype");
        var (key, output) = (GearsFixture.Unique("wrongtype"), GearsFixture.Unique("wrongtype-out"));
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                try { Execute("LPUSH", r.Key, "x"); }
                catch (GearsException e) { Execute("SET", "{{output}}", "caught: " + e.Message); }
                Execute("HSET", r.Key, "f", "v");
            }).Register(prefix: "{{key}}", eventTypes: new[] { "set" }, mode: ExecutionMode.Sync);
            """,
            "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        await fixture.DirectAsync("SET", key, "a string");

        await fixture.WaitForStatisticAsync(id, "numFailures", 1);
        Assert.StartsWith("caught: WRONGTYPE", await fixture.GetAsync(output));
        var data = await fixture.StatisticsAsync(id);
        Assert.Equal(1, data.Integer("numTriggered"));
        Assert.Equal(0, data.Integer("numSuccess"));
        var lastError = Assert.IsType<string>(data["lastError"]);
        Assert.StartsWith("WRONGTYPE", lastError); // a GearsException keeps its bare message
        Assert.EndsWith($"(at {session}.csx:line 5)", lastError);
    }

    /// <summary>Removes a session's registrations, so that nothing it does outlives its test.</summary>
    private async Task UnregisterAllAsync(string session)
    {
        foreach (var registration in await fixture.RegistrationsOfAsync(session))
        {
            await fixture.CommandAsync("RG.UNREGISTER", registration.Text("id")!);
        }
    }
}
