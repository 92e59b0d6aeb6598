using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>CountBy(extractor)</c> and <c>CountBy()</c> in a Run over a real Redis: one
/// <c>{"key":...,"value":count}</c> record per group (records with equal keys count together), in
/// the order groups first appeared; the word count of the issue, exactly as written, answers the
/// exact RESP; an extractor that throws for one record leaves it uncounted, its error noted.
/// </summary>
/// <remarks>Only <see cref="TheWordCountOfTheIssueRepliesExactly"/> uses keys "doc:*".</remarks>
public sealed class CountByOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task TheWordCountOfTheIssueRepliesExactly()
    {
        Assert.Equal("+OK\r\n", await fixture.DirectAsync("SET", "doc:1", "the cat and the hat and the bat"));

        var reply = await fixture.SubmitAsync("""GB().FlatMap(r => ((string)r.Value!).Split(' ')).CountBy(w => w).Map(kv => $"{kv.Key}={kv.Value}").Run("doc:*")""");

        // Groups in the order their words first appeared.
        Assert.Equal(
            "*2\r\n*5\r\n$5\r\nthe=3\r\n$5\r\ncat=1\r\n$5\r\nand=2\r\n$5\r\nhat=1\r\n$5\r\nbat=1\r\n*0\r\n",
            reply);
    }

    [Fact]
    public async Task RecordsWithEqualKeysAreCountedTogether()
    {
        var prefix = await fixture.KeysAsync("countby", "x", "y", "x", "z", "x", "y");

        var reply = await fixture.RunAsync($$"""GB().CountBy(r => (string)r.Value!).Run("{{prefix}}*");""");

        Assert.Equal(
            ["""{"key":"x","value":3}""", """{"key":"y","value":2}""", """{"key":"z","value":1}"""],
            reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task WordsAcrossKeysAreCountedTogether()
    {
        var prefix = await fixture.KeysAsync("countby-words", "a b", "b c", "c c");

        var reply = await fixture.RunAsync($$"""
            GB().FlatMap(r => ((string)r.Value!).Split(' ')).CountBy(w => w).Map(kv => $"{kv.Key}={kv.Value}").Run("{{prefix}}*");
            """);

        Assert.Equal(["a=1", "b=2", "c=3"], reply.SortedTexts);
    }

    [Fact]
    public async Task CountByWithoutExtractorCountsEqualRecords()
    {
        var reply = await fixture.RunAsync("""GB(Readers.Generator(new[] { 2L, 1L, 2L, 2L, 3L, 1L })).CountBy().Run();""");

        Assert.Equal(
            ["""{"key":2,"value":3}""", """{"key":1,"value":2}""", """{"key":3,"value":1}"""],
            reply.Texts);
    }

    [Fact]
    public async Task NoInputGivesNoGroups()
    {
        var prefix = await fixture.KeysAsync("countby-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().CountBy(r => r.Type).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AnExtractorThatThrowsForOneRecordLeavesItUncountedAndNotesItsError()
    {
        var prefix = await fixture.KeysAsync("countby-error", "x", "bad", "x", "y");
        var code = $$"""
            GB()
                .CountBy(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("no group") : (string)r.Value!)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["""{"key":"x","value":2}""", """{"key":"y","value":1}"""], reply.SortedTexts);
        Assert.Equal([reply.Failure("no group", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
