namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Who may submit code, with a backend that requires a password. Scripts run with the gateway's own
/// rights (its --backend URL carries the password), so RG.* commands must not lend those rights to
/// anyone: looking needs an authenticated connection; submitting or changing the engine needs a
/// backend user allowed every @dangerous command. Each test has its own redis-server and gateway.
/// </summary>
public sealed class GearsAuthorizationTests : IAsyncLifetime
{
    private const string Password = "secret";
    private const string Code = """GB().ForEach(r => Execute("INCR", "fired")).Register(prefix: "k:*", eventTypes: ["set"]);""";

    private RedisServer _redis = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer("--requirepass", Password);
        _gateway = await GatewayHost.StartAsync("--backend", $"redis://:{Password}@127.0.0.1:{_redis.Port}");
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<string> DirectAsync(params string[] command)
    {
        await using var client = await RawClient.ConnectAsync(_redis.Port);
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", Password));
        return await client.CommandAsync(command);
    }

    private async Task<RawClient> ConnectAsAsync(string user, string password)
    {
        var client = await _gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", user, password));
        return client;
    }

    // What the engine holds, seen by a client allowed to look.
    private async Task<(int Registrations, int Sessions)> EngineContentsAsync()
    {
        await using var admin = await _gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await admin.CommandAsync("AUTH", Password));
        return ((await Gears.RegistrationsAsync(admin)).Count, (await Gears.SessionsAsync(admin)).Count);
    }

    [Fact]
    public async Task AnUnauthenticatedClientGetsNoauthForRgCommandsAndRegistersNothing()
    {
        await using var anonymous = await _gateway.ConnectAsync();

        Assert.StartsWith("-NOAUTH", await Gears.SubmitAsync(anonymous, Code));
        Assert.StartsWith("-NOAUTH", await anonymous.CommandAsync("RG.DUMPREGISTRATIONS"));
        Assert.StartsWith("-NOAUTH", await anonymous.CommandAsync("RG.DUMPSESSIONS"));
        Assert.StartsWith("-NOAUTH", await anonymous.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", "1"));
        Assert.StartsWith("-NOAUTH", await anonymous.CommandAsync("GET", "k")); // as Redis says it

        Assert.Equal((0, 0), await EngineContentsAsync());
    }

    [Fact]
    public async Task AfterAuthThroughTheGatewayAClientMaySubmitAndItsRegistrationFires()
    {
        await using var client = await _gateway.ConnectAsync();
        Assert.StartsWith("-NOAUTH", await Gears.SubmitAsync(client, Code));

        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Code));

        Assert.Single(await Gears.RegistrationsAsync(client));
        Assert.Equal("+OK\r\n", await DirectAsync("SET", "k:1", "v"));
        await Wait.UntilAsync(async () => await Gears.CounterAsync(_redis.Port, "fired", Password) == 1, "the registration fired");
    }

    [Fact]
    public async Task AnAclUserWithoutDangerousCommandsMayLookButNotSubmitOrChangeAnything()
    {
        Assert.Equal("+OK\r\n", await DirectAsync("ACL", "SETUSER", "reader", "on", ">pw", "~*", "&*", "+@read", "+@connection", "+acl|whoami", "-@dangerous"));
        await using (var admin = await _gateway.ConnectAsync())
        {
            Assert.Equal("+OK\r\n", await admin.CommandAsync("AUTH", Password));
            Assert.Equal("+OK\r\n", await Gears.SubmitAsync(admin, Code, "ID", "existing"));
        }
        var existing = Assert.Single(await LookAsReaderAsync()).Id;
        await using var reader = await ConnectAsAsync("reader", "pw");

        var refused = await Gears.SubmitAsync(reader, Code.Replace("k:*", "other:*"), "ID", "mine");
        Assert.StartsWith("-NOPERM", refused);
        Assert.Contains("@dangerous", refused);
        Assert.StartsWith("-NOPERM", await Gears.SubmitAsync(reader, Code, "ID", "existing", "UPGRADE"));
        Assert.StartsWith("-NOPERM", await reader.CommandAsync("RG.UNREGISTER", existing));
        Assert.StartsWith("-NOPERM", await reader.CommandAsync("RG.CONFIGSET", "ExecutionTimeout", "1"));
        Assert.StartsWith("-NOPERM", await reader.CommandAsync("RG.CLEARREGISTRATIONSSTATS"));

        Assert.Equal([existing], (await Gears.RegistrationsAsync(reader)).Select(r => r.Id));
        Assert.Equal(["existing"], (await Gears.SessionsAsync(reader)).Select(s => s.Id));
        Assert.Equal(Frames.Array(":60000\r\n"), await reader.CommandAsync("RG.CONFIGGET", "ExecutionTimeout"));

        async Task<List<RegistrationEntry>> LookAsReaderAsync()
        {
            await using var client = await ConnectAsAsync("reader", "pw");
            return await Gears.RegistrationsAsync(client);
        }
    }

    [Fact]
    public async Task AnAclUserThatMayOnlyReadMayStillLookAndIsRefusedSubmitting()
    {
        // The user of the brief, as a Redis admin would write it: it may not run ACL WHOAMI (an @slow
        // command outside @read and @connection), which the gateway uses to learn who the client is.
        Assert.Equal("+OK\r\n", await DirectAsync("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@read", "+@connection", "-@dangerous"));
        await using var reader = await ConnectAsAsync("reader", "pw");

        var refused = await Gears.SubmitAsync(reader, Code);
        Assert.StartsWith("-NOPERM", refused);
        Assert.Equal((0, 0), await EngineContentsAsync());

        var look = await reader.CommandAsync("RG.DUMPREGISTRATIONS");
        Assert.Equal("*0\r\n", look); // an authenticated connection may look (GearsPermission.Read)
    }

    [Fact]
    public async Task AnAclAdminUserMaySubmit()
    {
        Assert.Equal("+OK\r\n", await DirectAsync("ACL", "SETUSER", "admin", "on", ">adminpw", "~*", "&*", "+@all"));
        await using var admin = await ConnectAsAsync("admin", "adminpw");

        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(admin, Code, "ID", "admins"));

        Assert.Equal(["admins"], (await Gears.SessionsAsync(admin)).Select(s => s.Id));
        Assert.Equal("+OK\r\n", await DirectAsync("SET", "k:1", "v"));
        await Wait.UntilAsync(async () => await Gears.CounterAsync(_redis.Port, "fired", Password) == 1, "the registration fired");
    }
}

