using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>AggregateBy(extractor, zero, seqOp, combOp)</c> in a Run over a real Redis: each group's
/// records fold with seqOp(key, value, record) from zero, then combOp(key, zero, that value) combines
/// them into one <c>{"key":...,"value":...}</c> record per group; a factory zero gives each group its
/// own accumulator; a record whose seqOp throws is left out of its group, its error noted.
/// </summary>
public sealed class AggregateByOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private static readonly string[] Sales = ["a:1", "b:10", "a:2", "c:100", "a:4", "b:20"];

    [Fact]
    public async Task EachGroupFoldsIntoOneKeyValueRecord()
    {
        var prefix = await fixture.KeysAsync("aggregateby", Sales);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .AggregateBy(s => s[0], 0L, (k, sum, s) => sum + long.Parse(s[1]), (k, sum, shard) => sum + shard)
                .Run("{{prefix}}*");
            """);

        Assert.Equal(
            ["""{"key":"a","value":7}""", """{"key":"b","value":30}""", """{"key":"c","value":100}"""],
            reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task CombOpCombinesEachGroupsFoldedValueFromZeroWithItsKey()
    {
        var prefix = await fixture.KeysAsync("aggregateby-comb", "a", "b", "a", "a");

        var reply = await fixture.RunAsync($$"""
            GB().AggregateBy(r => (string)r.Value!, "", (k, a, r) => a + "x", (k, a, shard) => a + "(" + k + ":" + shard + ")")
                .Run("{{prefix}}*");
            """);

        Assert.Equal(["""{"key":"a","value":"(a:xxx)"}""", """{"key":"b","value":"(b:x)"}"""], reply.SortedTexts);
    }

    [Fact]
    public async Task AFactoryZeroGivesEachGroupItsOwnAccumulator()
    {
        var prefix = await fixture.KeysAsync("aggregateby-factory", Sales);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .AggregateBy(
                    s => s[0],
                    () => new List<string>(),
                    (k, list, s) => { list.Add(s[1]); return list; },
                    (k, list, shard) => { list.AddRange(shard); return list; })
                .Map(kv => kv.Key + "=" + string.Join(",", kv.Value.Order(StringComparer.Ordinal)))
                .Run("{{prefix}}*");
            """);

        Assert.Equal(["a=1,2,4", "b=10,20", "c=100"], reply.SortedTexts);
    }

    [Fact]
    public async Task NoInputGivesNoGroups()
    {
        var prefix = await fixture.KeysAsync("aggregateby-empty");

        Assert.Equal(
            "*2\r\n*0\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().AggregateBy(r => r.Key, 0L, (k, a, r) => a + 1, (k, a, b) => a + b).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ASeqOpThatThrowsForOneRecordLeavesItOutOfItsGroupAndNotesItsError()
    {
        var prefix = await fixture.KeysAsync("aggregateby-error", "a:1", "a:bad", "b:5", "a:2");
        var code = $$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .AggregateBy(
                    s => s[0],
                    0L,
                    (k, sum, s) => s[1] == "bad" ? throw new InvalidOperationException("bad amount") : sum + long.Parse(s[1]),
                    (k, sum, shard) => sum + shard)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"a","value":3}""", """{"key":"b","value":5}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("bad amount", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
