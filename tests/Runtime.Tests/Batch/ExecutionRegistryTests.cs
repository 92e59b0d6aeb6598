using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// The executions of <c>Run()</c> and RedisGears' commands on them (GEARS-REFERENCE.md, "Batch
/// executions"): <c>RG.CSEXECUTE ... UNBLOCKING</c> replies the execution's id at once;
/// RG.DUMPEXECUTIONS lists them; RG.GETEXECUTION shows one's plan and progress; RG.GETRESULTS and
/// RG.GETRESULTSBLOCKING give its <c>[[results...], [errors...]]</c>; RG.ABORTEXECUTION stops it;
/// RG.DROPEXECUTION forgets a finished one; MaxExecutions bounds how many finished ones are kept.
/// </summary>
/// <remarks>
/// Long runs read a generator that waits, polling Redis, until the test creates a "gate" key: the
/// test controls when they end, and opens every gate (or aborts) before it ends. Tests of one class
/// run one at a time, so RG.CONFIGSET here affects only the test that sets (and restores) it.
/// </remarks>
public sealed class ExecutionRegistryTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private static readonly string ShardId = new('0', 40);

    /// <summary>
    /// A Run over a generator that yields <c>0, 1, ...</c>: <paramref name="counts"/>[0] records, then
    /// waits for the gate <c>gate + ":1"</c>, yields <paramref name="counts"/>[1] more, waits for
    /// <c>gate + ":2"</c>, and so on. One record per batch.
    /// </summary>
    private static string Gated(string gate, params int[] counts) => $$"""
        async IAsyncEnumerable<long> Gated()
        {
            var counts = new[] { {{string.Join(", ", counts)}} };
            long next = 0;
            for (var part = 0; part < counts.Length; part++)
            {
                if (part > 0)
                {
                    while (await ExecuteAsync("EXISTS", "{{gate}}:" + part) is not 1L)
                    {
                        await Task.Delay(5);
                    }
                }
                for (var i = 0; i < counts[part]; i++)
                {
                    yield return next++;
                }
            }
        }
        GB(Readers.Generator(Gated())).Map(i => i * 10).Run(count: 1);
        """;

    /// <summary>
    /// Submits a Run with UNBLOCKING; its execution id, once it has started (the id comes back
    /// before the run leaves "created").
    /// </summary>
    private async Task<string> StartAsync(string code)
    {
        var reply = Reply.Parse(await fixture.SubmitAsync(code, "UNBLOCKING"));
        var id = Assert.IsType<string>(reply is Reply.Error e ? throw new Xunit.Sdk.XunitException($"{e.Text}\n{code}") : reply);
        Assert.NotEmpty(id);
        await Wait.UntilAsync(async () => (await PlanAsync(id)).Text("status") != "created", $"execution {id} has started");
        return id;
    }

    private Task<string> OpenAsync(string gate, int part) => fixture.DirectAsync("SET", $"{gate}:{part}", "open");

    /// <summary>The execution plan of RG.GETEXECUTION id [option], checking the reply around it.</summary>
    private async Task<Pairs> PlanAsync(string id, params string[] option)
    {
        var shards = Assert.IsType<object?[]>(await fixture.ValueAsync(["RG.GETEXECUTION", id, .. option]));
        var shard = new Pairs(Assert.Single(shards));
        Assert.Equal(["shard_id", "execution_plan"], shard.Names);
        Assert.Equal(ShardId, shard.Text("shard_id"));
        var plan = shard.Map("execution_plan");
        Assert.Equal(
            ["status", "shards_received", "shards_completed", "results", "errors", "total_duration", "read_duration", "records_read", "steps"],
            plan.Names);
        return plan;
    }

    private static string Results(params string[] results) =>
        Frames.Array(Frames.Array(results), Frames.Array());

    private static string[] Integers(params long[] values) => [.. values.Select(v => $":{v}\r\n")];

    [Fact]
    public async Task UnblockingRepliesTheIdAtOnceAndGetResultsBlockingAnswersWhenTheRunEnds()
    {
        var gate = GearsFixture.Unique("gate");
        var id = await StartAsync(Gated(gate, 2, 1));

        Assert.Equal("-ERR execution is still running\r\n", await fixture.CommandAsync("RG.GETRESULTS", id));
        await OpenAsync(gate, 1);

        var expected = Frames.Array(Frames.Array(Integers(0, 10, 20)), Frames.Array());
        Assert.Equal(expected, await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id));
        Assert.Equal(expected, await fixture.CommandAsync("RG.GETRESULTS", id));
    }

    [Fact]
    public async Task GetResultsBlockingBlocksOnlyItsOwnClient()
    {
        var gate = GearsFixture.Unique("gate");
        var id = await StartAsync(Gated(gate, 1, 1));
        await using var waiting = await fixture.Gateway.ConnectAsync();
        await waiting.SendAsync([.. RawClient.Encode("RG.GETRESULTSBLOCKING", id), .. RawClient.Encode("PING")]);

        // Other clients are served meanwhile; the run cannot have ended, its gate is closed.
        Assert.Equal("+PONG\r\n", await fixture.CommandAsync("PING"));
        Assert.Equal("running", (await PlanAsync(id)).Text("status"));
        await OpenAsync(gate, 1);

        // The waiting client's replies come in order: the results, then its PING.
        Assert.Equal(Frames.Array(Frames.Array(Integers(0, 10)), Frames.Array()), await waiting.ReadAsync());
        Assert.Equal("+PONG\r\n", await waiting.ReadAsync());
    }

    [Fact]
    public async Task ARunWithoutUnblockingBlocksOnlyItsOwnClientUntilItEnds()
    {
        var gate = GearsFixture.Unique("gate");
        await using var submitter = await fixture.Gateway.ConnectAsync();
        await submitter.SendAsync(RawClient.Encode("RG.CSEXECUTE", Gated(gate, 1, 1)));
        string? id = null;
        await Wait.UntilAsync(
            async () => (id = (await RunningIdsAsync()).SingleOrDefault()) is not null,
            "the run is listed as running");

        Assert.Equal("+PONG\r\n", await fixture.CommandAsync("PING"));
        await OpenAsync(gate, 1);

        Assert.Equal(Frames.Array(Frames.Array(Integers(0, 10)), Frames.Array()), await submitter.ReadAsync());
        Assert.Equal("done", (await PlanAsync(id!)).Text("status"));
    }

    private async Task<IEnumerable<string>> RunningIdsAsync() =>
        Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS"))
            .Select(e => new Pairs(e))
            .Where(e => e.Text("status") == "running")
            .Select(e => e.Text("executionId")!);

    [Fact]
    public async Task RecordsThatFailAreErrorsAndTheOthersAreResults()
    {
        var id = await StartAsync("""GB(Readers.Generator(new[] { 1, 2, 3, 4 })).Map(i => i % 2 == 0 ? throw new InvalidOperationException("even " + i) : i).Run();""");

        var (results, errors) = Split(Reply.Parse(await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id)));

        Assert.Equal([1L, 3L], results);
        Assert.Equal(2, errors.Length);
        Assert.Contains("InvalidOperationException: even 2", errors[0]);
        Assert.Contains("InvalidOperationException: even 4", errors[1]);
        var plan = await PlanAsync(id);
        Assert.Equal(("done", 2L, 4L), (plan.Text("status"), plan.Integer("results"), plan.Integer("records_read")));
        Assert.Equal(errors, Reply.Strings(plan["errors"]));
    }

    [Fact]
    public async Task AReaderThatFailsEndsTheRunWithTheRecordsReadBeforeAndItsError()
    {
        var id = await StartAsync("""
            IEnumerable<int> Breaks()
            {
                yield return 1;
                yield return 2;
                throw new InvalidOperationException("the generator broke");
            }
            GB(Readers.Generator(Breaks())).Map(i => i * 10).Run(count: 1);
            """);

        var (results, errors) = Split(Reply.Parse(await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id)));

        Assert.Equal([10L, 20L], results);
        Assert.Contains("InvalidOperationException: the generator broke", Assert.Single(errors));
        Assert.Equal("done", (await PlanAsync(id)).Text("status"));
    }

    [Fact]
    public async Task GetExecutionShowsRecordsReadGrowingAndNoResultsWhileRunning()
    {
        var gate = GearsFixture.Unique("gate");
        var id = await StartAsync(Gated(gate, 3, 2, 1));

        foreach (var (part, read) in new[] { (1, 3L), (2, 5L) })
        {
            Pairs plan = null!;
            await Wait.UntilAsync(async () => (plan = await PlanAsync(id)).Integer("records_read") == read, $"records_read is {read}");
            Assert.Equal("running", plan.Text("status"));
            Assert.Equal(-1, plan.Integer("results"));
            Assert.Empty(Assert.IsType<object?[]>(plan["errors"]));
            await OpenAsync(gate, part);
        }

        Assert.Equal(Frames.Array(Frames.Array(Integers(0, 10, 20, 30, 40, 50)), Frames.Array()), await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id));
        var done = await PlanAsync(id);
        Assert.Equal(("done", 6L, 6L), (done.Text("status"), done.Integer("results"), done.Integer("records_read")));
    }

    [Fact]
    public async Task GetExecutionOfAFinishedRunShowsItsPlanWithEachStepAndTheSameForShardAndCluster()
    {
        var id = await StartAsync("GB(Readers.Generator(new[] { 1, 2, 3, 4 })).Map(i => i * 2).Filter(i => i > 2).Run();");
        Assert.Equal(Frames.Array(Frames.Array(Integers(4, 6, 8)), Frames.Array()), await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id));

        foreach (var option in new[] { Array.Empty<string>(), ["SHARD"], ["CLUSTER"], ["shard"] })
        {
            var plan = await PlanAsync(id, option);
            Assert.Equal("done", plan.Text("status"));
            Assert.Equal(0, plan.Integer("shards_received"));
            Assert.Equal(0, plan.Integer("shards_completed"));
            Assert.Equal(3, plan.Integer("results"));
            Assert.Empty(Assert.IsType<object?[]>(plan["errors"]));
            Assert.True(plan.Integer("total_duration") >= 0);
            Assert.True(plan.Integer("read_duration") >= 0);
            Assert.Equal(4, plan.Integer("records_read"));
            var steps = Assert.IsType<object?[]>(plan["steps"]).Select(step => new Pairs(step)).ToList();
            Assert.Equal(2, steps.Count);
            foreach (var (step, operation) in steps.Zip(new[] { "Map", "Filter" }))
            {
                Assert.Equal(["type", "duration", "name", "arg"], step.Names);
                Assert.Equal((operation + "Step", operation, ""), (step.Text("type"), step.Text("name"), step.Text("arg")));
                Assert.Equal(0, step.Integer("duration")); // ProfileExecutions is off
            }
        }
    }

    [Fact]
    public async Task GetExecutionRefusesAnOptionOtherThanShardOrCluster()
    {
        var id = await StartAsync("GB(Readers.ShardsId).Run();");
        await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id);

        Assert.Equal("-ERR Unknown argument given: NODE (SHARD or CLUSTER)\r\n", await fixture.CommandAsync("RG.GETEXECUTION", id, "NODE"));
    }

    [Fact]
    public async Task WithProfileExecutionsEachStepHasADuration()
    {
        Assert.Equal("*1\r\n+OK\r\n", await fixture.CommandAsync("RG.CONFIGSET", "ProfileExecutions", "1"));
        try
        {
            var id = await StartAsync("GB(Readers.Generator(Enumerable.Range(0, 200))).Map(i => string.Concat(Enumerable.Repeat(i.ToString(), 50))).Count().Run(count: 10);");
            Assert.Equal(Results(Integers(200)), await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id));

            var steps = Assert.IsType<object?[]>((await PlanAsync(id))["steps"]).Select(step => new Pairs(step)).ToList();
            Assert.NotEmpty(steps);
            Assert.Equal("MapStep", steps[0].Text("type"));
            Assert.All(steps, step =>
            {
                Assert.Equal(["type", "duration", "name", "arg"], step.Names);
                Assert.True(step.Integer("duration") >= 0);
            });
        }
        finally
        {
            await fixture.CommandAsync("RG.CONFIGSET", "ProfileExecutions", "0");
        }
    }

    [Fact]
    public async Task DumpExecutionsListsEachRunWithItsStatus()
    {
        var gate = GearsFixture.Unique("gate");
        var running = await StartAsync(Gated(gate, 0, 1));
        var done = await StartAsync("GB(Readers.ShardsId).Run();");
        await fixture.CommandAsync("RG.GETRESULTSBLOCKING", done);
        try
        {
            var entries = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS")).Select(entry => new Pairs(entry)).ToList();

            var ours = entries.Where(e => e.Text("executionId") is { } id && (id == running || id == done)).ToList();
            Assert.Equal(2, ours.Count);
            Assert.Equal(Pairs.Show(new object?[] { "executionId", running, "status", "running", "registered", 0L }), ours[0].ToString());
            Assert.Equal(Pairs.Show(new object?[] { "executionId", done, "status", "done", "registered", 0L }), ours[1].ToString());
        }
        finally
        {
            await OpenAsync(gate, 1);
        }
        await fixture.CommandAsync("RG.GETRESULTSBLOCKING", running);
        var after = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS")).Select(entry => new Pairs(entry)).Single(e => e.Text("executionId") == running);
        Assert.Equal("done", after.Text("status"));
    }

    [Theory]
    [InlineData("RG.GETEXECUTION")]
    [InlineData("RG.GETRESULTS")]
    [InlineData("RG.GETRESULTSBLOCKING")]
    [InlineData("RG.ABORTEXECUTION")]
    [InlineData("RG.DROPEXECUTION")]
    public async Task AnUnknownIdIsAnsweredExecutionDoesNotExist(string command)
    {
        Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync(command, "0000000000000000000000000000000000000000-404"));
        Assert.Equal($"-ERR wrong number of arguments for '{command.ToLowerInvariant()}' command\r\n", await fixture.CommandAsync(command));
    }

    public static TheoryData<string> Stuck => new()
    {
        // A step that awaits for ever: the runner stops waiting for it.
        """GB(Readers.ShardsId).Map(async id => { await ExecuteAsync("SET", "MARKER", "in"); await Task.Delay(System.Threading.Timeout.Infinite); return id; }).Run();""",
        // A step that keeps calling Redis: Execute throws once the execution is aborted.
        """GB(Readers.ShardsId).Map(id => { Execute("SET", "MARKER", "in"); while (Execute("PING") is "PONG") { } return id; }).Run();""",
        // A reader that waits (for a key that never comes).
        """
        async IAsyncEnumerable<long> Never()
        {
            await ExecuteAsync("SET", "MARKER", "in");
            while (await ExecuteAsync("EXISTS", "MARKER:never") is not 1L)
            {
                await Task.Delay(5);
            }
            yield return 1;
        }
        GB(Readers.Generator(Never())).Run();
        """,
    };

    [Theory]
    [MemberData(nameof(Stuck))]
    public async Task AbortExecutionStopsARunThatWouldNeverEnd(string code)
    {
        var marker = GearsFixture.Unique("marker");
        var id = await StartAsync(code.Replace("MARKER", marker));
        await fixture.WaitForValueAsync(marker, "in");

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.ABORTEXECUTION", id));

        // RG.GETRESULTSBLOCKING answers only once the execution has ended (within the reply time-out).
        var (results, errors) = Split(Reply.Parse(await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id)));
        Assert.Empty(results);
        Assert.Equal(["Execution was aborted (RG.ABORTEXECUTION)"], errors);
        var plan = await PlanAsync(id);
        Assert.Equal("aborted", plan.Text("status"));
        Assert.Equal(0, plan.Integer("results"));
        var entry = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS")).Select(e => new Pairs(e)).Single(e => e.Text("executionId") == id);
        Assert.Equal("aborted", entry.Text("status"));
        Assert.Equal("-ERR execution is already done\r\n", await fixture.CommandAsync("RG.ABORTEXECUTION", id));
    }

    private static (object?[] Results, string[] Errors) Split(object? reply)
    {
        var parts = Assert.IsType<object?[]>(reply);
        Assert.Equal(2, parts.Length);
        return (Assert.IsType<object?[]>(parts[0]), Reply.Strings(parts[1]));
    }

    [Fact]
    public async Task AbortingAFinishedRunIsRefused()
    {
        var id = await StartAsync("GB(Readers.ShardsId).Run();");
        await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id);

        Assert.Equal("-ERR execution is already done\r\n", await fixture.CommandAsync("RG.ABORTEXECUTION", id));
        Assert.Equal("done", (await PlanAsync(id)).Text("status"));
    }

    [Fact]
    public async Task DropExecutionRefusesARunningRunAndForgetsAFinishedOne()
    {
        var gate = GearsFixture.Unique("gate");
        var id = await StartAsync(Gated(gate, 0, 1));
        try
        {
            Assert.Equal("-ERR can not drop a not yet finished execution, abort it first.\r\n", await fixture.CommandAsync("RG.DROPEXECUTION", id));
            Assert.Equal("running", (await PlanAsync(id)).Text("status"));
        }
        finally
        {
            await OpenAsync(gate, 1);
        }
        await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.DROPEXECUTION", id));

        Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.GETEXECUTION", id));
        Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.GETRESULTS", id));
        Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.DROPEXECUTION", id));
        var ids = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS")).Select(e => new Pairs(e).Text("executionId"));
        Assert.DoesNotContain(id, ids);
    }

    [Fact]
    public async Task MaxExecutionsKeepsOnlyTheLatestFinishedRuns()
    {
        Assert.Equal("*1\r\n+OK\r\n", await fixture.CommandAsync("RG.CONFIGSET", "MaxExecutions", "3"));
        try
        {
            var ids = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                var id = await StartAsync($"GB(Readers.Generator(new[] {{ {i} }})).Run();");
                Assert.Equal(Results(Integers(i)), await fixture.CommandAsync("RG.GETRESULTSBLOCKING", id));
                ids.Add(id);
            }

            var listed = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPEXECUTIONS")).Select(e => new Pairs(e).Text("executionId"));
            Assert.Equal(ids[2..], listed);
            Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.GETRESULTS", ids[0]));
            Assert.Equal("-ERR execution does not exist\r\n", await fixture.CommandAsync("RG.GETEXECUTION", ids[1]));
        }
        finally
        {
            await fixture.CommandAsync("RG.CONFIGSET", "MaxExecutions", "1000");
        }
    }
}
