using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// Executions of registrations in the execution registry: each registration keeps its last
/// MaxExecutionsPerRegistration, listed by RG.DUMPEXECUTIONS with <c>registered</c> 1 and readable
/// with RG.GETRESULTS; RG.DROPEXECUTION forgets one. The class has its own gateway: the setting is global.
/// </summary>
public sealed class RegisteredExecutionTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task ARegistrationKeepsItsLastExecutionsWithTheirResults()
    {
        Assert.Equal("*1\r\n+OK\r\n", await fixture.CommandAsync("RG.CONFIGSET", "MaxExecutionsPerRegistration", "2"));
        try
        {
            var session = GearsFixture.Unique("kept");
            var prefix = GearsFixture.Unique("kept") + ":";
            await fixture.SubmitOkAsync($$"""GB().Map(r => r.Key).Register(prefix: "{{prefix}}*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);""", "ID", session);
            var id = await fixture.RegistrationIdOfAsync(session);
            foreach (var n in new[] { "1", "2", "3" })
            {
                await fixture.DirectAsync("SET", prefix + n, "v");
                await fixture.WaitForStatisticAsync(id, "numSuccess", long.Parse(n)); // one at a time: the kept ones are the last two
            }

            var registered = ((object?[])(await fixture.ValueAsync("RG.DUMPEXECUTIONS"))!)
                .Cast<object?[]>()
                .Where(entry => Equals(entry[5], 1L))
                .Select(entry => (string)entry[1]!)
                .ToList();
            Assert.Equal(2, registered.Count);
            var results = new List<string>();
            foreach (var executionId in registered)
            {
                var reply = (object?[])(await fixture.ValueAsync("RG.GETRESULTS", executionId))!;
                results.AddRange(Reply.Strings(reply[0]));
                Assert.Empty((object?[])reply[1]!);
            }
            Assert.Equal([prefix + "2", prefix + "3"], results);

            Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.DROPEXECUTION", registered[0]));
            Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.GETRESULTS", registered[0]));
            Assert.Equal("-ERR execution is already done\r\n", await fixture.CommandAsync("RG.ABORTEXECUTION", registered[1]));
        }
        finally
        {
            await fixture.CommandAsync("RG.CONFIGSET", "MaxExecutionsPerRegistration", "100");
        }
    }
}
