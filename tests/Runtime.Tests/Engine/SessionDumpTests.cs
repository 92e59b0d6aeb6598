using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// RG.DUMPSESSIONS (RedisGears' RG.PYDUMPSESSIONS): one entry per session with RedisGears 1.2's
/// fields in order; VERBOSE gives the registrations in full, SESSIONS picks sessions by id.
/// </summary>
public sealed class SessionDumpTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private async Task<string> SubmitTwoRegistrationsAsync(string description)
    {
        var session = GearsFixture.Unique("dump");
        var prefix = GearsFixture.Unique("dump");
        await fixture.SubmitOkAsync(
            $$"""
            GB().Register(prefix: "{{prefix}}:a", eventTypes: new[] { "set" });
            GB().Register(prefix: "{{prefix}}:b", eventTypes: new[] { "set" });
            """,
            "ID", session, "DESCRIPTION", description);
        return session;
    }

    [Fact]
    public async Task AnEntryHasRedisGearsFieldsInOrder()
    {
        var session = await SubmitTwoRegistrationsAsync("two of them");
        var registrations = (await fixture.RegistrationsOfAsync(session)).Select(r => r.Text("id")).ToArray();

        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));

        // RedisGears' fields in its order, then SharpGears' own: the file the code comes from, and why it last failed to load.
        Assert.Equal(["ID", "sessionDescription", "refCount", "linked", "dead", "requirementInstallationNeeded", "requirements", "registrations", "origin", "lastError"], entry.Names);
        Assert.Equal(session, entry.Text("ID"));
        Assert.Equal("two of them", entry.Text("sessionDescription"));
        Assert.Equal(2, entry.Integer("refCount"));
        Assert.Equal("primary", entry.Text("linked"));
        Assert.Equal("false", entry.Text("dead"));
        Assert.Equal(0, entry.Integer("requirementInstallationNeeded"));
        Assert.Empty(Assert.IsType<object?[]>(entry["requirements"]));
        Assert.Null(entry["origin"]);
        Assert.Null(entry["lastError"]);
        Assert.Equal(2, registrations.Length);
        Assert.Equal(registrations, Reply.Strings(entry["registrations"]));
    }

    [Fact]
    public async Task VerboseGivesEachRegistrationAsRgDumpregistrationsDoes()
    {
        var session = await SubmitTwoRegistrationsAsync("verbose");
        var registrations = await fixture.RegistrationsOfAsync(session);

        var entry = Assert.Single(await fixture.SessionsAsync("VERBOSE", "SESSIONS", session));

        var full = Assert.IsType<object?[]>(entry["registrations"]);
        Assert.Equal(registrations.Select(r => r.ToString()), full.Select(r => new Pairs(r).ToString()));
    }

    [Fact]
    public async Task SessionsPicksTheGivenIdsOnly()
    {
        var (first, second) = (await SubmitTwoRegistrationsAsync("first"), await SubmitTwoRegistrationsAsync("second"));

        Assert.Equal([first], (await fixture.SessionsAsync("SESSIONS", first)).Select(s => s.Text("ID")));
        Assert.Equal(
            new[] { first, second }.Order(StringComparer.Ordinal),
            (await fixture.SessionsAsync("SESSIONS", first, second)).Select(s => s.Text("ID")!).Order(StringComparer.Ordinal));
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", GearsFixture.Unique("nosuch")));
        var all = (await fixture.SessionsAsync()).Select(s => s.Text("ID")).ToList();
        Assert.Contains(first, all);
        Assert.Contains(second, all);
    }

    [Fact]
    public async Task AnUnknownArgumentIsAnError()
    {
        var reply = await fixture.CommandAsync("RG.DUMPSESSIONS", "NOSUCH");
        Assert.StartsWith("-ERR ", reply);
        Assert.Contains("NOSUCH", reply);
    }
}
