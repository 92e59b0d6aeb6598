using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// A step's last Execute, its reply unused, is compiled into ExecuteAtStepEnd: sent without blocking
/// the worker and awaited when the step returns. The script must not be able to tell: the order of
/// its commands, the error and its line are those of a blocking Execute.
/// </summary>
public sealed class StepEndExecuteTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task AnErrorOfAStepsLastExecuteFailsTheExecutionWithTheLineOfTheCall()
    {
        var (session, prefix) = (GearsFixture.Unique("tail-error"), GearsFixture.Unique("te") + ":");
        await fixture.SubmitOkAsync(
            $$"""
            var counter = "{{prefix}}counter";
            GB().ForEach(r =>
                Execute("HINCRBY", counter, "field", "not-a-number"))
                .Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" });
            """,
            "ID", session);
        var id = await fixture.RegistrationIdOfAsync(session);

        await fixture.DirectAsync("SET", prefix + "k", "1");

        await fixture.WaitForStatisticAsync(id, "numFailures", 1);
        var statistics = await fixture.StatisticsAsync(id);
        Assert.Equal(0, statistics.Integer("numSuccess"));
        Assert.Equal($"ERR value is not an integer or out of range (at {session}.csx:line 3)", statistics.Text("lastError"));
    }

    [Fact]
    public async Task TheNextStepSeesWhatTheLastExecuteOfTheStepBeforeItDid()
    {
        var (session, prefix) = (GearsFixture.Unique("tail-order"), GearsFixture.Unique("to") + ":");
        var log = prefix + "log";
        // The second step reads what the first step's last command wrote: it must run after the reply.
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r => { Execute("RPUSH", "{{log}}", "a"); Execute("RPUSH", "{{log}}", "b"); })
                .ForEach(r => Execute("RPUSH", "{{log}}", "seen " + ((object[])Execute("LRANGE", "{{log}}", 0, -1)).Length))
                .Register(prefix: "{{prefix}}k*", eventTypes: new[] { "set" }, mode: ExecutionMode.Sync);
            """,
            "ID", session);

        for (var i = 0; i < 3; i++)
        {
            await fixture.DirectAsync("SET", $"{prefix}k{i}", "1");
        }

        await fixture.WaitForItemAsync(log, "seen 8");
        Assert.Equal(["a", "b", "seen 2", "a", "b", "seen 5", "a", "b", "seen 8"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task AnExecuteInsideATryStillThrowsWhereTheScriptCanCatchIt()
    {
        var (session, prefix) = (GearsFixture.Unique("tail-try"), GearsFixture.Unique("tt") + ":");
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r =>
            {
                try { Execute("HINCRBY", "{{prefix}}h", "f", "x"); }
                catch (GearsException e) { Execute("SET", "{{prefix}}caught", e.Message); }
            }).Register(prefix: "{{prefix}}k", eventTypes: new[] { "set" });
            """,
            "ID", session);

        await fixture.DirectAsync("SET", prefix + "k", "1");

        await fixture.WaitForValueAsync(prefix + "caught", "ERR value is not an integer or out of range");
        await fixture.WaitForStatisticAsync(await fixture.RegistrationIdOfAsync(session), "numSuccess", 1);
    }

    [Fact]
    public async Task CompileErrorsKeepTheColumnsOfTheCodeAsWrittenOnALineThatIsRewritten()
    {
        var reply = await fixture.SubmitAsync("""GB().ForEach(r => Execute("SET", "a", "b")).Register(); int x = "s";""");
        Assert.StartsWith("-ERR compilation failed: 1:65: CS0029:", reply);
    }
}