/// <summary>A backend without requirepass: its default user has +@all, so a plain client may submit; other ACL users are still checked.</summary>
public sealed class OpenBackendAuthorizationTests() : DedicatedGatewayTest()
{
    private const string Code = """GB().ForEach(r => Execute("INCR", "fired")).Register(prefix: "k:*", eventTypes: ["set"]);""";

    [Fact]
    public async Task APlainClientMaySubmit()
    {
        await using var client = await Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await Gears.SubmitAsync(client, Code));

        Assert.Single(await Gears.RegistrationsAsync(client));
        await Redis.DirectAsync("SET", "k:1", "v");
        await Gears.WaitForCounterAsync(Redis, "fired", 1);
    }

    [Fact]
    public async Task AClientThatAuthenticatesAsAUserWithoutDangerousCommandsIsRefused()
    {
        Assert.Equal("+OK\r\n", await Redis.DirectAsync("ACL", "SETUSER", "reader", "on", ">pw", "~*", "&*", "+@read", "+@connection", "+acl|whoami", "-@dangerous"));
        await using var reader = await Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await reader.CommandAsync("AUTH", "reader", "pw"));

        var refused = await Gears.SubmitAsync(reader, Code);

        Assert.StartsWith("-NOPERM", refused);
        Assert.Contains("@dangerous", refused);
        Assert.Empty(await Gears.RegistrationsAsync(reader));
    }
}
