using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Avg(extractor)</c> and <c>Avg()</c> in a Run over a real Redis: one record, the average, replied
/// as invariant text ("2.5"); <c>Avg()</c> reads strings such as "1.5" as numbers; no input gives no
/// record (as in RedisGears); a record whose extractor throws is left out of the average, its error noted.
/// </summary>
public sealed class AvgOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task AvgOfStringsReadsThemAsNumbers()
    {
        var prefix = await fixture.KeysAsync("avg", "1.5", "2.5", "3.5");

        Assert.Equal(
            "*2\r\n*1\r\n$3\r\n2.5\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Map(r => (string)r.Value!).Avg().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AvgWithAnExtractorAveragesWhatItGives()
    {
        var prefix = await fixture.KeysAsync("avg-extractor", "ab", "abcd", "abc");

        var reply = await fixture.RunAsync($$"""GB().Avg(r => ((string)r.Value!).Length).Run("{{prefix}}*");""");

        Assert.Equal(["3"], reply.Texts);
    }

    [Fact]
    public async Task AvgOfNumbersIsNotRoundedToAnInteger()
    {
        var reply = await fixture.RunAsync("GB(Readers.Generator(new[] { 1L, 2L })).Avg().Run();");

        Assert.Equal(["1.5"], reply.Texts);
    }

    [Fact]
    public async Task NoInputGivesNoRecord()
    {
        var prefix = await fixture.KeysAsync("avg-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Map(r => (string)r.Value!).Avg().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AnExtractorThatThrowsForOneRecordLeavesItOutOfTheAverage()
    {
        var prefix = await fixture.KeysAsync("avg-error", "1", "bad", "4");
        var code = $$"""
            GB()
                .Avg(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("not a number") : double.Parse((string)r.Value!))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["2.5"], reply.Texts);
        Assert.Equal([reply.Failure("not a number", Runs.LineOf(code, "throw"))], reply.Errors);
    }

    [Fact]
    public async Task AStringThatIsNotANumberIsAFormatErrorForItsRecordOnly()
    {
        var prefix = await fixture.KeysAsync("avg-format", "2", "two", "3");

        var reply = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Avg().Run("{{prefix}}*");""");

        Assert.Equal(["2.5"], reply.Texts);
        Assert.StartsWith("FormatException: ", Assert.Single(reply.Errors));
    }
}
