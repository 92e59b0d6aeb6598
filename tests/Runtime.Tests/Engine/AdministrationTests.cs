using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// RG.UNREGISTER, RG.CLEARREGISTRATIONSSTATS and RG.STATS: what an operator does to registrations
/// that exist, and what the runtime reports about itself.
/// </summary>
public sealed class AdministrationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task UnregisterAnswersOkAndTheRegistrationIsGoneAndNoLongerFires()
    {
        var session = GearsFixture.Unique("unregister");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("unregister") + ":");
        await fixture.SubmitOkAsync(Scripts.Show + Scripts.Recording(log, prefix + "*", "first:") + Scripts.Recording(log, prefix + "*", "second:"), "ID", session);
        var registrations = await fixture.RegistrationsOfAsync(session);
        Assert.Equal(2, registrations.Count);
        var (first, second) = (registrations[0].Text("id")!, registrations[1].Text("id")!);
        Assert.Contains("first:", await FiredTagsAsync(log, prefix + "before"));

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", first));

        Assert.Equal([second], (await fixture.RegistrationsOfAsync(session)).Select(r => r.Text("id")));
        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal([second], Reply.Strings(entry["registrations"]));
        Assert.Equal(1, entry.Integer("refCount"));
        // Both are sync and run in registration order on the event: once "second" logged, "first" would have.
        Assert.Equal(["second:"], await FiredTagsAsync(log, prefix + "after"));
    }

    [Fact]
    public async Task UnregisteringTheLastRegistrationEndsTheSession()
    {
        var session = GearsFixture.Unique("last");
        await fixture.SubmitOkAsync($$"""GB().Register(prefix: "{{GearsFixture.Unique("last")}}");""", "ID", session);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(session)));

        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        // The id is free again.
        await fixture.SubmitOkAsync($$"""GB().Register(prefix: "{{GearsFixture.Unique("last")}}");""", "ID", session);
    }

    [Fact]
    public async Task UnregisteringAnUnknownOrAlreadyRemovedIdIsAnError()
    {
        var session = GearsFixture.Unique("twice");
        await fixture.SubmitOkAsync($$"""GB().Register(prefix: "{{GearsFixture.Unique("twice")}}");""", "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", id));

        foreach (var unknown in new[] { id, "0000000000000000000000000000000000000000-999999", "nosuch" })
        {
            var reply = await fixture.CommandAsync("RG.UNREGISTER", unknown);
            Assert.StartsWith("-", reply);
            Assert.Contains("execution is not registered", reply);
        }
    }

    [Fact]
    public async Task UnregisterWithoutAnIdIsAnArityError() =>
        Assert.Equal("-ERR wrong number of arguments for 'rg.unregister' command\r\n", await fixture.CommandAsync("RG.UNREGISTER"));

    [Fact]
    public async Task ClearRegistrationsStatsZeroesTheCountersAndTheLastError()
    {
        var session = GearsFixture.Unique("clear");
        var prefix = GearsFixture.Unique("clear") + ":";
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                System.Threading.Thread.Sleep(5);
                if (r.Key.EndsWith(":bad")) throw new InvalidOperationException("bad");
            }).Register(prefix: "{{prefix}}*", mode: ExecutionMode.Sync);
            """,
            "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "good", "1");
        await fixture.DirectAsync("SET", prefix + "x:bad", "1");
        await fixture.WaitForStatisticAsync(id, "numTriggered", 2);
        await fixture.WaitForStatisticAsync(id, "numFailures", 1);
        Assert.NotNull((await fixture.StatisticsAsync(id))["lastError"]);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.CLEARREGISTRATIONSSTATS"));

        var data = await fixture.StatisticsAsync(id);
        foreach (var counter in new[] { "numTriggered", "numSuccess", "numFailures", "numAborted", "lastRunDurationMS", "totalRunDurationMS" })
        {
            Assert.Equal(0, data.Integer(counter));
        }
        Assert.Equal(0, double.Parse(data.Text("avgRunDurationMS")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(data["lastError"]);

        // And counting starts again from zero.
        await fixture.DirectAsync("SET", prefix + "again", "1");
        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);
        data = await fixture.StatisticsAsync(id);
        Assert.Equal(1, data.Integer("numTriggered"));
        Assert.Equal(0, data.Integer("numFailures"));
    }

    [Fact]
    public async Task StatsReportsTheRuntimesMemoryAndCounts()
    {
        await fixture.SubmitOkAsync($$"""GB().Register(prefix: "{{GearsFixture.Unique("stats")}}");""", "ID", GearsFixture.Unique("stats"));

        var stats = new Pairs(await fixture.ValueAsync("RG.STATS"));

        Assert.Equal(["managedHeapBytes", "workingSetBytes", "sessions", "registrations", "unloadingScriptContexts", "abandonedExecutionThreads", "gcCollections"], stats.Names);
        Assert.InRange(stats.Integer("managedHeapBytes"), 1, long.MaxValue);
        Assert.InRange(stats.Integer("workingSetBytes"), 1, long.MaxValue);
        Assert.Equal((await fixture.SessionsAsync()).Count, stats.Integer("sessions"));
        Assert.Equal((await fixture.RegistrationsAsync()).Count, stats.Integer("registrations"));
        Assert.InRange(stats.Integer("unloadingScriptContexts"), 0, long.MaxValue);
        Assert.Equal(0, stats.Integer("abandonedExecutionThreads"));
        var collections = Assert.IsType<object?[]>(stats["gcCollections"]);
        Assert.Equal(3, collections.Length);
        Assert.All(collections, count => Assert.IsType<long>(count));
    }

    /// <summary>Sets <paramref name="key"/> straight on Redis and returns the tags logged for it, once its last sync execution ran.</summary>
    private async Task<string[]> FiredTagsAsync(string log, string key)
    {
        // A second key after it: sync executions run in event order, so once the marker's "second:"
        // record is logged, every execution for the key before it has finished.
        await fixture.DirectAsync("SET", key, "1");
        await fixture.DirectAsync("SET", key + ":marker", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(key + ":marker", "set", "string", "string:1", "second:"));
        return [.. (await fixture.ListAsync(log))
            .Where(item => item.Contains(key + "|", StringComparison.Ordinal))
            .Select(item => item[..(item.IndexOf(':', StringComparison.Ordinal) + 1)])];
    }
}
