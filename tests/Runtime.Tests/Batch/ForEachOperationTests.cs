using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>ForEach</c> in a Run over a real Redis: the lambda runs once per record (sync or awaited, and
/// may write with <c>Execute</c>), the records pass on unchanged, and a record whose lambda throws is
/// left out with its error and the script line.
/// </summary>
public sealed class ForEachOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task TheLambdaRunsForEachRecordAndTheRecordsPassOnUnchanged()
    {
        var prefix = await fixture.KeysAsync("foreach", "1", "2", "3");
        var log = GearsFixture.Unique("log");

        var reply = await fixture.RunAsync($$"""
            GB().ForEach(r => Execute("RPUSH", "{{log}}", (string)r.Value!)).Map(r => r.Key).Run("{{prefix}}*");
            """);

        Assert.Equal([$"{prefix}k0", $"{prefix}k1", $"{prefix}k2"], reply.SortedTexts);
        Assert.Equal(["1", "2", "3"], (await fixture.ListAsync(log)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnAsyncLambdaIsAwaitedBeforeTheRecordPassesOn()
    {
        var prefix = await fixture.KeysAsync("foreach-async", "a", "b");
        var log = GearsFixture.Unique("log");

        var reply = await fixture.RunAsync($$"""
            GB().ForEach(async r => await ExecuteAsync("RPUSH", "{{log}}", (string)r.Value!))
                .Map(r => (string)r.Value! + ":" + (long)Execute("LLEN", "{{log}}")!)
                .Run("{{prefix}}*");
            """);

        // Each record's push is done when it passes on: the second record sees both.
        Assert.Equal(["a", "b"], (await fixture.ListAsync(log)).Order(StringComparer.Ordinal));
        Assert.Equal(2, reply.Texts.Length);
        Assert.Contains(reply.Texts, t => t.EndsWith(":2", StringComparison.Ordinal));
        Assert.All(reply.Texts, t => Assert.Matches("^[ab]:[12]$", t));
    }

    [Fact]
    public async Task ALambdaThatThrowsForOneRecordLeavesItsErrorAndTheOthersPassOn()
    {
        var prefix = await fixture.KeysAsync("foreach-error", "1", "bad", "3");
        var code = $$"""
            GB()
                .ForEach(r => { if ((string)r.Value! == "bad") throw new InvalidOperationException("refused"); })
                .Map(r => (string)r.Value!)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["1", "3"], reply.SortedTexts);
        Assert.Equal([reply.Failure("refused", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
