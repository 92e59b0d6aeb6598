using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Accumulate</c> in a Run over a real Redis: all records fold into one value, starting from
/// default (0, null), passed on once the input ends; no input gives no record (as in RedisGears); the
/// fold may be awaited; a record whose fold throws is left out of the value with its error noted.
/// </summary>
public sealed class AccumulateOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task AllRecordsFoldIntoOneValueStartingFromDefault()
    {
        var prefix = await fixture.KeysAsync("accumulate", "1", "2", "39");

        Assert.Equal(
            "*2\r\n*1\r\n:42\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Accumulate((long a, KeyRecord r) => a + long.Parse((string)r.Value!)).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AReferenceAccumulatorStartsAsNull()
    {
        var prefix = await fixture.KeysAsync("accumulate-null", "x", "x");

        var reply = await fixture.RunAsync($$"""
            GB().Accumulate((string? a, KeyRecord r) => a is null ? "first" : a + "+next").Run("{{prefix}}*");
            """);

        Assert.Equal(["first+next"], reply.Texts);
    }

    [Fact]
    public async Task NoInputGivesNoRecord()
    {
        var prefix = await fixture.KeysAsync("accumulate-empty");

        Assert.Equal(
            "*2\r\n*0\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Accumulate((long a, KeyRecord r) => a + 1).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AnAsyncFoldIsAwaited()
    {
        var prefix = await fixture.KeysAsync("accumulate-async", "5", "6");

        Assert.Equal(
            "*2\r\n*1\r\n:11\r\n*0\r\n",
            await fixture.SubmitAsync($$"""
                GB().Accumulate(async (long a, KeyRecord r) => { await Task.Yield(); return a + long.Parse((string)r.Value!); }).Run("{{prefix}}*");
                """));
    }

    [Fact]
    public async Task AFoldThatThrowsForOneRecordLeavesItOutAndNotesItsError()
    {
        var prefix = await fixture.KeysAsync("accumulate-error", "1", "bad", "10");
        var code = $$"""
            GB()
                .Accumulate((long a, KeyRecord r) => (string)r.Value! == "bad" ? throw new InvalidOperationException("not a number") : a + long.Parse((string)r.Value!))
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal([11L], reply.Results);
        Assert.Equal([reply.Failure("not a number", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
