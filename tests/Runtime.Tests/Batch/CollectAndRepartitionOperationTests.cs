using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Collect</c> and <c>Repartition</c> in a Run over a real Redis: on one node every record is
/// already where it belongs, so both pass the records on unchanged and in order (Repartition never
/// calls its extractor), and what failed before them stays an error.
/// </summary>
public sealed class CollectAndRepartitionOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Theory]
    [InlineData(".Collect()")]
    [InlineData(".Repartition(s => s)")]
    public async Task RecordsPassOnUnchangedAndInOrder(string operation)
    {
        var reply = await fixture.RunAsync($$"""GB(Readers.Generator(new[] { "c", "a", "b" })){{operation}}.Run();""");

        Assert.Equal(["c", "a", "b"], reply.Texts);
        Assert.Empty(reply.Errors);
    }

    [Theory]
    [InlineData(".Collect()")]
    [InlineData(".Repartition(r => r.Key)")]
    public async Task KeyRecordsPassOnUnchanged(string operation)
    {
        var prefix = await fixture.KeysAsync("move", "1", "2");

        var reply = await fixture.RunAsync($$"""GB(){{operation}}.Run("{{prefix}}*");""");

        Assert.Equal(
            [
                $$"""{"key":"{{prefix}}k0","value":"1","type":"string","event":null}""",
                $$"""{"key":"{{prefix}}k1","value":"2","type":"string","event":null}""",
            ],
            reply.SortedTexts);
    }

    [Theory]
    [InlineData(".Collect()")]
    [InlineData(".Repartition(r => r.Key)")]
    public async Task NoInputGivesNoRecords(string operation)
    {
        var prefix = await fixture.KeysAsync("move-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB(){{operation}}.Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task RepartitionDoesNotCallItsExtractorOnOneNode()
    {
        var reply = await fixture.RunAsync("""
            GB(Readers.Generator(new[] { "a", "b" })).Repartition(s => throw new InvalidOperationException("called")).Run();
            """);

        Assert.Equal(["a", "b"], reply.Texts);
        Assert.Empty(reply.Errors);
    }

    [Theory]
    [InlineData(".Collect()")]
    [InlineData(".Repartition(s => s)")]
    public async Task ARecordThatFailedBeforeIsAnErrorAndTheOthersPassOn(string operation)
    {
        var code = $$"""
            GB(Readers.Generator(new[] { "a", "b", "c" }))
                .Map(s => s == "b" ? throw new InvalidOperationException("no b") : s)
                {{operation}}
                .Run();
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["a", "c"], reply.Texts);
        Assert.Equal([reply.Failure("no b", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
