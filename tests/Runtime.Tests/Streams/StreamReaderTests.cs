using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Streams;

/// <summary>
/// StreamReader registrations (GEARS-REFERENCE.md, "Readers and their records"): entries added to
/// matching streams, by any client, are processed in batches through a consumer group of the
/// registration's own, acknowledged only after their batch succeeded, and trimmed once every group of
/// the stream is done with them. Entries are written straight to Redis, as producers do.
/// </summary>
/// <remarks>Tests share one gateway: each uses its own session ids and stream names (<see cref="GearsFixture.Unique"/>).</remarks>
public sealed class StreamReaderTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    // Appends "key|id|field f" of every entry to the list log.
    private static string Recording(string log, string registerArguments, string extraSteps = "") => $$"""
        GB(Readers.Stream){{extraSteps}}
            .ForEach(r => Execute("RPUSH", "{{log}}", r.Key + "|" + r.Id + "|" + r.Value.GetValueOrDefault("f")))
            .Register({{registerArguments}});
        """;

    private async Task<string> RegisterAsync(string code)
    {
        var session = GearsFixture.Unique("session");
        await fixture.SubmitOkAsync(code, "ID", session);
        return session;
    }

    private async Task<long> IntegerAsync(params string[] command) => Assert.IsType<long>(Reply.Parse(await fixture.DirectAsync(command)));

    private async Task WaitForLengthAsync(string list, int length) =>
        await Wait.UntilAsync(async () => await IntegerAsync("LLEN", list) == length, $"{list} has {length} items");

    // The groups of a stream: name → (pending, last-delivered-id).
    private async Task<Dictionary<string, (long Pending, string LastDelivered)>> GroupsAsync(string stream)
    {
        var groups = new Dictionary<string, (long, string)>();
        if (Reply.Parse(await fixture.DirectAsync("XINFO", "GROUPS", stream)) is object?[] items)
        {
            foreach (var item in items)
            {
                var group = new Pairs(item);
                groups[group.Text("name")!] = (group.Integer("pending"), group.Text("last-delivered-id")!);
            }
        }
        return groups;
    }

    [Fact]
    public async Task EntriesOfAStreamCreatedAfterTheRegistrationAreProcessedAcknowledgedAndTrimmed()
    {
        var log = GearsFixture.Unique("log");
        var prefix = GearsFixture.Unique("orders");
        var session = await RegisterAsync(Recording(log, $"prefix: \"{prefix}:*\""));
        var stream = prefix + ":eu";

        await fixture.DirectAsync("XADD", stream, "1-1", "f", "a");
        await fixture.DirectAsync("XADD", stream, "1-2", "f", "b");
        await fixture.DirectAsync("XADD", prefix + "x", "1-1", "f", "not matched");

        await WaitForLengthAsync(log, 2);
        Assert.Equal([$"{stream}|1-1|a", $"{stream}|1-2|b"], await fixture.ListAsync(log));
        var group = Assert.Single(await GroupsAsync(stream));
        Assert.Equal($"sharpgears:{session}:0", group.Key);
        await Wait.UntilAsync(async () => await IntegerAsync("XLEN", stream) == 0, "the acknowledged entries are trimmed");
        Assert.Equal((0L, "1-2"), group.Value with { Pending = (await GroupsAsync(stream))[group.Key].Pending });
        Assert.Empty(await GroupsAsync(prefix + "x"));
        Assert.Equal(1, await IntegerAsync("XLEN", prefix + "x"));
    }

    [Fact]
    public async Task StreamsThatExistAtRegistrationAreReadFromTheirStartInBatchesOfBatchSize()
    {
        var log = GearsFixture.Unique("log");
        var stream = GearsFixture.Unique("existing");
        for (var i = 1; i <= 10; i++)
        {
            await fixture.DirectAsync("XADD", stream, $"1-{i}", "f", i.ToString());
        }

        // Each execution's batch, by the ids it holds.
        await RegisterAsync($$"""
            GB(Readers.Stream).Accumulate((string? ids, StreamRecord r) => ids is null ? r.Id : ids + " " + r.Id)
                .ForEach(ids => Execute("RPUSH", "{{log}}", ids))
                .Register(prefix: "{{stream}}", batch: 3, trimStream: false);
            """);

        await WaitForLengthAsync(log, 4);
        Assert.Equal(["1-1 1-2 1-3", "1-4 1-5 1-6", "1-7 1-8 1-9", "1-10"], await fixture.ListAsync(log));
        Assert.Equal(10, await IntegerAsync("XLEN", stream)); // trimStream: false keeps them
        Assert.Equal(0, Assert.Single(await GroupsAsync(stream)).Value.Pending);
    }

    [Fact]
    public async Task ABatchThatIsNotFullWaitsUpToItsDurationForMoreEntries()
    {
        var log = GearsFixture.Unique("log");
        var stream = GearsFixture.Unique("timed");
        await RegisterAsync($$"""
            GB(Readers.Stream).Count().ForEach(n => Execute("RPUSH", "{{log}}", n.ToString()))
                .Register(prefix: "{{stream}}", batch: 100, duration: 500);
            """);
        await fixture.DirectAsync("XADD", stream, "1-0", "f", "create"); // the stream, then its group
        await WaitForLengthAsync(log, 1);

        // Five entries at once: with duration 0 the first could run alone; within 500 ms they make one batch.
        await Engine.Gears.PipelineDirectAsync(fixture.Redis.Port, [.. Enumerable.Range(1, 5).Select(i => new[] { "XADD", stream, $"2-{i}", "f", "x" })]);

        await WaitForLengthAsync(log, 2);
        Assert.Equal(["1", "5"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task TwoRegistrationsOnOneStreamEachProcessEveryEntryOnceThroughGroupsOfTheirOwn()
    {
        var (first, second) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"));
        var stream = GearsFixture.Unique("shared");
        // The stream is created by the first entry, after both registrations: the first to read it must
        // not trim it before the other has its group.
        var sessionA = await RegisterAsync(Recording(first, $"prefix: \"{stream}\", batch: 2"));
        var sessionB = await RegisterAsync(Recording(second, $"prefix: \"{stream}\""));
        await fixture.DirectAsync("XADD", stream, "1-1", "f", "a");
        for (var i = 2; i <= 5; i++)
        {
            await fixture.DirectAsync("XADD", stream, $"1-{i}", "f", "x");
        }

        await WaitForLengthAsync(first, 5);
        await WaitForLengthAsync(second, 5);
        string[] expected = [.. Enumerable.Range(1, 5).Select(i => $"{stream}|1-{i}|{(i == 1 ? "a" : "x")}")];
        Assert.Equal(expected, await fixture.ListAsync(first));
        Assert.Equal(expected, await fixture.ListAsync(second));
        Assert.Equal(new[] { $"sharpgears:{sessionA}:0", $"sharpgears:{sessionB}:0" }.Order(), (await GroupsAsync(stream)).Keys.Order());
        await Wait.UntilAsync(async () => await IntegerAsync("XLEN", stream) == 0, "entries both groups acknowledged are trimmed");
    }

    [Fact]
    public async Task TrimmingKeepsWhatAnotherConsumerGroupHasNotAcknowledged()
    {
        var log = GearsFixture.Unique("log");
        var stream = GearsFixture.Unique("withothers");
        await fixture.DirectAsync("XADD", stream, "1-1", "f", "a");
        await fixture.DirectAsync("XGROUP", "CREATE", stream, "theirs", "0");
        await fixture.DirectAsync("XREADGROUP", "GROUP", "theirs", "c", "COUNT", "1", "STREAMS", stream, ">"); // 1-1 pending there
        await RegisterAsync(Recording(log, $"prefix: \"{stream}\""));
        await fixture.DirectAsync("XADD", stream, "1-2", "f", "b");

        await WaitForLengthAsync(log, 2);
        await Wait.UntilAsync(async () => (await GroupsAsync(stream)).Values.Sum(g => g.Pending) == 1, "ours has acknowledged both");
        Assert.Equal(2, await IntegerAsync("XLEN", stream)); // theirs has 1-1 pending, and 1-2 undelivered

        await fixture.DirectAsync("XACK", stream, "theirs", "1-1");
        await fixture.DirectAsync("XADD", stream, "1-3", "f", "c"); // the next batch trims again
        await WaitForLengthAsync(log, 3);
        await Wait.UntilAsync(async () => await IntegerAsync("XLEN", stream) == 2, "only what theirs has not read stays");
        var first = (object?[])((object?[])Reply.Parse(await fixture.DirectAsync("XRANGE", stream, "-", "+", "COUNT", "1"))!)[0]!;
        Assert.Equal("1-2", first[0]);
    }

    [Fact]
    public async Task DumpRegistrationsShowsTheStreamReadersArgumentsStatusAndLag()
    {
        var stream = GearsFixture.Unique("dumped");
        var session = await RegisterAsync($$"""
            GB(Readers.Stream).ForEach(r => {}).Register(prefix: "{{stream}}:*", batch: 7, duration: 30, onFailedPolicy: OnFailedPolicy.Retry, onFailedRetryInterval: 3, trimStream: false, mode: ExecutionMode.AsyncLocal);
            """);
        await fixture.DirectAsync("XADD", stream + ":1", "*", "f", "a");
        var id = await fixture.RegistrationIdOfAsync(session);
        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);

        var registration = await fixture.RegistrationOfAsync(session);
        Assert.Equal("StreamReader", registration.Text("reader"));
        var data = registration.Map("RegistrationData");
        Assert.Equal(
            ["mode", "numTriggered", "numSuccess", "numFailures", "numAborted", "lastRunDurationMS", "totalRunDurationMS", "avgRunDurationMS",
             "lastEstimatedLagMS", "avgEstimatedLagMS", "lastError", "args", "status"],
            data.Names);
        Assert.Equal(("async_local", 1L, "OK"), (data.Text("mode"), data.Integer("numTriggered"), data.Text("status")));
        Assert.True(data.Integer("lastEstimatedLagMS") >= 0);
        var args = data.Map("args");
        Assert.Equal(["batchSize", "durationMS", "stream", "trimStream", "onFailedPolicy", "retryInterval", "status"], args.Names);
        Assert.Equal((7L, 30L, stream + ":*", 0L, "retry", 3L, "OK"),
            (args.Integer("batchSize"), args.Integer("durationMS"), args.Text("stream"), args.Integer("trimStream"), args.Text("onFailedPolicy"), args.Integer("retryInterval"), args.Text("status")));
    }

    [Fact]
    public async Task KeysReaderArgumentsOnAStreamReaderAndStreamArgumentsOnAKeysReaderAreRefused()
    {
        var onStream = await fixture.SubmitAsync("GB(Readers.Stream).ForEach(r => {}).Register(prefix: \"s\", eventTypes: [\"set\"]);");
        Assert.StartsWith("-", onStream);
        Assert.Contains("KeysReader arguments", onStream);
        var onKeys = await fixture.SubmitAsync("GB().ForEach(r => {}).Register(prefix: \"s\", batch: 10);");
        Assert.StartsWith("-", onKeys);
        Assert.Contains("StreamReader arguments", onKeys);
    }

    [Fact]
    public async Task RunReadsOneStreamFromAnIdOnInPages()
    {
        var stream = GearsFixture.Unique("ranged");
        for (var i = 1; i <= 5; i++)
        {
            await fixture.DirectAsync("XADD", stream, $"1-{i}", "n", i.ToString());
        }

        Assert.Equal(
            Frames.Array(Frames.Array(Frames.Bulk("1-2:2"), Frames.Bulk("1-3:3"), Frames.Bulk("1-4:4"), Frames.Bulk("1-5:5")), Frames.Array()),
            await fixture.SubmitAsync($$"""GB(Readers.Stream).Map(r => r.Id + ":" + r.Value["n"]).Run("{{stream}}", fromId: "1-2", count: 2);"""));
        Assert.Equal(
            Frames.Array(Frames.Array(":5\r\n"), Frames.Array()),
            await fixture.SubmitAsync($$"""GB(Readers.Stream).Count().Run("{{stream}}");"""));
        Assert.Equal(
            Frames.Array(Frames.Array(), Frames.Array()),
            await fixture.SubmitAsync($$"""GB(Readers.Stream).Map(r => r.Id).Run("{{stream}}-missing");"""));
    }

    // Records "id|value" of each entry in log, and fails (before recording) while the key flag holds "fail" and the value is "bad".
    private static string Failing(string log, string flag, string registerArguments) => $$"""
        GB(Readers.Stream)
            .ForEach(r =>
            {
                if (r.Value["f"] == "bad" && (string?)Execute("GET", "{{flag}}") == "fail")
                {
                    throw new InvalidOperationException("refused " + r.Id);
                }
                Execute("RPUSH", "{{log}}", r.Id + "|" + r.Value["f"]);
            })
            .Register({{registerArguments}});
        """;

    private async Task<Pairs> DataAsync(string session) => (await fixture.RegistrationOfAsync(session)).Map("RegistrationData");

    private async Task WaitForStatusAsync(string session, string status) =>
        await Wait.UntilAsync(async () => (await DataAsync(session)).Text("status") == status, $"session {session}'s registration has status {status}");

    private async Task<long> PendingAsync(string stream) => (await GroupsAsync(stream)).Values.Sum(g => g.Pending);

    [Fact]
    public async Task WithOnFailedPolicyContinueAFailedBatchIsSkippedAcknowledgedAndCounted()
    {
        var (log, flag, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("flag"), GearsFixture.Unique("continue"));
        await fixture.DirectAsync("SET", flag, "fail");
        var session = await RegisterAsync(Failing(log, flag, $"prefix: \"{stream}\", onFailedPolicy: OnFailedPolicy.Continue"));
        foreach (var (id, value) in new[] { ("1-1", "ok"), ("1-2", "bad"), ("1-3", "ok") })
        {
            await fixture.DirectAsync("XADD", stream, id, "f", value);
        }

        await WaitForLengthAsync(log, 2);
        Assert.Equal(["1-1|ok", "1-3|ok"], await fixture.ListAsync(log));
        var data = await DataAsync(session);
        Assert.Equal((3L, 2L, 1L, "OK"), (data.Integer("numTriggered"), data.Integer("numSuccess"), data.Integer("numFailures"), data.Text("status")));
        Assert.Contains("refused 1-2", data.Text("lastError"));
        Assert.Equal(0, await PendingAsync(stream));
    }

    [Fact]
    public async Task WithOnFailedPolicyAbortTheRegistrationStopsAtTheFailedBatchAndUnpauseResumesFromIt()
    {
        var (log, flag, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("flag"), GearsFixture.Unique("abort"));
        await fixture.DirectAsync("SET", flag, "fail");
        var session = await RegisterAsync(Failing(log, flag, $"prefix: \"{stream}\", onFailedPolicy: OnFailedPolicy.Abort"));
        foreach (var (id, value) in new[] { ("1-1", "ok"), ("1-2", "bad"), ("1-3", "ok") })
        {
            await fixture.DirectAsync("XADD", stream, id, "f", value);
        }

        await WaitForStatusAsync(session, "ABORTED");
        var data = await DataAsync(session);
        Assert.Contains("refused 1-2", data.Text("lastError"));
        Assert.Equal("ABORTED", data.Map("args").Text("status"));
        Assert.Equal(["1-1|ok"], await fixture.ListAsync(log));
        Assert.InRange(await PendingAsync(stream), 1, 2); // 1-2 was delivered, never acknowledged (and 1-3 perhaps read ahead)
        Assert.Equal(2, await IntegerAsync("XLEN", stream));

        // Fixed: unpausing runs the failed batch again, then the rest.
        await fixture.DirectAsync("SET", flag, "ok");
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNPAUSEREGISTRATIONS", await fixture.RegistrationIdOfAsync(session)));
        await WaitForLengthAsync(log, 3);
        Assert.Equal(["1-1|ok", "1-2|bad", "1-3|ok"], await fixture.ListAsync(log));
        Assert.Equal("OK", (await DataAsync(session)).Text("status"));
        await Wait.UntilAsync(async () => await PendingAsync(stream) == 0 && await IntegerAsync("XLEN", stream) == 0, "all acknowledged and trimmed");
    }

    [Fact]
    public async Task WithOnFailedPolicyRetryAFailedBatchRunsAgainEveryIntervalUntilItSucceedsAndNothingAfterItRunsFirst()
    {
        var (log, flag, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("flag"), GearsFixture.Unique("retry"));
        await fixture.DirectAsync("SET", flag, "fail");
        var session = await RegisterAsync(Failing(log, flag, $"prefix: \"{stream}\", onFailedPolicy: OnFailedPolicy.Retry, onFailedRetryInterval: 1"));
        foreach (var (id, value) in new[] { ("1-1", "ok"), ("1-2", "bad"), ("1-3", "ok") })
        {
            await fixture.DirectAsync("XADD", stream, id, "f", value);
        }

        await WaitForStatusAsync(session, "WAITING_FOR_RETRY_ON_FAILURE");
        await fixture.WaitForStatisticAsync(await fixture.RegistrationIdOfAsync(session), "numFailures", 2); // tried again after the interval
        Assert.Equal(["1-1|ok"], await fixture.ListAsync(log)); // 1-3 waits for 1-2: order is kept

        await fixture.DirectAsync("SET", flag, "ok");
        await WaitForLengthAsync(log, 3);
        Assert.Equal(["1-1|ok", "1-2|bad", "1-3|ok"], await fixture.ListAsync(log));
        await WaitForStatusAsync(session, "OK");
        await Wait.UntilAsync(async () => await PendingAsync(stream) == 0, "all acknowledged");
    }

    [Fact]
    public async Task APausedRegistrationReadsNothingWhileAnotherOnTheStreamGoesOnAndUnpausedItCatchesUp()
    {
        var (paused, witness, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"), GearsFixture.Unique("paused"));
        var session = await RegisterAsync(Recording(paused, $"prefix: \"{stream}\""));
        await RegisterAsync(Recording(witness, $"prefix: \"{stream}\""));
        await fixture.DirectAsync("XADD", stream, "1-1", "f", "a");
        await WaitForLengthAsync(paused, 1);
        var id = await fixture.RegistrationIdOfAsync(session);

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.PAUSEREGISTRATIONS", id));
        Assert.Equal("PAUSED", (await DataAsync(session)).Text("status"));
        await fixture.DirectAsync("XADD", stream, "1-2", "f", "b");
        await WaitForLengthAsync(witness, 2); // the other registration has read it...
        Assert.Equal(1, await IntegerAsync("LLEN", paused)); // ...the paused one has not
        await Wait.UntilAsync(async () => await IntegerAsync("XLEN", stream) == 1, "1-1, which both have acknowledged, is trimmed");
        Assert.Equal("1-2", ((object?[])((object?[])Reply.Parse(await fixture.DirectAsync("XRANGE", stream, "-", "+"))!)[0]!)[0]); // kept for the paused one

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNPAUSEREGISTRATIONS", id));
        await WaitForLengthAsync(paused, 2);
        Assert.Equal([$"{stream}|1-1|a", $"{stream}|1-2|b"], await fixture.ListAsync(paused));
        Assert.Equal("OK", (await DataAsync(session)).Text("status"));
    }

    [Fact]
    public async Task PausingAnythingButAStreamRegistrationOrAnUnknownIdIsRefusedAndChangesNothing()
    {
        var session = await RegisterAsync("GB().ForEach(r => {}).Register(prefix: \"nothing-here:*\");");
        var keys = await fixture.RegistrationIdOfAsync(session);
        Assert.Contains("only StreamReader registrations", await fixture.CommandAsync("RG.PAUSEREGISTRATIONS", keys));
        Assert.Contains("does not exist", await fixture.CommandAsync("RG.UNPAUSEREGISTRATIONS", "0000000000000000000000000000000000000000-999999"));
        Assert.StartsWith("-ERR wrong number of arguments", await fixture.CommandAsync("RG.PAUSEREGISTRATIONS", "ABORTPENDING"));
    }

    [Fact]
    public async Task UnregisteringStopsProcessingAtOnceWithEntriesLeftAndRemovesTheGroup()
    {
        var (log, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("unreg"));
        for (var i = 1; i <= 200; i++)
        {
            await fixture.DirectAsync("XADD", stream, $"1-{i}", "f", "x");
        }
        // Slow on purpose: 20 ms per entry, 4 s for the stream.
        var session = await RegisterAsync($$"""
            GB(Readers.Stream).ForEach(async r => { await Task.Delay(20); Execute("RPUSH", "{{log}}", r.Id); }).Register(prefix: "{{stream}}");
            """);
        await Wait.UntilAsync(async () => await IntegerAsync("LLEN", log) >= 3, "a few entries are processed");

        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(session)));
        var atUnregister = await IntegerAsync("LLEN", log);
        await Wait.UntilAsync(async () => (await GroupsAsync(stream)).Count == 0, "the registration's group is removed once its last batch is done");
        var processed = await IntegerAsync("LLEN", log);
        Assert.InRange(processed, atUnregister, atUnregister + 1); // at most the batch under way finished
        Assert.True(processed < 200);
        Assert.Equal(200 - processed, await IntegerAsync("XLEN", stream)); // the rest stays for others
    }

    [Fact]
    public async Task AnUpgradedSessionCarriesOnThroughTheSameGroupWithoutRunningAnyEntryAgain()
    {
        var (before, after, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("log"), GearsFixture.Unique("upgraded"));
        var session = await RegisterAsync(Recording(before, $"prefix: \"{stream}\", trimStream: false"));
        await fixture.DirectAsync("XADD", stream, "1-1", "f", "a");
        await WaitForLengthAsync(before, 1);

        await fixture.SubmitOkAsync(Recording(after, $"prefix: \"{stream}\", trimStream: false"), "ID", session, "UPGRADE");
        await fixture.DirectAsync("XADD", stream, "1-2", "f", "b");

        await WaitForLengthAsync(after, 1);
        Assert.Equal([$"{stream}|1-2|b"], await fixture.ListAsync(after)); // 1-1 is not run again
        Assert.Equal([$"{stream}|1-1|a"], await fixture.ListAsync(before));
        Assert.Equal([$"sharpgears:{session}:0"], (await GroupsAsync(stream)).Keys);
    }

    [Fact]
    public async Task SyncModeProcessesBatchesOnTheDispatchThreadInOrder()
    {
        var (log, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("sync"));
        await RegisterAsync(Recording(log, $"prefix: \"{stream}\", batch: 4, mode: ExecutionMode.Sync"));
        await Engine.Gears.PipelineDirectAsync(fixture.Redis.Port, [.. Enumerable.Range(1, 10).Select(i => new[] { "XADD", stream, $"1-{i}", "f", i.ToString() })]);

        await WaitForLengthAsync(log, 10);
        string[] expected = [.. Enumerable.Range(1, 10).Select(i => $"{stream}|1-{i}|{i}")];
        Assert.Equal(expected, await fixture.ListAsync(log));
    }

    [Fact]
    public async Task AStreamDeletedAndCreatedAgainIsReadAgainFromItsStart()
    {
        var (log, stream) = (GearsFixture.Unique("log"), GearsFixture.Unique("recreated"));
        await RegisterAsync(Recording(log, $"prefix: \"{stream}\""));
        await fixture.DirectAsync("XADD", stream, "5-1", "f", "a");
        await WaitForLengthAsync(log, 1);

        await fixture.DirectAsync("DEL", stream);
        await fixture.DirectAsync("XADD", stream, "1-1", "f", "b"); // a lower id: a new stream, a new group

        await WaitForLengthAsync(log, 2);
        Assert.Equal([$"{stream}|5-1|a", $"{stream}|1-1|b"], await fixture.ListAsync(log));
    }
}
