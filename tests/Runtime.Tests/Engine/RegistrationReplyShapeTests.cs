using System.Globalization;
using System.Text.RegularExpressions;
using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// RG.DUMPREGISTRATIONS, field by field and in order, as GEARS-REFERENCE.md gives RedisGears 1.2's
/// entry: tools written for RedisGears read these by position and by RESP type, so an integer must
/// stay an integer and avgRunDurationMS a string.
/// </summary>
public sealed partial class RegistrationReplyShapeTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [GeneratedRegex("^0{40}-[1-9][0-9]*$")]
    private static partial Regex RegistrationId();

    [Fact]
    public async Task AnEntryHasRedisGearsFieldsInOrderWithTheirTypes()
    {
        var session = GearsFixture.Unique("shape");
        var prefix = GearsFixture.Unique("shape") + ":*";
        await fixture.SubmitOkAsync(
            $$"""GB().ForEach(r => { }).Register(prefix: "{{prefix}}", eventTypes: new[] { "set", "hset" }, keyTypes: new[] { "string", "hash" }, mode: ExecutionMode.AsyncLocal);""",
            "ID", session, "DESCRIPTION", "the shape test");

        var entry = await fixture.RegistrationOfAsync(session);

        Assert.Equal(["id", "reader", "desc", "RegistrationData", "PD", "ExecutionThreadPool"], entry.Names);
        Assert.Matches(RegistrationId(), entry.Text("id"));
        Assert.Equal("KeysReader", entry.Text("reader"));
        Assert.Equal("the shape test", entry.Text("desc"));
        Assert.Equal($"{{'sessionId':'{session}', 'depsList':[]}}", entry.Text("PD"));
        Assert.Equal("DefaultPool", entry.Text("ExecutionThreadPool"));

        var data = entry.Map("RegistrationData");
        Assert.Equal(
            ["mode", "numTriggered", "numSuccess", "numFailures", "numAborted", "lastRunDurationMS", "totalRunDurationMS", "avgRunDurationMS", "lastError", "args"],
            data.Names);
        Assert.Equal("async_local", data.Text("mode"));
        foreach (var counter in new[] { "numTriggered", "numSuccess", "numFailures", "numAborted", "lastRunDurationMS", "totalRunDurationMS" })
        {
            Assert.Equal(0, data.Integer(counter));
        }
        Assert.Equal(0, double.Parse(Assert.IsType<string>(data["avgRunDurationMS"]), CultureInfo.InvariantCulture));
        Assert.Null(data["lastError"]);

        var args = data.Map("args");
        Assert.Equal(["regex", "eventTypes", "keyTypes", "hookCommands"], args.Names);
        Assert.Equal(prefix, args.Text("regex"));
        Assert.Equal(["set", "hset"], Reply.Strings(args["eventTypes"]));
        Assert.Equal(["string", "hash"], Reply.Strings(args["keyTypes"]));
        Assert.Null(args["hookCommands"]);
    }

    [Fact]
    public async Task RegisterWithoutArgumentsShowsPrefixStarAsyncModeAndNilLists()
    {
        var session = GearsFixture.Unique("defaults");
        // Matches every key of this class's Redis; it does nothing, and it is unregistered at the end.
        await fixture.SubmitOkAsync("GB().Register();", "ID", session);
        try
        {
            var entry = await fixture.RegistrationOfAsync(session);
            var data = entry.Map("RegistrationData");
            Assert.Equal("async", data.Text("mode"));
            var args = data.Map("args");
            Assert.Equal("*", args.Text("regex"));
            Assert.Null(args["eventTypes"]);
            Assert.Null(args["keyTypes"]);
            Assert.Null(args["hookCommands"]);
            Assert.Null(entry["desc"]);
        }
        finally
        {
            Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(session)));
        }
    }

    [Fact]
    public async Task ModesAreNamedSyncAsyncAndAsyncLocal()
    {
        var session = GearsFixture.Unique("modes");
        var prefix = GearsFixture.Unique("modes");
        await fixture.SubmitOkAsync(
            $$"""
            GB().Register(prefix: "{{prefix}}:sync", mode: ExecutionMode.Sync);
            GB().Register(prefix: "{{prefix}}:async", mode: ExecutionMode.Async);
            GB().Register(prefix: "{{prefix}}:local", mode: ExecutionMode.AsyncLocal);
            """,
            "ID", session);

        var modes = (await fixture.RegistrationsOfAsync(session)).ToDictionary(
            r => r.Map("RegistrationData").Map("args").Text("regex")!,
            r => r.Map("RegistrationData").Text("mode"));

        Assert.Equal("sync", modes[prefix + ":sync"]);
        Assert.Equal("async", modes[prefix + ":async"]);
        Assert.Equal("async_local", modes[prefix + ":local"]);
    }

    [Fact]
    public async Task RegistrationsOfOneScriptGetIncreasingIdsInTheOrderTheyWereMade()
    {
        var session = GearsFixture.Unique("ids");
        var prefix = GearsFixture.Unique("ids");
        await fixture.SubmitOkAsync(
            $$"""
            GB().Register(prefix: "{{prefix}}:1");
            GB().Register(prefix: "{{prefix}}:2");
            """,
            "ID", session);

        var registrations = await fixture.RegistrationsOfAsync(session);

        Assert.Equal([prefix + ":1", prefix + ":2"], registrations.Select(r => r.Map("RegistrationData").Map("args").Text("regex")));
        var numbers = registrations.Select(r => long.Parse(r.Text("id")!.Split('-')[1], CultureInfo.InvariantCulture)).ToList();
        Assert.True(numbers[0] < numbers[1], $"ids {string.Join(", ", numbers)} are not increasing");
    }

    [Fact]
    public async Task CountersAndDurationsFollowTheExecutions()
    {
        var session = GearsFixture.Unique("counters");
        var prefix = GearsFixture.Unique("counters") + ":";
        // Each execution takes at least 25 ms, so durations cannot all round to zero.
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                System.Threading.Thread.Sleep(25);
                if (r.Key.EndsWith(":bad")) throw new InvalidOperationException("bad key " + r.Key);
            }).Register(prefix: "{{prefix}}*", mode: ExecutionMode.Sync);
            """,
            "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        for (var i = 0; i < 3; i++)
        {
            await fixture.DirectAsync("SET", prefix + i, "v");
        }
        await fixture.WaitForStatisticAsync(id, "numSuccess", 3);

        var data = await fixture.StatisticsAsync(id);
        Assert.Equal(3, data.Integer("numTriggered"));
        Assert.Equal(0, data.Integer("numFailures"));
        Assert.Equal(0, data.Integer("numAborted"));
        Assert.Null(data["lastError"]);
        var last = data.Integer("lastRunDurationMS");
        var total = data.Integer("totalRunDurationMS");
        Assert.InRange(last, 25, 10_000);
        Assert.InRange(total, 75, 30_000);
        var average = double.Parse(Assert.IsType<string>(data["avgRunDurationMS"]), CultureInfo.InvariantCulture);
        // total is truncated to whole milliseconds, the average is not: it lies within a millisecond of total / 3.
        Assert.InRange(average, (total / 3.0) - 0.01, ((total + 1) / 3.0) + 0.01);

        await fixture.DirectAsync("SET", prefix + "x:bad", "v");
        await fixture.WaitForStatisticAsync(id, "numFailures", 1);

        data = await fixture.StatisticsAsync(id);
        Assert.Equal(4, data.Integer("numTriggered"));
        Assert.Equal(3, data.Integer("numSuccess"));
        Assert.Contains("bad key " + prefix + "x:bad", Assert.IsType<string>(data["lastError"]));
    }

    [Fact]
    public async Task EventTypesGetRegistersWithAWarningThatOnlyItsEntryCarries()
    {
        var (warned, plain) = (GearsFixture.Unique("warned"), GearsFixture.Unique("plain"));
        var prefix = GearsFixture.Unique("get");

        // Reads produce no keyspace events: RedisGears accepts such a registration, silently; SharpGears
        // accepts it too, and says why it will never fire.
        Assert.Equal("+OK\r\n", await fixture.SubmitAsync($$"""GB().Register(prefix: "{{prefix}}:*", eventTypes: new[] { "get" });""", "ID", warned));
        await fixture.SubmitOkAsync($$"""GB().Register(prefix: "{{prefix}}:*", eventTypes: new[] { "set" });""", "ID", plain);

        var entry = await fixture.RegistrationOfAsync(warned);
        Assert.Equal(["id", "reader", "desc", "RegistrationData", "PD", "ExecutionThreadPool", "warnings"], entry.Names);
        var warning = Assert.Single(Reply.Strings(entry["warnings"]));
        Assert.Contains("'get'", warning);
        Assert.Contains("keymiss", warning);

        Assert.Equal(12, (await fixture.RegistrationOfAsync(plain)).Items.Length);
        Assert.All(await fixture.RegistrationsAsync(), r => Assert.Equal(r.Text("id") == entry.Text("id"), r.Has("warnings")));
    }
}
