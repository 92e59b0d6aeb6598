using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>GroupBy</c> and <c>LocalGroupBy</c> (the same on one node) in a Run over a real Redis: records
/// are grouped by the extractor's key, each group folded by the reducer from default (0, null), and
/// one <c>{"key":...,"value":...}</c> record passed on per group; reducers may be awaited; a record
/// whose extractor or reducer throws is left out of its group, its error noted.
/// </summary>
public sealed class GroupByOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    // Values "group:amount".
    private static readonly string[] Sales = ["a:1", "b:10", "a:2", "c:100", "a:4", "b:20"];

    [Theory]
    [InlineData("GroupBy")]
    [InlineData("LocalGroupBy")]
    public async Task EachGroupIsFoldedFromDefaultIntoOneKeyValueRecord(string operation)
    {
        var prefix = await fixture.KeysAsync(operation.ToLowerInvariant(), Sales);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .{{operation}}(s => s[0], (string k, long sum, string[] s) => sum + long.Parse(s[1]))
                .Run("{{prefix}}*");
            """);

        Assert.Equal(
            ["""{"key":"a","value":7}""", """{"key":"b","value":30}""", """{"key":"c","value":100}"""],
            reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Theory]
    [InlineData("GroupBy")]
    [InlineData("LocalGroupBy")]
    public async Task AReferenceValueStartsAsNullAndTheReducerGetsTheGroupsKey(string operation)
    {
        var prefix = await fixture.KeysAsync(operation.ToLowerInvariant() + "-null", "x:1", "y:2", "x:3");

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .{{operation}}(s => s[0], (string k, string? seen, string[] s) => (seen ?? "start@" + k) + "+" + s[1])
                .Map(kv => kv.Value)
                .Run("{{prefix}}*");
            """);

        Assert.Equal(2, reply.Results.Length);
        Assert.Equal("start@y+2", reply.SortedTexts[1]);
        Assert.Contains(reply.SortedTexts[0], new[] { "start@x+1+3", "start@x+3+1" });
    }

    [Theory]
    [InlineData("GroupBy")]
    [InlineData("LocalGroupBy")]
    public async Task AnAsyncReducerIsAwaited(string operation)
    {
        var prefix = await fixture.KeysAsync(operation.ToLowerInvariant() + "-async", Sales);

        var reply = await fixture.RunAsync($$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .{{operation}}(s => s[0], async (string k, long n, string[] s) => { await Task.Yield(); return n + 1; })
                .Run("{{prefix}}*");
            """);

        Assert.Equal(
            ["""{"key":"a","value":3}""", """{"key":"b","value":2}""", """{"key":"c","value":1}"""],
            reply.SortedTexts);
    }

    [Theory]
    [InlineData("GroupBy")]
    [InlineData("LocalGroupBy")]
    public async Task NoInputGivesNoGroups(string operation)
    {
        var prefix = await fixture.KeysAsync(operation.ToLowerInvariant() + "-empty");

        Assert.Equal(
            "*2\r\n*0\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().{{operation}}(r => r.Key, (string k, long n, KeyRecord r) => n + 1).Run("{{prefix}}*");"""));
    }

    [Theory]
    [InlineData("GroupBy", "extractor")]
    [InlineData("GroupBy", "reducer")]
    [InlineData("LocalGroupBy", "extractor")]
    [InlineData("LocalGroupBy", "reducer")]
    public async Task ALambdaThatThrowsForOneRecordLeavesItOutOfItsGroupAndNotesItsError(string operation, string thrower)
    {
        var prefix = await fixture.KeysAsync(operation.ToLowerInvariant() + "-error", "a:1", "a:bad", "b:5", "a:2");
        var (extractor, reducer) = thrower == "extractor"
            ? ("""s => s[1] == "bad" ? throw new InvalidOperationException("bad record") : s[0]""", "(string k, long sum, string[] s) => sum + long.Parse(s[1])")
            : ("s => s[0]", """(string k, long sum, string[] s) => s[1] == "bad" ? throw new InvalidOperationException("bad record") : sum + long.Parse(s[1])""");
        var code = $$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .{{operation}}(
                    {{extractor}},
                    {{reducer}})
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"a","value":3}""", """{"key":"b","value":5}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("bad record", Runs.LineOf(code, "throw"))], reply.Errors);
    }

    // The synchronous lambdas run through a typed fold, the awaited ones through the general one: both keep these rules.
    [Theory]
    [InlineData("(string? k, long sum, string[] s) => s[1] == \"bad\" ? throw new InvalidOperationException(\"bad record\") : sum + long.Parse(s[1])")]
    [InlineData("async (string? k, long sum, string[] s) => { await Task.Yield(); return s[1] == \"bad\" ? throw new InvalidOperationException(\"bad record\") : sum + long.Parse(s[1]); }")]
    public async Task ANullKeyIsAGroupAndAGroupWhoseEveryFoldFailedIsLeftOut(string reducer)
    {
        var prefix = await fixture.KeysAsync("groupby-null-key", "-:1", "a:2", "-:3", "only:bad", "a:bad");
        var code = $$"""
            GB().Map(r => ((string)r.Value!).Split(':'))
                .GroupBy(s => s[0] == "-" ? null : s[0], {{reducer}})
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"a","value":2}""", """{"key":null,"value":4}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("bad record", Runs.LineOf(code, "throw")), reply.Failure("bad record", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
