using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// A script that fails fails alone: its execution is counted as a failure with the reason and the
/// script line in lastError, while other registrations on the same events, later events, and the
/// gateway's clients carry on (RedisGears users' first complaint was silent failures).
/// </summary>
public sealed class FailureIsolationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task AFailingRegistrationCountsItsFailuresWhileAnotherOnTheSameEventsKeepsSucceeding()
    {
        var (failing, counting) = (GearsFixture.Unique("failing"), GearsFixture.Unique("counting"));
        var (prefix, counter) = (GearsFixture.Unique("iso") + ":", GearsFixture.Unique("iso-count"));
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                if (r.Key.EndsWith(":bad")) throw new InvalidOperationException("refused " + r.Key);
            }).Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" });
            """,
            "ID", failing);
        await fixture.SubmitOkAsync(
            $$"""GB().ForEach(r => Execute("INCR", "{{counter}}")).Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" });""",
            "ID", counting);
        var (failingId, countingId) = (await fixture.RegistrationIdOfAsync(failing), await fixture.RegistrationIdOfAsync(counting));

        for (var i = 0; i < 5; i++)
        {
            await fixture.DirectAsync("SET", $"{prefix}{i}:bad", "v");
            await fixture.DirectAsync("SET", $"{prefix}{i}:good", "v");
        }
        // Clients are served while executions fail.
        var key = GearsFixture.Unique("iso-client");
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("SET", key, "served"));
        Assert.Equal("$6\r\nserved\r\n", await fixture.CommandAsync("GET", key));

        await fixture.WaitForValueAsync(counter, "10");
        await fixture.WaitForStatisticAsync(failingId, "numTriggered", 10);
        await fixture.WaitForStatisticAsync(failingId, "numFailures", 5);
        await fixture.WaitForStatisticAsync(failingId, "numSuccess", 5);
        var data = await fixture.StatisticsAsync(failingId);
        Assert.Equal(10, data.Integer("numTriggered"));
        var lastError = Assert.IsType<string>(data["lastError"]);
        Assert.StartsWith($"InvalidOperationException: refused {prefix}", lastError);
        Assert.EndsWith($":bad (at {failing}.csx:line 3)", lastError);

        await fixture.WaitForStatisticAsync(countingId, "numSuccess", 10);
        var counted = await fixture.StatisticsAsync(countingId);
        Assert.Equal(0, counted.Integer("numFailures"));
        Assert.Null(counted["lastError"]);
    }

    [Fact]
    public async Task ASyncRegistrationThatThrowsDoesNotHoldUpTheEventsAfterIt()
    {
        var failing = GearsFixture.Unique("sync-failing");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("sync-iso") + ":");
        await fixture.SubmitOkAsync(
            $$"""GB().ForEach(r => throw new InvalidOperationException("always")).Register(prefix: "{{prefix}}*", mode: ExecutionMode.Sync);""",
            "ID", failing);
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*"), "ID", GearsFixture.Unique("sync-recorder"));
        var failingId = await fixture.RegistrationIdOfAsync(failing);

        for (var i = 0; i < 3; i++)
        {
            await fixture.DirectAsync("SET", prefix + i, "v");
        }

        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "2", "set", "string", "string:v"));
        Assert.Equal(3, (await fixture.ListAsync(log)).Length);
        await fixture.WaitForStatisticAsync(failingId, "numFailures", 3);
        Assert.StartsWith("InvalidOperationException: always", (await fixture.StatisticsAsync(failingId)).Text("lastError"));
    }

    [Fact]
    public async Task OverrideReplyInAKeyspaceEventExecutionFailsWithCanNotGetCommandCtx()
    {
        var session = GearsFixture.Unique("override");
        var key = GearsFixture.Unique("override");
        await fixture.SubmitOkAsync($$"""GB().ForEach(r => OverrideReply("changed")).Register(prefix: "{{key}}");""", "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        // Through the gateway this time: the client is not linked to the execution, so its reply is Redis' own.
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("SET", key, "v"));
        await fixture.DirectAsync("SET", key, "w");

        await fixture.WaitForStatisticAsync(id, "numFailures", 2);
        var data = await fixture.StatisticsAsync(id);
        Assert.Equal(0, data.Integer("numSuccess"));
        Assert.Contains("Can not get command ctx", Assert.IsType<string>(data["lastError"]));
        Assert.Equal("w", await fixture.GetAsync(key));
    }

    [Fact]
    public async Task AReadOnlyEventTypeNeverFiresButTheRegistrationStaysHarmless()
    {
        var session = GearsFixture.Unique("get");
        var key = GearsFixture.Unique("get");
        var (log, marker) = (GearsFixture.Unique("log"), GearsFixture.Unique("get-marker"));
        await fixture.SubmitOkAsync(Scripts.Show + Scripts.Recording(log, key, arguments: """, eventTypes: new[] { "get" }""") + Scripts.Recording(log, marker), "ID", session);
        var registrations = await fixture.RegistrationsOfAsync(session);

        await fixture.DirectAsync("SET", key, "v");
        Assert.Equal("$1\r\nv\r\n", await fixture.DirectAsync("GET", key));
        await fixture.DirectAsync("SET", marker, "m");

        await fixture.WaitForItemAsync(log, Scripts.Entry(marker, "set", "string", "string:m"));
        Assert.Single(await fixture.ListAsync(log));
        Assert.Equal(0, (await fixture.StatisticsAsync(registrations[0].Text("id")!)).Integer("numTriggered"));
    }
}
