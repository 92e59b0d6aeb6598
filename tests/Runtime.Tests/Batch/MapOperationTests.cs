using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Map</c> in a Run over a real Redis: each record is replaced by the lambda's result (sync or
/// awaited), results are converted for the reply (strings as bulk strings, integers as integers,
/// doubles as invariant text, records as camelCase JSON), and a record whose lambda throws is left
/// out, its error, with the script line, in the errors list.
/// </summary>
public sealed class MapOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task MapReplacesEachRecordWithTheLambdasResult()
    {
        var prefix = await fixture.KeysAsync("map", "1", "2", "3");

        var reply = await fixture.RunAsync($$"""GB().Map(r => r.Key + "=" + (string)r.Value!).Run("{{prefix}}*");""");

        Assert.Equal([$"{prefix}k0=1", $"{prefix}k1=2", $"{prefix}k2=3"], reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task IntegersAreRepliedAsIntegersAndDoublesAsInvariantText()
    {
        var prefix = await fixture.KeysAsync("map-types", "7");

        Assert.Equal(
            "*2\r\n*1\r\n:8\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Map(r => int.Parse((string)r.Value!) + 1).Run("{{prefix}}*");"""));
        Assert.Equal(
            "*2\r\n*1\r\n$3\r\n3.5\r\n*0\r\n",
            await fixture.SubmitAsync($$"""GB().Map(r => double.Parse((string)r.Value!) / 2).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task AKeyRecordIsRepliedAsCamelCaseJson()
    {
        var prefix = await fixture.KeysAsync("map-json", "v");

        var reply = await fixture.RunAsync($$"""GB().Map(r => r).Run("{{prefix}}k0", noScan: true);""");

        Assert.Equal([$$"""{"key":"{{prefix}}k0","value":"v","type":"string","event":null}"""], reply.Texts);
    }

    [Fact]
    public async Task AnAsyncLambdaIsAwaited()
    {
        var prefix = await fixture.KeysAsync("map-async", "a", "b");

        var reply = await fixture.RunAsync($$"""
            GB().Map(async r => { await Task.Yield(); return ((string)r.Value!).ToUpperInvariant(); }).Run("{{prefix}}*");
            """);

        Assert.Equal(["A", "B"], reply.SortedTexts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task NoKeysMatchingIsAnEmptyResult()
    {
        var prefix = await fixture.KeysAsync("map-empty");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Map(r => r.Key).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ALambdaThatThrowsForOneRecordLeavesItsErrorAndTheOthersResults()
    {
        var prefix = await fixture.KeysAsync("map-error", "1", "bad", "3");
        var code = $$"""
            GB()
                .Map(r => (string)r.Value! == "bad" ? throw new InvalidOperationException("no " + r.Key) : "ok:" + (string)r.Value!)
                .Run("{{prefix}}*");
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["ok:1", "ok:3"], reply.SortedTexts);
        Assert.Equal([reply.Failure($"no {prefix}k1", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
