using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Who may run RG.* commands through the gateway: the backend's users decide. Looking (dumps,
/// RG.CONFIGGET) needs only a connection Redis accepts; submitting code or changing the engine needs a
/// user allowed every @dangerous command, since scripts run with the gateway's own rights.
/// </summary>
public sealed class AuthorizationTests(GearsFixture fixture) : IClassFixture<GearsFixture>
{
    private async Task<RawClient> LoginAsync(string user, params string[] rules)
    {
        Assert.Equal("+OK\r\n", await fixture.DirectAsync(["ACL", "SETUSER", user, "reset", "on", ">pw", .. rules]));
        var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", user, "pw"));
        return client;
    }

    [Fact]
    public async Task AUserWithoutDangerousCommandsMayLookButNotSubmitOrChange()
    {
        var user = GearsFixture.Unique("reader");
        var session = GearsFixture.Unique("refused");
        await using var client = await LoginAsync(user, "~*", "&*", "+@all", "-@dangerous");

        var submitted = await client.CommandAsync("RG.CSEXECUTE", """GB().Register(prefix: "refused:*");""", "ID", session);
        Assert.StartsWith("-NOPERM ", submitted);
        Assert.Contains("RG.CSEXECUTE", submitted);
        Assert.Contains(user, submitted);
        Assert.StartsWith("-NOPERM ", await client.CommandAsync("RG.CONFIGSET", "SomeKey", "1"));
        Assert.StartsWith("-NOPERM ", await client.CommandAsync("RG.UNREGISTER", "0000000000000000000000000000000000000000-1"));
        Assert.StartsWith("-NOPERM ", await client.CommandAsync("RG.CLEARREGISTRATIONSSTATS"));

        Assert.StartsWith("*", await client.CommandAsync("RG.DUMPREGISTRATIONS"));
        Assert.StartsWith("*", await client.CommandAsync("RG.DUMPSESSIONS"));
        Assert.StartsWith("*", await client.CommandAsync("RG.CONFIGGET", "MaxExecutions"));
        Assert.StartsWith("*", await client.CommandAsync("RG.STATS"));
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Fact]
    public async Task AUserAllowedEverythingMaySubmit()
    {
        var session = GearsFixture.Unique("admin");
        await using var client = await LoginAsync(GearsFixture.Unique("admin"), "~*", "&*", "+@all");

        Assert.Equal("+OK\r\n", await client.CommandAsync("RG.CSEXECUTE", $$"""GB().Register(prefix: "{{session}}:*");""", "ID", session));

        Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Fact]
    public async Task TheDefaultUserWithoutPasswordMaySubmit()
    {
        var session = GearsFixture.Unique("default");
        Assert.Equal("+OK\r\n", await fixture.SubmitAsync($$"""GB().Register(prefix: "{{session}}:*");""", "ID", session));
    }
}
