using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// What <c>GB(reader)...Run()</c> reads (GEARS-REFERENCE.md, "Readers"): the KeysReader scans the
/// keyspace with a MATCH pattern (or, noScan, reads one key), giving each key with its value and type;
/// the KeysOnlyReader gives key names; the ShardsIDReader one record per shard; a generator reader
/// what its enumerable yields. <c>RG.CSEXECUTE</c> replies <c>[[results...], [errors...]]</c>. Keys
/// are written straight to Redis.
/// </summary>
/// <remarks>The tests share one Redis, so each reads keys of its own prefix (<see cref="GearsFixture.Unique"/>).</remarks>
public sealed class ReaderTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    /// <summary>Runs <paramref name="code"/>; its results and errors (the reply must be [[...],[...]]).</summary>
    private async Task<(object?[] Results, string[] Errors)> RunAsync(string code)
    {
        var reply = Reply.Parse(await fixture.SubmitAsync(code));
        var parts = Assert.IsType<object?[]>(reply);
        Assert.Equal(2, parts.Length);
        return (Assert.IsType<object?[]>(parts[0]), Reply.Strings(parts[1]));
    }

    /// <summary>Runs <paramref name="code"/>, which must give strings and no errors; them, sorted.</summary>
    private async Task<string[]> SortedAsync(string code)
    {
        var (results, errors) = await RunAsync(code);
        Assert.True(errors.Length == 0, $"errors: {string.Join(" / ", errors)}");
        return [.. results.Select(r => Assert.IsType<string>(r)).Order(StringComparer.Ordinal)];
    }

    private const string ShowRecord = Scripts.Show + """
        string Line(KeyRecord r) => r.Key + "|" + r.Type + "|" + Show(r.Value) + "|" + (r.Event ?? "no event");

        """;

    [Fact]
    public async Task TheKeysReaderReadsOnlyTheKeysThatMatchThePattern()
    {
        var prefix = GearsFixture.Unique("pattern");
        var other = GearsFixture.Unique("other");
        await fixture.DirectAsync("MSET", prefix + ":a", "1", prefix + ":b", "2", prefix + "x", "3", other + ":a", "4");

        var lines = await SortedAsync(ShowRecord + $$"""GB().Map(Line).Run("{{prefix}}:*");""");

        Assert.Equal([$"{prefix}:a|string|string:1|no event", $"{prefix}:b|string|string:2|no event"], lines);
    }

    [Fact]
    public async Task TheKeysReaderGivesStringsHashesAsMapsListsAndNoValueForOtherTypes()
    {
        var prefix = GearsFixture.Unique("types");
        await fixture.DirectAsync("SET", prefix + ":string", "text");
        await fixture.DirectAsync("HSET", prefix + ":hash", "b", "2", "a", "1");
        await fixture.DirectAsync("RPUSH", prefix + ":list", "x", "y", "z");
        await fixture.DirectAsync("SADD", prefix + ":set", "m");

        var lines = await SortedAsync(ShowRecord + $$"""GB().Map(Line).Run("{{prefix}}:*");""");

        Assert.Equal(
            [
                $"{prefix}:hash|hash|map:a=1,b=2|no event",
                $"{prefix}:list|list|list:x,y,z|no event",
                $"{prefix}:set|set|null|no event",
                $"{prefix}:string|string|string:text|no event",
            ],
            lines);
    }

    [Fact]
    public async Task WithoutReadValueRecordsCarryTheKeyButNoValue()
    {
        var prefix = GearsFixture.Unique("novalue");
        await fixture.DirectAsync("SET", prefix + ":string", "text");
        await fixture.DirectAsync("HSET", prefix + ":hash", "a", "1");

        var lines = await SortedAsync($$"""GB().Map(r => r.Key + "|" + (r.Value is null ? "no value" : "a value")).Run("{{prefix}}:*", readValue: false);""");

        Assert.Equal([$"{prefix}:hash|no value", $"{prefix}:string|no value"], lines);
    }

    [Fact]
    public async Task NoScanReadsTheOneKeyThePatternNamesEvenWhenItLooksLikeAPattern()
    {
        var prefix = GearsFixture.Unique("noscan");
        await fixture.DirectAsync("MSET", prefix + ":*", "star", prefix + ":a", "a");

        var lines = await SortedAsync(ShowRecord + $$"""GB().Map(Line).Run("{{prefix}}:*", noScan: true);""");

        Assert.Equal([$"{prefix}:*|string|string:star|no event"], lines);
    }

    [Fact]
    public async Task NoScanOfAMissingKeyGivesNoRecord()
    {
        var key = GearsFixture.Unique("missing");

        Assert.Equal("*2\r\n*0\r\n*0\r\n", await fixture.SubmitAsync($$"""GB().Map(r => r.Key).Run("{{key}}", noScan: true);"""));
    }

    [Fact]
    public async Task MoreKeysThanCountAreReadInPagesEachKeyWithItsOwnValue()
    {
        var prefix = GearsFixture.Unique("pages");
        var keys = Enumerable.Range(0, 2500).Select(i => $"{prefix}:{i}").ToArray();
        await fixture.DirectAsync(["MSET", .. keys.SelectMany(key => new[] { key, "v" + key })]);
        await fixture.DirectAsync("HSET", prefix + ":hash", "f", "1"); // read one by one, among the MGETs

        var lines = await SortedAsync($$"""GB().Map(r => r.Key + "=" + (r.Value is string s ? s : r.Type)).Run("{{prefix}}:*", count: 100);""");

        // SCAN may give a key twice (only while Redis rehashes), never miss one.
        var expected = keys.Select(key => $"{key}=v{key}").Append($"{prefix}:hash=hash").ToHashSet();
        Assert.True(expected.SetEquals(lines), $"{lines.Length} records, {lines.Distinct().Count()} distinct, {expected.Except(lines).Count()} keys missing, {lines.Except(expected).Count()} unexpected");
    }

    [Fact]
    public async Task TheKeysOnlyReaderGivesTheNamesOfKeysOfEveryType()
    {
        var prefix = GearsFixture.Unique("keysonly");
        await fixture.DirectAsync("SET", prefix + ":string", "text");
        await fixture.DirectAsync("HSET", prefix + ":hash", "a", "1");
        await fixture.DirectAsync("SET", GearsFixture.Unique("other"), "x");

        var names = await SortedAsync($$"""GB(Readers.KeysOnly).Map(key => "name:" + key).Run("{{prefix}}:*");""");

        Assert.Equal([$"name:{prefix}:hash", $"name:{prefix}:string"], names);
    }

    [Fact]
    public async Task TheKeysOnlyReaderReadsMoreKeysThanCountEachOnce()
    {
        var prefix = GearsFixture.Unique("keyspages");
        var keys = Enumerable.Range(0, 2500).Select(i => $"{prefix}:{i}").ToArray();
        await fixture.DirectAsync(["MSET", .. keys.SelectMany(key => new[] { key, "v" })]);

        var names = await SortedAsync($$"""GB(Readers.KeysOnly).Run("{{prefix}}:*", count: 100);""");

        Assert.True(keys.ToHashSet().SetEquals(names), $"{names.Length} records, {names.Distinct().Count()} distinct, {keys.Except(names).Count()} keys missing");
    }

    [Fact]
    public async Task TheShardsIdReaderGivesOneRecordTheShardsId()
    {
        Assert.Equal(
            Frames.Array(Frames.Array(Frames.Bulk(new string('0', 40))), Frames.Array()),
            await fixture.SubmitAsync("GB(Readers.ShardsId).Run();"));
    }

    [Fact]
    public async Task AGeneratorReaderGivesWhatAnEnumerableYieldsInOrder()
    {
        Assert.Equal(
            Frames.Array(Frames.Array(":10\r\n", ":20\r\n", ":30\r\n", ":40\r\n", ":50\r\n"), Frames.Array()),
            await fixture.SubmitAsync("GB(Readers.Generator(Enumerable.Range(1, 5))).Map(i => i * 10).Run(count: 2);"));
    }

    [Fact]
    public async Task AGeneratorReaderAwaitsAnAsyncEnumerableThatAwaitsRedis()
    {
        var counter = GearsFixture.Unique("counter");

        var reply = await fixture.SubmitAsync($$"""
            async IAsyncEnumerable<string> Items()
            {
                for (var i = 0; i < 4; i++)
                {
                    await Task.Yield();
                    var value = (long)(await ExecuteAsync("INCR", "{{counter}}"))!;
                    yield return "item" + value;
                }
            }
            GB(Readers.Generator(Items())).Map(item => item + "!").Run(count: 3);
            """);

        Assert.Equal(Frames.Array(Frames.Array(Frames.Bulk("item1!"), Frames.Bulk("item2!"), Frames.Bulk("item3!"), Frames.Bulk("item4!")), Frames.Array()), reply);
        Assert.Equal("4", await fixture.GetAsync(counter));
    }

    [Theory]
    [InlineData("IEnumerable<long>", "", "Execute(\"INCR\", \"COUNTER\")")]
    [InlineData("async IAsyncEnumerable<long>", "await Task.Yield();", "await ExecuteAsync(\"INCR\", \"COUNTER\")")]
    public async Task ALimitEndsTheRunAndTheReaderStopsReadingAnEndlessGenerator(string type, string pause, string count)
    {
        var counter = GearsFixture.Unique("read");

        // Endless: the run can only end because the Limit stops the reader.
        var reply = await fixture.SubmitAsync($$"""
            {{type}} Endless()
            {
                for (long i = 0; ; i++)
                {
                    {{pause}}
                    {{count.Replace("COUNTER", counter)}};
                    yield return i;
                }
            }
            GB(Readers.Generator(Endless())).Limit(3).Run(count: 1);
            """);

        Assert.Equal(Frames.Array(Frames.Array(":0\r\n", ":1\r\n", ":2\r\n"), Frames.Array()), reply);
        // The reader reads ahead of the steps by at most two batches (of one record here), and one
        // more may be on its way into the queue: at most 3 + 2 + 1 records were ever read.
        var read = long.Parse((await fixture.GetAsync(counter))!);
        Assert.InRange(read, 3, 6);
    }

    [Fact]
    public async Task ACommandReaderCannotRun()
    {
        Assert.Equal(
            "-ERR the CommandReader cannot Run: it only reads for Register()\r\n",
            await fixture.SubmitAsync("GB(Readers.Command).Run();"));
    }

    [Theory]
    [InlineData("Readers.KeysOnly", "KeysOnlyReader")]
    [InlineData("Readers.ShardsId", "ShardsIDReader")]
    [InlineData("Readers.Generator(new[] { 1, 2 })", "GeneratorReader")]
    public async Task AReaderThatOnlyRunsCannotRegisterAndTheSubmissionLeavesNoSession(string reader, string name)
    {
        var session = GearsFixture.Unique("runonly");

        var reply = await fixture.SubmitAsync($"GB({reader}).Register();", "ID", session);

        Assert.Equal($"-ERR the {name} cannot Register: it only reads for Run()\r\n", reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }
}
