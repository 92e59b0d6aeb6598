using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>FlatMap</c> in a Run over a real Redis: each record is replaced by the records the lambda
/// returns (none, one or many; sync or awaited), and a record whose lambda throws, even while its
/// sequence is being enumerated, is left out with its error and the script line.
/// </summary>
public sealed class FlatMapOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task EachRecordIsReplacedByTheRecordsTheLambdaReturns()
    {
        var prefix = await fixture.KeysAsync("flatmap", "a b", "", "c");

        var reply = await fixture.RunAsync($$"""
            GB().FlatMap(r => ((string)r.Value!).Split(' ', StringSplitOptions.RemoveEmptyEntries)).Run("{{prefix}}*");
            """);

        Assert.Equal(["a", "b", "c"], reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task TheRecordsOfOneInputKeepTheirOrder()
    {
        var prefix = await fixture.KeysAsync("flatmap-order", "z y x w");

        Assert.Equal(
            Frames.Array(Frames.Array(Frames.Bulk("z"), Frames.Bulk("y"), Frames.Bulk("x"), Frames.Bulk("w")), Frames.Array()),
            await fixture.SubmitAsync($$"""GB().FlatMap(r => ((string)r.Value!).Split(' ')).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AnAsyncLambdaIsAwaited()
    {
        var prefix = await fixture.KeysAsync("flatmap-async", "1 2", "3");

        var reply = await fixture.RunAsync($$"""
            GB().FlatMap(async r => { await Task.Yield(); return ((string)r.Value!).Split(' ').AsEnumerable(); }).Run("{{prefix}}*");
            """);

        Assert.Equal(["1", "2", "3"], reply.SortedTexts);
    }

    [Fact]
    public async Task ALambdaThatThrowsForOneRecordLeavesItsErrorAndTheOthersResults()
    {
        var prefix = await fixture.KeysAsync("flatmap-error", "a b", "bad", "c");
        var code = $$"""
            GB()
                .FlatMap(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("no words") : ((string)r.Value!).Split(' '))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["a", "b", "c"], reply.SortedTexts);
        Assert.Equal([reply.Failure("no words", Runs.LineOf(code, "throw"))], reply.Errors);
    }

    [Fact]
    public async Task ALazySequenceThatThrowsWhileEnumeratedFailsOnlyItsRecord()
    {
        var prefix = await fixture.KeysAsync("flatmap-lazy", "1 2", "3 x", "4");
        var code = $$"""
            GB()
                .FlatMap(r => ((string)r.Value!).Split(' ').Select(w => w == "x" ? throw new InvalidOperationException("not a number") : w))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["1", "2", "4"], reply.SortedTexts);
        Assert.Equal([reply.Failure("not a number", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
