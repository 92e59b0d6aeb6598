using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Aggregate(zero, seqOp, combOp)</c> in a Run over a real Redis: the records fold with seqOp from
/// zero, then that value goes through combOp from zero again, into one record; no input gives no
/// record; zero is a value (for immutable accumulators) or a factory (a fresh list each time); a record
/// whose seqOp throws is left out, its error noted.
/// </summary>
public sealed class AggregateOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task TheRecordsFoldIntoOneValueFromAValueZero()
    {
        var prefix = await fixture.KeysAsync("aggregate", "1", "2", "39");

        Assert.Equal(
            "*2\r\n*1\r\n:42\r\n*0\r\n",
            await fixture.SubmitAsync($$"""
                GB().Aggregate(0L, (a, r) => a + long.Parse((string)r.Value!), (a, b) => a + b).Run("{{prefix}}*");
                """));
    }

    [Fact]
    public async Task CombOpGetsZeroAndTheFoldedValue()
    {
        var prefix = await fixture.KeysAsync("aggregate-comb", "x", "x", "x");

        var reply = await fixture.RunAsync($$"""
            GB().Aggregate("", (a, r) => a + (string)r.Value!, (a, b) => "(" + a + "|" + b + ")").Run("{{prefix}}*");
            """);

        Assert.Equal(["(|xxx)"], reply.Texts);
    }

    [Fact]
    public async Task AFactoryZeroGivesEachFoldAFreshAccumulator()
    {
        var prefix = await fixture.KeysAsync("aggregate-factory", "b", "c", "a");

        var reply = await fixture.RunAsync($$"""
            GB().Aggregate(
                    () => new List<string>(),
                    (list, r) => { list.Add((string)r.Value!); return list; },
                    (list, shard) => { list.AddRange(shard); return list; })
                .Map(list => string.Join(",", list.Order()))
                .Run("{{prefix}}*");
            """);

        // Had the two folds shared one list, combOp would have added it to itself: a,a,b,b,c,c.
        Assert.Equal(["a,b,c"], reply.Texts);
    }

    [Fact]
    public async Task AListAccumulatorIsRepliedAsAnArray()
    {
        var reply = await fixture.RunAsync("""
            GB(Readers.Generator(new[] { 3L, 1L, 2L }))
                .Aggregate(() => new List<long>(), (list, n) => { list.Add(n); return list; }, (list, shard) => { list.AddRange(shard); return list; })
                .Run();
            """);

        Assert.Equal([new object?[] { 3L, 1L, 2L }], reply.Results);
    }

    [Fact]
    public async Task NoInputGivesNoRecord()
    {
        var prefix = await fixture.KeysAsync("aggregate-empty");

        Assert.Equal(
            "*2\r\n*0\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Aggregate(0L, (a, r) => a + 1, (a, b) => a + b).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ASeqOpThatThrowsForOneRecordLeavesItOutAndNotesItsError()
    {
        var prefix = await fixture.KeysAsync("aggregate-error", "1", "bad", "10");
        var code = $$"""
            GB().Aggregate(
                    0L,
                    (a, r) => (string)r.Value! == "bad" ? throw new InvalidOperationException("not a number") : a + long.Parse((string)r.Value!),
                    (a, b) => a + b)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal([11L], reply.Results);
        Assert.Equal([reply.Failure("not a number", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
