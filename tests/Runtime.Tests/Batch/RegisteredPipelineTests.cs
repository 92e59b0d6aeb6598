using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// The operations in <c>Register</c>ed pipelines: on each <c>set</c> event (written straight to
/// Redis) the steps run over that event's record, the gathering ones (CountBy, Limit, Sort, Count, ...)
/// over that event alone, starting afresh each time; a lambda that throws fails the execution (its
/// error, with the script line, is the registration's lastError) and the next event runs as usual.
/// Each test waits on numSuccess/numFailures or on what the pipeline wrote, never on time.
/// </summary>
public sealed class RegisteredPipelineTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private const string Words = """.FlatMap(r => ((string)r.Value!).Split(' '))""";

    /// <summary>
    /// Registers <c>GB()<paramref name="pipeline"/></c>, its records pushed to a log list, on set events
    /// of a fresh prefix (Sync: executions run in event order); returns the prefix, log, session and registration id.
    /// </summary>
    private async Task<(string Prefix, string Log, string Session, string Id)> RegisterAsync(string pipeline)
    {
        var (prefix, log, session) = (GearsFixture.Unique("reg") + ":", GearsFixture.Unique("log"), GearsFixture.Unique("session"));
        await fixture.SubmitOkAsync($$"""
            GB(){{pipeline}}
                .ForEach(x => Execute("RPUSH", "{{log}}", string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}", x)))
                .Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" }, mode: ExecutionMode.Sync);
            """, "ID", session);
        return (prefix, log, session, await fixture.RegistrationIdOfAsync(session));
    }

    public static TheoryData<string, string, string[]> Pipelines => new()
    {
        { $"{Words}.Map(w => w.ToUpperInvariant())", "a b", ["A", "B"] },
        { $"{Words}.FlatMap(w => new[] {{ w, w }})", "a b", ["a", "a", "b", "b"] },
        { $"{Words}.Filter(w => w != \"b\")", "a b c", ["a", "c"] },
        { $"{Words}.Accumulate((string? a, string w) => a + w)", "a b c", ["abc"] },
        { $"{Words}.Limit(2, 1)", "w x y z", ["x", "y"] },
        { $"{Words}.Limit(2, 5)", "w x y z", [] },
        { $"{Words}.LocalGroupBy(w => w[0], (char k, long n, string w) => n + 1).Map(kv => kv.Key + \"=\" + kv.Value)", "ab ac b", ["a=2", "b=1"] },
        { $"{Words}.GroupBy(w => w[0], (char k, long n, string w) => n + w.Length).Map(kv => kv.Key + \"=\" + kv.Value)", "ab acd b", ["a=5", "b=1"] },
        { $"{Words}.BatchGroupBy(w => w[0], (k, ws) => string.Join(\"+\", ws)).Map(kv => kv.Key + \"=\" + kv.Value)", "ab ac b", ["a=ab+ac", "b=b"] },
        { $"{Words}.Collect()", "a b", ["a", "b"] },
        { $"{Words}.Repartition(w => w)", "a b", ["a", "b"] },
        { $"{Words}.Aggregate(0L, (n, w) => n + w.Length, (n, m) => n + m)", "ab c", ["3"] },
        { $"{Words}.AggregateBy(w => w.Length, \"\", (k, a, w) => a + w, (k, a, b) => a + b).Map(kv => kv.Key + \"=\" + kv.Value)", "ab c de", ["2=abde", "1=c"] },
        { $"{Words}.Count()", "a b c", ["3"] },
        { $"{Words}.Filter(w => false).Count()", "a b c", [] },
        { $"{Words}.CountBy().Map(kv => kv.Key + \"=\" + kv.Value)", "a b a", ["a=2", "b=1"] },
        { $"{Words}.Distinct().Sort(reverse: false)", "b a b a c", ["a", "b", "c"] },
        { $"{Words}.Avg(w => w.Length)", "a abcd", ["2.5"] },
        { $"{Words}.Sort()", "b c a", ["c", "b", "a"] },
        { $"{Words}.Sort(w => w.Length, reverse: false)", "ccc a bb", ["a", "bb", "ccc"] },
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public async Task EachOperationRunsOverOneEventsRecords(string pipeline, string value, string[] expected)
    {
        var (prefix, log, _, id) = await RegisterAsync(pipeline);

        await fixture.DirectAsync("SET", prefix + "k", value);

        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);
        Assert.Equal(expected, await fixture.ListAsync(log));
        Assert.Equal(0, (await fixture.StatisticsAsync(id)).Integer("numFailures"));
    }

    [Fact]
    public async Task AWordCountWrittenWithExecuteAddsUpOverEvents()
    {
        var (prefix, counts, session) = (GearsFixture.Unique("wc") + ":", GearsFixture.Unique("counts"), GearsFixture.Unique("session"));
        await fixture.SubmitOkAsync($$"""
            GB(){{Words}}
                .CountBy(w => w)
                .ForEach(kv => Execute("HINCRBY", "{{counts}}", kv.Key, kv.Value))
                .Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" }, mode: ExecutionMode.Sync);
            """, "ID", session);

        await fixture.DirectAsync("SET", prefix + "1", "the cat and the hat");
        await fixture.DirectAsync("SET", prefix + "2", "the end");

        var expected = new Dictionary<string, string> { ["the"] = "3", ["cat"] = "1", ["and"] = "1", ["hat"] = "1", ["end"] = "1" };
        Dictionary<string, string> last = [];
        await Wait.UntilAsync(
            async () =>
            {
                var pairs = Reply.Strings(Reply.Parse(await fixture.DirectAsync("HGETALL", counts)));
                last = Enumerable.Range(0, pairs.Length / 2).ToDictionary(i => pairs[2 * i], i => pairs[2 * i + 1]);
                return last.Count == expected.Count && expected.All(p => last.GetValueOrDefault(p.Key) == p.Value);
            },
            $"{counts} holds the word count (last: {string.Join(", ", last.Select(p => p.Key + "=" + p.Value))})");
    }

    [Fact]
    public async Task LimitAndSortStartAfreshForEachEvent()
    {
        var (prefix, log, _, id) = await RegisterAsync($"{Words}.Sort().Limit(2, 1)");

        await fixture.DirectAsync("SET", prefix + "1", "a d c b");
        await fixture.DirectAsync("SET", prefix + "2", "only");
        await fixture.DirectAsync("SET", prefix + "3", "z x y");

        await fixture.WaitForStatisticAsync(id, "numSuccess", 3);
        // Event 1: d c b a -> c b; event 2: one word, none after the first; event 3: z y x -> y x.
        Assert.Equal(["c", "b", "y", "x"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task AnAggregateWithAFactoryZeroStartsFromAFreshValueForEachEvent()
    {
        var (prefix, log, _, id) = await RegisterAsync($$"""
            {{Words}}.Aggregate(() => new List<string>(), (l, w) => { l.Add(w); return l; }, (l, m) => { l.AddRange(m); return l; })
                .Map(l => string.Join(",", l))
            """);

        await fixture.DirectAsync("SET", prefix + "1", "a b");
        await fixture.DirectAsync("SET", prefix + "2", "c");

        await fixture.WaitForStatisticAsync(id, "numSuccess", 2);
        Assert.Equal(["a,b", "c"], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task ALambdaThatThrowsFailsTheExecutionWithItsLineAndTheNextEventRuns()
    {
        var pipeline = $$"""
            {{Words}}
                .Map(w => w == "bad" ? throw new InvalidOperationException("bad word") : w)
                .Count()
            """;
        var (prefix, log, session, id) = await RegisterAsync(pipeline);
        // The registration's script is the pipeline in RegisterAsync's template, which starts with "GB()" on line 1.
        var line = Runs.LineOf("GB()" + pipeline, "throw");

        await fixture.DirectAsync("SET", prefix + "1", "good bad good");
        await fixture.DirectAsync("SET", prefix + "2", "fine words");

        await fixture.WaitForStatisticAsync(id, "numSuccess", 1);
        var statistics = await fixture.StatisticsAsync(id);
        Assert.Equal((2, 1, 1), (statistics.Integer("numTriggered"), statistics.Integer("numSuccess"), statistics.Integer("numFailures")));
        Assert.Equal($"InvalidOperationException: bad word (at {session}.csx:line {line})", statistics.Text("lastError"));
        // The failed execution wrote nothing: no partial count.
        Assert.Equal(["2"], await fixture.ListAsync(log));
    }
}
