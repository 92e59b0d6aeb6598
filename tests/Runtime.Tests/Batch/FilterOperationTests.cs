using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Filter</c> in a Run over a real Redis: only the records the predicate (sync or awaited) is true
/// for pass on, unchanged; a record whose predicate throws is left out with its error and the script line.
/// </summary>
public sealed class FilterOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task OnlyTheRecordsThePredicateIsTrueForPassOn()
    {
        var prefix = await fixture.KeysAsync("filter", "1", "20", "3", "40");

        var reply = await fixture.RunAsync($$"""
            GB().Filter(r => ((string)r.Value!).Length == 2).Map(r => (string)r.Value!).Run("{{prefix}}*");
            """);

        Assert.Equal(["20", "40"], reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task APredicateFalseForAllIsAnEmptyResult()
    {
        var prefix = await fixture.KeysAsync("filter-none", "1", "2");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Filter(r => false).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AnAsyncPredicateIsAwaited()
    {
        var prefix = await fixture.KeysAsync("filter-async", "keep", "drop", "keep too");

        var reply = await fixture.RunAsync($$"""
            GB().Filter(async r => { await Task.Yield(); return ((string)r.Value!).StartsWith("keep"); }).Map(r => (string)r.Value!).Run("{{prefix}}*");
            """);

        Assert.Equal(["keep", "keep too"], reply.SortedTexts);
    }

    [Fact]
    public async Task APredicateThatThrowsForOneRecordLeavesItsErrorAndTheOthersResults()
    {
        var prefix = await fixture.KeysAsync("filter-error", "1", "bad", "3");
        var code = $$"""
            GB()
                .Filter(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("cannot tell") : true)
                .Map(r => (string)r.Value!)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["1", "3"], reply.SortedTexts);
        Assert.Equal([reply.Failure("cannot tell", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
