using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Distinct()</c> in a Run over a real Redis: each distinct record once (by Equals: equal strings,
/// equal numbers, equal KeyValue records), once all records are in; no input gives none; a record that
/// failed before it is left out, its error listed.
/// </summary>
public sealed class DistinctOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task EachDistinctRecordPassesOnOnce()
    {
        var prefix = await fixture.KeysAsync("distinct", "b", "a", "b", "c", "a", "b");

        var reply = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Distinct().Run("{{prefix}}*");""");

        Assert.Equal(["a", "b", "c"], reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task StringsDifferingInCaseAreDistinct()
    {
        var reply = await fixture.RunAsync("""GB(Readers.Generator(new[] { "a", "A", "a" })).Distinct().Run();""");

        Assert.Equal(["A", "a"], reply.SortedTexts);
    }

    [Fact]
    public async Task EqualRecordsOfARecordTypeAreOneRecord()
    {
        var reply = await fixture.RunAsync("""
            GB(Readers.Generator(new[] { "x", "y", "x" })).Map(s => new KeyValue<string, long>(s, 1)).Distinct().Run();
            """);

        Assert.Equal(["""{"key":"x","value":1}""", """{"key":"y","value":1}"""], reply.SortedTexts);
    }

    [Fact]
    public async Task NoInputGivesNoRecords()
    {
        var prefix = await fixture.KeysAsync("distinct-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Map(r => r.Key).Distinct().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ARecordThatFailedBeforeIsLeftOutAndItsErrorIsListed()
    {
        var prefix = await fixture.KeysAsync("distinct-error", "a", "bad", "a", "b");
        var code = $$"""
            GB()
                .Map(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("bad value") : (string)r.Value!)
                .Distinct()
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["a", "b"], reply.SortedTexts);
        Assert.Equal([reply.Failure("bad value", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
