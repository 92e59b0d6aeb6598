using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// RG.CONFIGGET and RG.CONFIGSET: RedisGears' built-in settings with their defaults, SharpGears'
/// execution time-out, and extra keys that are kept for scripts to read with GearsConfigGet.
/// </summary>
public sealed class ConfigurationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    /// <summary>A setting's value, whether the reply gave it as a bulk string or as an integer.</summary>
    private static string? AsText(object? value) => value switch
    {
        long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => (string?)value,
    };

    [Fact]
    public async Task BuiltInSettingsHaveRedisGearsDefaults()
    {
        var values = Assert.IsType<object?[]>(await fixture.ValueAsync(
            "RG.CONFIGGET", "MaxExecutions", "MaxExecutionsPerRegistration", "ProfileExecutions", "ExecutionThreads", "ExecutionMaxIdleTime", "ExecutionTimeout"));

        // 60000 ms is SharpGears' default execution time-out (SharpGearsOptions.ExecutionTimeout).
        Assert.Equal(["1000", "100", "0", "3", "5000", "60000"], values.Select(AsText));
    }

    [Fact]
    public async Task BuiltInNumericSettingsAreIntegerRepliesAsInRedisGears()
    {
        // RedisGears 1.2 answers RG.CONFIGGET MaxExecutions with an integer (its own tests compare it
        // with a number: equal([n]) after RG.CONFIGSET MaxExecutions n), and ProfileExecutions with 0.
        Assert.Equal("*1\r\n:1000\r\n", await fixture.CommandAsync("RG.CONFIGGET", "MaxExecutions"));
        Assert.Equal("*1\r\n:0\r\n", await fixture.CommandAsync("RG.CONFIGGET", "ProfileExecutions"));
    }

    [Fact]
    public async Task SettingAnUnknownKeyKeepsItInTheExtraDictionaryAndItCanBeReadBack()
    {
        var key = GearsFixture.Unique("Extra");

        Assert.Equal("*1\r\n+OK - value was saved in extra config dictionary\r\n", await fixture.CommandAsync("RG.CONFIGSET", key, "hello world"));

        Assert.Equal(["hello world"], Reply.Strings(await fixture.ValueAsync("RG.CONFIGGET", key)));
    }

    [Fact]
    public async Task ScriptsReadSettingsWithGearsConfigGetAtTheTimeTheyRun()
    {
        var key = GearsFixture.Unique("Script");
        var (output, prefix) = (GearsFixture.Unique("out"), GearsFixture.Unique("cfg") + ":");
        await fixture.CommandAsync("RG.CONFIGSET", key, "first");
        await fixture.SubmitOkAsync(
            $$"""
            GB().ForEach(r => Execute("SET", "{{output}}", GearsConfigGet("{{key}}") + "|" + GearsConfigGet("NoSuchSetting-{{key}}", "fallback") + "|" + GearsConfigGet("MaxExecutions")))
                .Register(prefix: "{{prefix}}*", mode: ExecutionMode.Sync);
            """,
            "ID", GearsFixture.Unique("cfg"));

        await fixture.DirectAsync("SET", prefix + "1", "x");
        await fixture.WaitForValueAsync(output, "first|fallback|1000");

        Assert.Equal("*1\r\n+OK - value was saved in extra config dictionary\r\n", await fixture.CommandAsync("RG.CONFIGSET", key, "second"));
        await fixture.DirectAsync("SET", prefix + "2", "x");
        await fixture.WaitForValueAsync(output, "second|fallback|1000");
    }

    [Fact]
    public async Task SettingABuiltInAnswersOkAndChangesIt()
    {
        var extra = GearsFixture.Unique("Mixed");
        try
        {
            var replies = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGSET", extra, "1", "MaxExecutions", "1234"));

            Assert.Equal(new Reply.Status("OK - value was saved in extra config dictionary"), replies[0]);
            Assert.Equal(new Reply.Status("OK"), replies[1]);
            Assert.Equal("1234", AsText(Assert.Single(Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGGET", "MaxExecutions")))));
        }
        finally
        {
            await fixture.CommandAsync("RG.CONFIGSET", "MaxExecutions", "1000");
        }
    }

    [Fact]
    public async Task ExecutionThreadsCannotBeChangedAtRunTime()
    {
        var replies = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGSET", "ExecutionThreads", "5"));

        var error = Assert.IsType<Reply.Error>(Assert.Single(replies));
        Assert.Contains("ExecutionThreads", error.Text);
        Assert.Equal("3", AsText(Assert.Single(Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGGET", "ExecutionThreads")))));
    }

    [Fact]
    public async Task ABuiltInNumericSettingRefusesAValueThatIsNotANumber()
    {
        var replies = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGSET", "MaxExecutions", "many"));

        Assert.IsType<Reply.Error>(Assert.Single(replies));
        Assert.Equal("1000", AsText(Assert.Single(Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGGET", "MaxExecutions")))));
    }

    [Fact]
    public async Task AnUnknownKeyInConfigGetIsAnErrorEntryAmongTheOtherValues()
    {
        var unknown = GearsFixture.Unique("NoSuchConfig");

        var values = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.CONFIGGET", unknown, "MaxExecutions"));

        Assert.Equal(2, values.Length);
        Assert.Contains(unknown, Assert.IsType<Reply.Error>(values[0]).Text);
        Assert.Equal("1000", AsText(values[1]));
    }

    [Theory]
    [InlineData("RG.CONFIGGET")]
    [InlineData("RG.CONFIGSET")]
    [InlineData("RG.CONFIGSET", "OnlyAKey")]
    [InlineData("RG.CONFIGSET", "a", "1", "b")]
    public async Task AWrongNumberOfArgumentsIsAnArityError(params string[] command) =>
        Assert.Equal($"-ERR wrong number of arguments for '{command[0].ToLowerInvariant()}' command\r\n", await fixture.CommandAsync(command));
}
