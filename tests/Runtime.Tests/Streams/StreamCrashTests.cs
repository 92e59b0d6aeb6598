using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Streams;

/// <summary>
/// At least once, across a crash: the gateway, a process of its own, is killed with SIGKILL in the
/// middle of a batch and started again on the same data directory. Every entry, those of the batch
/// under way, those not read yet and those added while it was down, is processed; the only ones
/// processed twice are those of the batch that was under way; nothing stays pending.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StreamCrashTests() : RedisAndFolderTest("sg-stream-crash-")
{
    private const int Entries = 1000, Batch = 50, Hang = 777, AddedWhileDown = 100;

    // Each entry's id goes to the set "seen" and the list "deliveries"; the entry 1-777 hangs while
    // the key "hang" is "yes", so the kill lands inside the batch 1-751..1-800, after 1-776 was done.
    private static readonly string Script = $$"""
        GB(Readers.Stream).ForEach(r =>
        {
            if (r.Id == "1-{{Hang}}" && (string?)Execute("GET", "hang") == "yes")
            {
                System.Threading.Thread.Sleep(TimeSpan.FromSeconds(50));
            }
            Execute("SADD", "seen", r.Id);
            Execute("RPUSH", "deliveries", r.Id);
        }).Register(prefix: "crash:*", batch: {{Batch}});
        """;

    private Task<GatewayProcess> StartAsync() => GatewayProcess.StartAsync("--backend", Redis.Url, "--data-dir", Folder);

    private async Task<long> IntegerAsync(params string[] command) => Assert.IsType<long>(Reply.Parse(await Redis.DirectAsync(command)));

    private async Task<string[]> StringsAsync(params string[] command) => Reply.Strings(Reply.Parse(await Redis.DirectAsync(command)));

    private static IEnumerable<string[]> Adds(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => new[] { "XADD", "crash:orders", $"1-{i}", "n", i.ToString() });

    [Fact]
    public async Task KilledMidBatchAndStartedAgainTheGatewayProcessesEveryEntryAtLeastOnceAndLosesNone()
    {
        await Redis.DirectAsync("SET", "hang", "yes");
        await Engine.Gears.PipelineDirectAsync(Redis.Port, [.. Adds(1, Entries)]);
        var first = await StartAsync();
        try
        {
            await using (var client = await RawClient.ConnectAsync(first.Port))
            {
                Assert.Equal("+OK\r\n", await client.CommandAsync("RG.CSEXECUTE", Script, "ID", "crash"));
            }
            await Wait.UntilAsync(async () => await IntegerAsync("SISMEMBER", "seen", $"1-{Hang - 1}") == 1, "the batch with the hanging entry is under way");
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        // Killed mid-batch: that batch was delivered and never acknowledged (and perhaps the next one,
        // read ahead while it ran).
        var (pending, firstPending, lastPending) = Pending();
        Assert.Equal($"1-{Hang - Hang % Batch + 1}", firstPending);
        Assert.Contains((pending, lastPending), new (long, string?)[] { ((long)Batch, $"1-{Hang - Hang % Batch + Batch}"), (2L * Batch, $"1-{Hang - Hang % Batch + 2 * Batch}") });
        Assert.Equal(Hang - 1, await IntegerAsync("SCARD", "seen"));

        await Redis.DirectAsync("SET", "hang", "no");
        await Engine.Gears.PipelineDirectAsync(Redis.Port, [.. Adds(Entries + 1, Entries + AddedWhileDown)]);
        await using var second = await StartAsync();
        await Wait.UntilAsync(async () => await IntegerAsync("SCARD", "seen") == Entries + AddedWhileDown, "every entry is processed", TimeSpan.FromSeconds(60));

        string[] all = [.. Enumerable.Range(1, Entries + AddedWhileDown).Select(i => $"1-{i}")];
        Assert.Equal(all.Order(), (await StringsAsync("SMEMBERS", "seen")).Order());
        var deliveries = await StringsAsync("LRANGE", "deliveries", "0", "-1");
        var twice = deliveries.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToArray();
        string[] underWay = [.. Enumerable.Range(Hang - Hang % Batch + 1, Hang % Batch - 1).Select(i => $"1-{i}").Order()];
        Assert.Equal(underWay, twice); // processed again: only what the killed batch had done
        Assert.DoesNotContain(deliveries.GroupBy(id => id), g => g.Count() > 2);
        await Wait.UntilAsync(async () => Pending().Count == 0 && await IntegerAsync("XLEN", "crash:orders") == 0, "nothing pending, the stream trimmed");

        (long Count, string? First, string? Last) Pending()
        {
            var summary = (object?[])Reply.Parse(Redis.DirectAsync("XPENDING", "crash:orders", "sharpgears:crash:0").GetAwaiter().GetResult())!;
            return ((long)summary[0]!, (string?)summary[1], (string?)summary[2]);
        }
    }
}
