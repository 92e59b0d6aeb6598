using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// <c>Limit(length, start)</c> in a Run: at most <c>length</c> records pass on, after the first
/// <c>start</c> are skipped, in the order they arrive (a generator's order; a scan's for keys); a
/// start beyond the end or a length of 0 passes nothing; records that failed upstream do not count.
/// </summary>
public sealed class LimitOperationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private const string Letters = """GB(Readers.Generator(new[] { "a", "b", "c", "d", "e" }))""";

    [Theory]
    [InlineData(".Limit(2)", new[] { "a", "b" })]
    [InlineData(".Limit(2, 1)", new[] { "b", "c" })]
    [InlineData(".Limit(10, 3)", new[] { "d", "e" })]
    [InlineData(".Limit(5)", new[] { "a", "b", "c", "d", "e" })]
    [InlineData(".Limit(1, 4)", new[] { "e" })]
    [InlineData(".Limit(2, 5)", new string[0])]
    [InlineData(".Limit(2, 100)", new string[0])]
    [InlineData(".Limit(0)", new string[0])]
    [InlineData(".Limit(0, 2)", new string[0])]
    public async Task LimitSkipsStartRecordsAndPassesOnAtMostLength(string limit, string[] expected)
    {
        var reply = await fixture.RunAsync($"{Letters}{limit}.Run();");

        Assert.Equal(expected, reply.Texts);
        Assert.Empty(reply.Errors);
    }

    [Fact]
    public async Task OverKeysLimitPassesOnThatManyOfThem()
    {
        var prefix = await fixture.KeysAsync("limit", "1", "2", "3", "4", "5", "6");

        var reply = await fixture.RunAsync($$"""GB().Map(r => (string)r.Value!).Limit(3, 1).Run("{{prefix}}*", count: 2);""");

        Assert.Equal(3, reply.Results.Length);
        Assert.Equal(3, reply.Texts.Distinct().Count());
        Assert.All(reply.Texts, value => Assert.Contains(value, new[] { "1", "2", "3", "4", "5", "6" }));
    }

    [Fact]
    public async Task OverKeysAStartBeyondTheEndPassesNothing()
    {
        var prefix = await fixture.KeysAsync("limit-beyond", "1", "2");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Limit(5, 2).Run("{{prefix}}*");"""));
    }

    [Fact]
    public async Task ALimitAfterAGatheringStepLimitsItsOutput()
    {
        var reply = await fixture.RunAsync($"{Letters}.Sort().Limit(2, 1).Run();");

        Assert.Equal(["d", "c"], reply.Texts);
    }

    [Fact]
    public async Task RecordsThatFailedBeforeTheLimitDoNotCount()
    {
        var code = $$"""
            {{Letters}}
                .Map(s => s == "b" ? throw new InvalidOperationException("no b") : s)
                .Limit(2, 1)
                .Run();
            """;

        var reply = await fixture.RunAsync(code);

        Assert.Equal(["c", "d"], reply.Texts);
        Assert.Equal([reply.Failure("no b", Runs.LineOf(code, "throw"))], reply.Errors);
    }
}
