using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>BatchGroupBy</c> in a Run over a real Redis: the reducer gets each group's key and all of its
/// records at once (sync or awaited), and one <c>{"key":...,"value":...}</c> record is passed on per
/// group; a reducer that throws for one group leaves that group out, its error noted.
/// </summary>
public sealed class BatchGroupByOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private static readonly string[] Values = ["odd:1", "even:2", "odd:3", "even:4", "odd:5"];

    [Fact]
    public async Task TheReducerGetsAllTheRecordsOfAGroup()
    {
        var prefix = await fixture.KeysAsync("batchgroupby", Values);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .BatchGroupBy(s => s[0], (k, records) => k + "=" + string.Join(",", records.Select(s => s[1]).Order()) + " (" + records.Count + ")")
                .Run("{{prefix}}*");
            """);

        Assert.Equal(
            ["""{"key":"even","value":"even=2,4 (2)"}""", """{"key":"odd","value":"odd=1,3,5 (3)"}"""],
            reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task AnAsyncReducerIsAwaited()
    {
        var prefix = await fixture.KeysAsync("batchgroupby-async", Values);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .BatchGroupBy(s => s[0], async (k, records) => { await Task.Yield(); return records.Sum(s => long.Parse(s[1])); })
                .Run("{{prefix}}*");
            """);

        Assert.Equal(["""{"key":"even","value":6}""", """{"key":"odd","value":9}"""], reply.SortedTexts);
    }

    [Fact]
    public async Task NoInputGivesNoGroups()
    {
        var prefix = await fixture.KeysAsync("batchgroupby-empty");

        Assert.Equal(
            "*2\r\n*0\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().BatchGroupBy(r => r.Key, (k, records) => records.Count).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AReducerThatThrowsForOneGroupLeavesThatGroupOutAndNotesItsError()
    {
        var prefix = await fixture.KeysAsync("batchgroupby-error", Values);
        var code = $$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .BatchGroupBy(s => s[0], (k, records) => k == "odd" ? throw new InvalidOperationException("odd group") : records.Count)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"even","value":2}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("odd group", Runs.LineOf(code, "throw"))], reply.Errors);
    }

    [Fact]
    public async Task AnExtractorThatThrowsForOneRecordLeavesItOutOfItsGroup()
    {
        var prefix = await fixture.KeysAsync("batchgroupby-extract", Values);
        var code = $$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .BatchGroupBy(s => s[1] == "3" ? throw new InvalidOperationException("no 3") : s[0], (k, records) => string.Join(",", records.Select(s => s[1]).Order()))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"even","value":"2,4"}""", """{"key":"odd","value":"1,5"}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("no 3", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
