using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// RG.CSEXECUTE (RedisGears' RG.PYEXECUTE in C#): its grammar, its replies, and that a submission
/// either takes effect whole or changes nothing (GEARS-REFERENCE.md, "Commands"). Events are fired by
/// writes made straight to Redis.
/// </summary>
public sealed class CsExecuteTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    [Fact]
    public async Task AScriptThatRegistersIsAnsweredOkAndItsRegistrationFires()
    {
        var session = GearsFixture.Unique("ok");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("ok") + ":");

        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(Scripts.Recorder(log, prefix + "*"), "ID", session));

        Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        await fixture.RegistrationOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "a", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "a", "set", "string", "string:1"));
    }

    [Fact]
    public async Task OptionsComeInAnyOrderAndInAnyCase()
    {
        var session = GearsFixture.Unique("order");
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("order") + ":*");

        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(code, "description", "d", "UNBLOCKING", "id", session));

        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal("d", entry.Text("sessionDescription"));
    }

    [Fact]
    public async Task ACompileErrorIsOneErrorReplyListingEachDiagnosticWithItsLineAndColumn()
    {
        var session = GearsFixture.Unique("compile");

        var reply = await fixture.SubmitAsync("var x = ;\nNoSuchMethod();", "ID", session);

        // One error reply, on one line, with both errors: line 1 column 9 and line 2 column 1.
        Assert.StartsWith("-ERR ", reply);
        Assert.Equal(reply.Length - 2, reply.IndexOf('\r'));
        Assert.Contains("1:9: CS1525", reply);
        Assert.Contains("2:1: CS0103", reply);
        Assert.Contains("NoSuchMethod", reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Fact]
    public async Task ABodyThatThrowsIsAnErrorNamingTheExceptionAndTheScriptLineAndRegistersNothing()
    {
        var session = GearsFixture.Unique("throws");
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("throws") + ":*")
            + "throw new InvalidOperationException(\"the body gave up\");\n";
        var line = Array.FindIndex(code.Split('\n'), l => l.StartsWith("throw", StringComparison.Ordinal)) + 1;

        var reply = await fixture.SubmitAsync(code, "ID", session);

        Assert.StartsWith("-ERR ", reply);
        Assert.Contains("InvalidOperationException: the body gave up", reply);
        Assert.Contains($"{session}.csx:line {line}", reply);
        // The registration made before the throw is not kept.
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Empty(await fixture.RegistrationsOfAsync(session));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("../escape")]
    [InlineData("semi;colon")]
    [InlineData("brace{x}")]
    [InlineData("")]
    public async Task AnIdWithCharactersOutsideLettersDigitsUnderscoreAndDashIsRefused(string id)
    {
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("badid") + ":*");
        var before = (await fixture.SessionsAsync()).Count;

        var reply = await fixture.SubmitAsync(code, "ID", id);

        Assert.StartsWith("-ERR ", reply);
        Assert.Equal(before, (await fixture.SessionsAsync()).Count);
    }

    [Fact]
    public async Task AReplaceWithIdWithInvalidCharactersIsRefused()
    {
        var reply = await fixture.SubmitAsync("var nothing = 0;", "REPLACE_WITH", "no/slashes");
        Assert.StartsWith("-ERR ", reply);
    }

    [Fact]
    public async Task AnExistingIdWithoutUpgradeIsRefusedAndTheSessionStaysAsItWas()
    {
        var session = GearsFixture.Unique("exists");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("exists") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", "v1:"), "ID", session);
        var registration = await fixture.RegistrationIdOfAsync(session);

        var reply = await fixture.SubmitAsync(Scripts.Recorder(log, prefix + "*", "v2:"), "ID", session);

        Assert.StartsWith("-", reply);
        Assert.Contains($"Session {session} already exists", reply);
        Assert.Equal(registration, await fixture.RegistrationIdOfAsync(session));
        await fixture.DirectAsync("SET", prefix + "a", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "a", "set", "string", "string:1", "v1:"));
        Assert.DoesNotContain(await fixture.ListAsync(log), item => item.StartsWith("v2:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UpgradeReplacesTheSessionsRegistrations()
    {
        var session = GearsFixture.Unique("upgrade");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("upgrade") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", "v1:"), "ID", session);
        var old = await fixture.RegistrationIdOfAsync(session);
        await fixture.DirectAsync("SET", prefix + "before", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "before", "set", "string", "string:1", "v1:"));

        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(Scripts.Recorder(log, prefix + "*", "v2:"), "ID", session, "UPGRADE"));

        var current = await fixture.RegistrationIdOfAsync(session);
        Assert.NotEqual(old, current);
        Assert.DoesNotContain(await fixture.RegistrationsAsync(), r => r.Text("id") == old);
        await fixture.DirectAsync("SET", prefix + "after", "2");
        await fixture.DirectAsync("SET", prefix + "after2", "3");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "after2", "set", "string", "string:3", "v2:"));
        // Sync executions run in event order: had v1 still fired for "after", it would be logged by now.
        Assert.Equal(
            [
                Scripts.Entry(prefix + "before", "set", "string", "string:1", "v1:"),
                Scripts.Entry(prefix + "after", "set", "string", "string:2", "v2:"),
                Scripts.Entry(prefix + "after2", "set", "string", "string:3", "v2:"),
            ],
            await fixture.ListAsync(log));
    }

    [Fact]
    public async Task UpgradeOfAnIdThatDoesNotExistYetCreatesTheSession()
    {
        var session = GearsFixture.Unique("upgrade-new");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("upgrade-new") + ":");

        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(Scripts.Recorder(log, prefix + "*"), "ID", session, "UPGRADE"));

        Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        await fixture.DirectAsync("SET", prefix + "a", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "a", "set", "string", "string:1"));
    }

    [Fact]
    public async Task EventsThatHappenedBeforeAnUpgradeAreHandledByTheOldOrTheNewCodeNoneLost()
    {
        var session = GearsFixture.Unique("atomic");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("atomic") + ":");
        // Each execution of v1 takes a few milliseconds, so that events queue up behind it.
        string Slow(string tag) => Scripts.Show + $$"""
            GB().ForEach(r => { System.Threading.Thread.Sleep(3); Execute("RPUSH", "{{log}}", "{{tag}}" + r.Key); }).Register(prefix: "{{prefix}}*", eventTypes: new[] { "set" }, mode: ExecutionMode.Sync);
            """;
        await fixture.SubmitOkAsync(Slow("v1:"), "ID", session);
        var keys = Enumerable.Range(0, 200).Select(i => $"{prefix}{i:D3}").ToList();
        await using (var client = await RawClient.ConnectAsync(fixture.Redis.Port))
        {
            await client.SendAsync([.. keys.SelectMany(key => RawClient.Encode("SET", key, "1"))]);
            foreach (var _ in keys)
            {
                Assert.Equal("+OK\r\n", await client.ReadAsync());
            }
        }

        // Every one of those writes happened before the upgrade was even sent.
        await fixture.SubmitOkAsync(Slow("v2:"), "ID", session, "UPGRADE");
        await fixture.DirectAsync("SET", prefix + "marker", "1");

        await fixture.WaitForItemAsync(log, "v2:" + prefix + "marker", TimeSpan.FromSeconds(30));
        var handled = (await fixture.ListAsync(log)).Select(item => item[3..]).ToList();
        var wrong = keys.Select(key => (Key: key, Times: handled.Count(h => h == key))).Where(k => k.Times != 1).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {keys.Count} events were not handled exactly once, e.g. {string.Join(", ", wrong.Take(5))}");
    }

    [Theory]
    [InlineData("a compile error")]
    [InlineData("a body that throws after registering")]
    public async Task ABrokenUpgradeLeavesTheOldRegistrationsWorking(string broken)
    {
        var session = GearsFixture.Unique("broken");
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("broken") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", "v1:"), "ID", session);
        var old = await fixture.RegistrationIdOfAsync(session);
        var code = Scripts.Recorder(log, prefix + "*", "v2:") + (broken == "a compile error"
            ? "this is not C#;\n"
            : "throw new InvalidOperationException(\"upgrade failed\");\n");

        var reply = await fixture.SubmitAsync(code, "ID", session, "UPGRADE");

        Assert.StartsWith("-ERR ", reply);
        Assert.Equal(old, await fixture.RegistrationIdOfAsync(session));
        await fixture.DirectAsync("SET", prefix + "a", "1");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "a", "set", "string", "string:1", "v1:"));
        Assert.Equal([Scripts.Entry(prefix + "a", "set", "string", "string:1", "v1:")], await fixture.ListAsync(log));
    }

    [Fact]
    public async Task ReplaceWithRemovesTheOtherSession()
    {
        var (replaced, replacing) = (GearsFixture.Unique("replaced"), GearsFixture.Unique("replacing"));
        var (log, prefix) = (GearsFixture.Unique("log"), GearsFixture.Unique("replace") + ":");
        await fixture.SubmitOkAsync(Scripts.Recorder(log, prefix + "*", "old:"), "ID", replaced);
        var old = await fixture.RegistrationIdOfAsync(replaced);

        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(Scripts.Recorder(log, prefix + "*", "new:"), "ID", replacing, "REPLACE_WITH", replaced));

        Assert.Empty(await fixture.SessionsAsync("SESSIONS", replaced));
        Assert.Single(await fixture.SessionsAsync("SESSIONS", replacing));
        Assert.DoesNotContain(await fixture.RegistrationsAsync(), r => r.Text("id") == old);
        await fixture.DirectAsync("SET", prefix + "a", "1");
        await fixture.DirectAsync("SET", prefix + "b", "2");
        await fixture.WaitForItemAsync(log, Scripts.Entry(prefix + "b", "set", "string", "string:2", "new:"));
        Assert.Equal(
            [Scripts.Entry(prefix + "a", "set", "string", "string:1", "new:"), Scripts.Entry(prefix + "b", "set", "string", "string:2", "new:")],
            await fixture.ListAsync(log));
    }

    [Fact]
    public async Task AnUnknownArgumentIsAnError()
    {
        var session = GearsFixture.Unique("unknown");
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("unknown") + ":*");

        var reply = await fixture.SubmitAsync(code, "ID", session, "NOSUCHOPTION");

        Assert.StartsWith("-ERR ", reply);
        Assert.Contains("NOSUCHOPTION", reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Theory]
    [InlineData("ID")]
    [InlineData("DESCRIPTION")]
    [InlineData("REPLACE_WITH")]
    public async Task AnOptionWithoutItsValueIsAnError(string option)
    {
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("novalue") + ":*");
        var before = (await fixture.RegistrationsAsync()).Count;

        var reply = await fixture.SubmitAsync(code, option);

        Assert.StartsWith("-ERR ", reply);
        Assert.Contains(option, reply);
        Assert.Equal(before, (await fixture.RegistrationsAsync()).Count);
    }

    [Fact]
    public async Task RgCsexecuteWithoutCodeIsAnArityError() =>
        Assert.Equal("-ERR wrong number of arguments for 'rg.csexecute' command\r\n", await fixture.CommandAsync("RG.CSEXECUTE"));

    [Fact]
    public async Task ADescriptionShowsAsDescAndAsSessionDescription()
    {
        var (described, plain) = (GearsFixture.Unique("described"), GearsFixture.Unique("plain"));
        var prefix = GearsFixture.Unique("desc") + ":*";
        await fixture.SubmitOkAsync(Scripts.Recorder(GearsFixture.Unique("log"), prefix), "ID", described, "DESCRIPTION", "counts the orders");
        await fixture.SubmitOkAsync(Scripts.Recorder(GearsFixture.Unique("log"), prefix), "ID", plain);

        Assert.Equal("counts the orders", (await fixture.RegistrationOfAsync(described)).Text("desc"));
        Assert.Equal("counts the orders", Assert.Single(await fixture.SessionsAsync("SESSIONS", described)).Text("sessionDescription"));
        // Without DESCRIPTION both are nil, as in RedisGears.
        Assert.Null((await fixture.RegistrationOfAsync(plain))["desc"]);
        Assert.Null(Assert.Single(await fixture.SessionsAsync("SESSIONS", plain))["sessionDescription"]);
    }

    [Fact]
    public async Task RgCsexecuteInsideMultiIsRefusedAndExecDiscardsTheTransaction()
    {
        var session = GearsFixture.Unique("multi");
        var key = GearsFixture.Unique("multi-key");
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("multi") + ":*");
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await client.CommandAsync("SET", key, "1"));
        var refused = await client.CommandAsync("RG.CSEXECUTE", code, "ID", session);
        var exec = await client.CommandAsync("EXEC");

        Assert.StartsWith("-ERR ", refused);
        Assert.Contains("MULTI", refused);
        Assert.StartsWith("-EXECABORT", exec);
        Assert.Equal("$-1\r\n", await fixture.DirectAsync("GET", key)); // the queued SET never ran
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING")); // and the connection goes on
    }

    [Fact]
    public async Task AMalformedRequirementIsRefusedClearlyAndNothingIsRegistered()
    {
        // Requirements themselves are tested in Requirements/; this one is refused before any restore.
        var session = GearsFixture.Unique("reqs");
        var code = Scripts.Recorder(GearsFixture.Unique("log"), GearsFixture.Unique("reqs") + ":*");

        var reply = await fixture.SubmitAsync(code, "ID", session, "REQUIREMENTS", "Newtonsoft.Json>=13.0.1");

        Assert.StartsWith("-ERR requirement 'Newtonsoft.Json>=13.0.1' does not name a NuGet package: write Package==Version", reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Empty(await fixture.RegistrationsOfAsync(session));
    }

    [Fact]
    public async Task AScriptThatRegistersNothingIsAnsweredOkAndLeavesNoSession()
    {
        var session = GearsFixture.Unique("nothing");
        var marker = GearsFixture.Unique("nothing-ran");

        // The body runs (its Execute happens) even though nothing is registered.
        Assert.Equal("+OK\r\n", await fixture.SubmitAsync($"Execute(\"SET\", \"{marker}\", \"ran\");", "ID", session));

        Assert.Equal("ran", await fixture.GetAsync(marker));
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        // And the id is free again: no "already exists".
        Assert.Equal("+OK\r\n", await fixture.SubmitAsync("var nothing = 0;", "ID", session));
    }
}
