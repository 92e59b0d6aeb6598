using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Sort(reverse = true)</c> and <c>Sort(key, reverse = true)</c> in a Run over a real Redis: all
/// records, once in, sorted largest first by default (RedisGears' default) or smallest first with
/// <c>reverse: false</c>; strings compare by their characters' codes, not by culture; a key that throws
/// fails the sort, its error noted, and a record that failed before it is left out.
/// </summary>
public sealed class SortOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task SortIsDescendingByDefaultInOrdinalOrder()
    {
        var prefix = await fixture.KeysAsync("sort", "b", "B", "a", "_", "A", "~");

        var reply = await fixture.SubmitAsync($$"""GB().Map(r => (string)r.Value!).Sort().Run("{{prefix}}*");""");

        // By character code: "~" (126) after the lower case letters, "_" (95) between them and the upper case ones.
        Assert.Equal(Frames.Array(Frames.Array(Frames.Bulk("~"), Frames.Bulk("b"), Frames.Bulk("a"), Frames.Bulk("_"), Frames.Bulk("B"), Frames.Bulk("A")), Frames.Array()), reply);
    }

    [Fact]
    public async Task ReverseFalseSortsAscending()
    {
        var prefix = await fixture.KeysAsync("sort-asc", "b", "B", "a", "A");

        var reply = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Sort(reverse: false).Run("{{prefix}}*");""");

        Assert.Equal(["A", "B", "a", "b"], reply.Texts);
    }

    [Fact]
    public async Task NumbersSortAsNumbers()
    {
        var prefix = await fixture.KeysAsync("sort-numbers", "10", "9", "100", "-1");

        var reply = await fixture.SubmitAsync($$"""GB().Map(r => long.Parse((string)r.Value!)).Sort().Run("{{prefix}}*");""");

        Assert.Equal("*2\r\n*4\r\n:100\r\n:10\r\n:9\r\n:-1\r\n*0\r\n", reply);
    }

    [Fact]
    public async Task SortByAKeyComparesTheKeys()
    {
        var prefix = await fixture.KeysAsync("sort-key", "10", "9", "100");

        var byNumber = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Sort(s => int.Parse(s)).Run("{{prefix}}*");""");
        var byText = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Sort(s => s, reverse: false).Run("{{prefix}}*");""");

        Assert.Equal(["100", "10", "9"], byNumber.Texts);
        Assert.Equal(["10", "100", "9"], byText.Texts);
    }

    [Fact]
    public async Task SortByKeyOfKeyRecordsSortsTheRecords()
    {
        var prefix = await fixture.KeysAsync("sort-records", "2", "3", "1");

        var reply = await fixture.RunAsync($$"""GB().Sort(r => (string)r.Value!, reverse: false).Map(r => r.Key).Run("{{prefix}}*");""");

        Assert.Equal([$"{prefix}k2", $"{prefix}k0", $"{prefix}k1"], reply.Texts);
    }

    [Fact]
    public async Task NoInputGivesNoRecords()
    {
        var prefix = await fixture.KeysAsync("sort-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Map(r => r.Key).Sort().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ARecordThatFailedBeforeIsLeftOutOfTheSort()
    {
        var prefix = await fixture.KeysAsync("sort-error", "1", "bad", "3", "2");
        var code = $$"""
            GB()
                .Map(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("bad value") : (string)r.Value!)
                .Sort()
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["3", "2", "1"], reply.Texts);
        Assert.Equal([reply.Failure("bad value", Runs.LineOf(code, "throw"))], reply.Errors);
    }

    [Fact]
    public async Task AKeyThatThrowsFailsTheSortWithItsError()
    {
        var prefix = await fixture.KeysAsync("sort-key-error", "1", "bad", "3");
        var code = $$"""
            GB().Map(r => (string)r.Value!)
                .Sort(s => s == "bad" ? throw new InvalidOperationException("no key") : int.Parse(s))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Empty(reply.Results);
        Assert.Equal([reply.Failure("no key", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
