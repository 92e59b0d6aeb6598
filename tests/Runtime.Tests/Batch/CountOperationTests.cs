using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Count()</c> in a Run over a real Redis: one integer record, how many records reached it; no
/// input gives no record (as in RedisGears); records that failed before it are not counted, their
/// errors listed.
/// </summary>
public sealed class CountOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task CountIsOneIntegerRecord()
    {
        var prefix = await fixture.KeysAsync("count", "a", "b", "c");

        Assert.Equal("*2\r\n*1\r\n:3\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Count().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task CountCountsTheRecordsThatReachIt()
    {
        var prefix = await fixture.KeysAsync("count-words", "a b c", "d", "e f");

        Assert.Equal(
            "*2\r\n*1\r\n:6\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().FlatMap(r => ((string)r.Value!).Split(' ')).Count().Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task CountOverManyBatchesCountsThemAll()
    {
        var reply = await fixture.RunAsync("GB(Readers.Generator(Enumerable.Range(0, 2500))).Count().Run(count: 100);");

        Assert.Equal([2500L], reply.Results);
    }

    [Fact]
    public async Task NoInputGivesNoRecord()
    {
        var prefix = await fixture.KeysAsync("count-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Count().Run("{{prefix}}*");"""));
        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync("""GB(Readers.Generator(new[] { 1, 2 })).Filter(n => false).Count().Run();"""));
    }

    [Fact]
    public async Task ARecordThatFailedBeforeIsNotCountedAndItsErrorIsListed()
    {
        var prefix = await fixture.KeysAsync("count-error", "1", "bad", "3");
        var code = $$"""
            GB()
                .Map(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("bad value") : r)
                .Count()
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal([2L], reply.Results);
        Assert.Equal([reply.Failure("bad value", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
