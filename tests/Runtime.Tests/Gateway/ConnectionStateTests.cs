namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// Per-connection state through the gateway: the selected database, authentication and ACL users,
/// the client name and id, RESET, QUIT and CLIENT REPLY. Each client's state is its own, exactly as
/// on Redis, and the gateway never weakens Redis' authentication.
/// </summary>
public sealed class ConnectionStateTests(GatewayFixture fixture, ConnectionStateTests.PasswordProtectedBackend secured)
    : IClassFixture<GatewayFixture>, IClassFixture<ConnectionStateTests.PasswordProtectedBackend>
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A redis-server with requirepass, a gateway in front of it, and a second gateway that is given
    /// the password for its own connection in --backend.
    /// </summary>
    public sealed class PasswordProtectedBackend : IAsyncLifetime
    {
        public const string Password = "secret";

        public RedisServer Redis { get; private set; } = null!;

        public GatewayHost Gateway { get; private set; } = null!;

        public GatewayHost GatewayWithCredentials { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Redis = new RedisServer("--requirepass", Password);
            Gateway = await GatewayHost.StartAsync(Redis);
            GatewayWithCredentials = await GatewayHost.StartAsync("--backend", $"redis://:{Password}@127.0.0.1:{Redis.Port}");
        }

        public async Task DisposeAsync()
        {
            await GatewayWithCredentials.DisposeAsync();
            await Gateway.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }

    // ---- SELECT ----

    [Fact]
    public async Task SelectTwoThenSetLandsInDatabaseTwoWhileOtherClientsStayInDatabaseZero()
    {
        var key = GatewayFixture.Key("db2");
        await using var selecting = await fixture.Gateway.ConnectAsync();
        await using var other = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await selecting.CommandAsync("SELECT", "2"));
        Assert.Equal("+OK\r\n", await selecting.CommandAsync("SET", key, "in two"));
        Assert.Equal("$6\r\nin two\r\n", await selecting.CommandAsync("GET", key));
        Assert.Equal("$-1\r\n", await other.CommandAsync("GET", key));

        await using var direct = await RawClient.ConnectAsync(fixture.Redis.Port);
        Assert.Equal("$-1\r\n", await direct.CommandAsync("GET", key));
        Assert.Equal("+OK\r\n", await direct.CommandAsync("SELECT", "2"));
        Assert.Equal("$6\r\nin two\r\n", await direct.CommandAsync("GET", key));

        // The other client's writes still go to database 0, and the selecting client still reads 2.
        Assert.Equal("+OK\r\n", await other.CommandAsync("SET", key, "in zero"));
        Assert.Equal("$6\r\nin two\r\n", await selecting.CommandAsync("GET", key));
        Assert.Equal("$7\r\nin zero\r\n", await fixture.Redis.DirectAsync("GET", key));
    }

    [Fact]
    public async Task SelectOfAnInvalidDatabaseGetsRedisErrorAndLeavesTheClientWhereItWas()
    {
        var key = GatewayFixture.Key("nodb");
        byte[] request = [.. RawClient.Encode("SELECT", "99"), .. RawClient.Encode("SELECT", "x"), .. RawClient.Encode("SET", key, "v"), .. RawClient.Encode("DEL", key)];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 4);
        Assert.Equal(["-ERR DB index is out of range\r\n", "-ERR value is not an integer or out of range\r\n", "+OK\r\n", ":1\r\n"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 4));
    }

    // ---- AUTH and ACL ----

    [Fact]
    public async Task UnauthenticatedCommandsGetTheSameNoauthErrorAsOnRedis()
    {
        var key = GatewayFixture.Key("locked");
        byte[] request = [.. RawClient.Encode("GET", key), .. RawClient.Encode("SET", key, "v"), .. RawClient.Encode("PING")];
        var fromRedis = await Frames.ExchangeAsync(secured.Redis.Port, request, 3);
        Assert.All(fromRedis, frame => Assert.StartsWith("-NOAUTH ", frame));

        Assert.Equal(fromRedis, await Frames.ExchangeAsync(secured.Gateway.Port, request, 3));
        Assert.Equal("$-1\r\n", await AuthenticatedDirectAsync("GET", key));
    }

    [Fact]
    public async Task WrongPasswordGetsRedisWrongpassErrorAndTheClientStaysUnauthenticated()
    {
        byte[] request = [.. RawClient.Encode("AUTH", "not the password"), .. RawClient.Encode("AUTH", "default", "nope"), .. RawClient.Encode("GET", "k")];
        var fromRedis = await Frames.ExchangeAsync(secured.Redis.Port, request, 3);
        Assert.StartsWith("-WRONGPASS ", fromRedis[0]);
        Assert.StartsWith("-NOAUTH ", fromRedis[2]);

        Assert.Equal(fromRedis, await Frames.ExchangeAsync(secured.Gateway.Port, request, 3));
    }

    [Fact]
    public async Task RightPasswordAuthenticatesTheClientAndOnlyThatClient()
    {
        var key = GatewayFixture.Key("unlocked");
        await using var client = await secured.Gateway.ConnectAsync();
        await using var anonymous = await secured.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", PasswordProtectedBackend.Password));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "opened"));
        Assert.Equal("$6\r\nopened\r\n", await client.CommandAsync("GET", key));
        Assert.Equal("$6\r\nopened\r\n", await AuthenticatedDirectAsync("GET", key));

        Assert.StartsWith("-NOAUTH ", await anonymous.CommandAsync("GET", key));
    }

    [Fact]
    public async Task GatewayGivenBackendCredentialsStillRefusesAnonymousClientsWithNoauth()
    {
        var key = GatewayFixture.Key("guarded");
        byte[] request = [.. RawClient.Encode("SET", key, "sneaky"), .. RawClient.Encode("GET", key), .. RawClient.Encode("KEYS", "*"), .. RawClient.Encode("SELECT", "1"), .. RawClient.Encode("GET", key)];
        var fromRedis = await Frames.ExchangeAsync(secured.Redis.Port, request, 5);
        Assert.All(fromRedis, frame => Assert.StartsWith("-NOAUTH ", frame));

        Assert.Equal(fromRedis, await Frames.ExchangeAsync(secured.GatewayWithCredentials.Port, request, 5));
        Assert.Equal("$-1\r\n", await AuthenticatedDirectAsync("GET", key));

        // The client's own password still works through that gateway.
        await using var client = await secured.GatewayWithCredentials.ConnectAsync();
        Assert.StartsWith("-WRONGPASS ", await client.CommandAsync("AUTH", "guess"));
        Assert.StartsWith("-NOAUTH ", await client.CommandAsync("GET", key));
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", PasswordProtectedBackend.Password));
        Assert.Equal("$-1\r\n", await client.CommandAsync("GET", key));
    }

    [Fact]
    public async Task HelloWithAuthAuthenticatesAndResetLogsOutAsOnRedis()
    {
        var key = GatewayFixture.Key("hello-auth");
        byte[] request =
        [
            .. RawClient.Encode("HELLO", "3"),
            .. RawClient.Encode("HELLO", "3", "AUTH", "default", "bad"),
            .. RawClient.Encode("HELLO", "2", "AUTH", "default", PasswordProtectedBackend.Password),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("RESET"),
            .. RawClient.Encode("GET", key),
        ];
        var fromRedis = await Frames.ExchangeAsync(secured.Redis.Port, request, 6);
        Assert.StartsWith("-NOAUTH HELLO must be called", fromRedis[0]);
        Assert.StartsWith("-WRONGPASS ", fromRedis[1]);
        Assert.StartsWith("*14\r\n", fromRedis[2]);
        Assert.Equal(["$-1\r\n", "+RESET\r\n"], fromRedis[3..5]);
        Assert.StartsWith("-NOAUTH ", fromRedis[5]);

        Assert.Equal(fromRedis.Select(Frames.WithoutId), (await Frames.ExchangeAsync(secured.Gateway.Port, request, 6)).Select(Frames.WithoutId));
    }

    [Fact]
    public async Task AclUserGetsNopermForKeysAndCommandsOutsideItsRulesLikeOnRedis()
    {
        var user = "alice" + Guid.NewGuid().ToString("N")[..8];
        var own = $"{user}:{GatewayFixture.Key("k")}";
        var foreign = GatewayFixture.Key("bob");
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("ACL", "SETUSER", user, "on", ">pw", $"~{user}:*", "+get", "+set"));
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", foreign, "secret"));

        byte[] request =
        [
            .. RawClient.Encode("AUTH", user, "pw"),
            .. RawClient.Encode("SET", own, "mine"),
            .. RawClient.Encode("GET", own),
            .. RawClient.Encode("GET", foreign),
            .. RawClient.Encode("SET", foreign, "overwritten"),
            .. RawClient.Encode("DEL", own),
            .. RawClient.Encode("ACL", "WHOAMI"),
        ];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 7);
        Assert.Equal("+OK\r\n", fromRedis[0]);
        Assert.Equal("$4\r\nmine\r\n", fromRedis[2]);
        Assert.StartsWith("-NOPERM ", fromRedis[3]);
        Assert.StartsWith("-NOPERM ", fromRedis[4]);
        Assert.StartsWith("-NOPERM ", fromRedis[5]);

        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 7));
        Assert.Equal("$6\r\nsecret\r\n", await fixture.Redis.DirectAsync("GET", foreign));
    }

    [Fact]
    public async Task AclUserLoggedInOnOneClientDoesNotChangeWhatOtherClientsMayDo()
    {
        var user = "carol" + Guid.NewGuid().ToString("N")[..8];
        var foreign = GatewayFixture.Key("dave");
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("ACL", "SETUSER", user, "on", ">pw", $"~{user}:*", "+get", "+acl|whoami"));
        await using var restricted = await fixture.Gateway.ConnectAsync();
        await using var others = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await restricted.CommandAsync("AUTH", user, "pw"));
        Assert.StartsWith("-NOPERM ", await restricted.CommandAsync("SET", foreign, "x"));
        Assert.Equal("+OK\r\n", await others.CommandAsync("SET", foreign, "x"));
        Assert.Equal("$7\r\ndefault\r\n", await others.CommandAsync("ACL", "WHOAMI"));
        Assert.Equal($"${user.Length}\r\n{user}\r\n", await restricted.CommandAsync("ACL", "WHOAMI"));
        Assert.StartsWith("-NOPERM ", await restricted.CommandAsync("GET", foreign));
    }

    // ---- CLIENT ----

    [Fact]
    public async Task ClientSetnameAndGetnameRoundTrip()
    {
        var name = "gw-" + Guid.NewGuid().ToString("N")[..12];
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("$-1\r\n", await client.CommandAsync("CLIENT", "GETNAME"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("CLIENT", "SETNAME", name));
        Assert.Equal($"${name.Length}\r\n{name}\r\n", await client.CommandAsync("CLIENT", "GETNAME"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", GatewayFixture.Key("between"), "x"));
        Assert.Equal($"${name.Length}\r\n{name}\r\n", await client.CommandAsync("CLIENT", "GETNAME"));

        await using var other = await fixture.Gateway.ConnectAsync();
        Assert.Equal("$-1\r\n", await other.CommandAsync("CLIENT", "GETNAME"));
        Assert.Equal(
            (await Frames.ExchangeAsync(fixture.Redis.Port, RawClient.Encode("CLIENT", "SETNAME", "has space"), 1))[0],
            await other.CommandAsync("CLIENT", "SETNAME", "has space"));
    }

    [Fact]
    public async Task ClientIdIsAnIntegerThatStaysTheSameOnOneConnectionAndDiffersBetweenConnections()
    {
        await using var first = await fixture.Gateway.ConnectAsync();
        await using var second = await fixture.Gateway.ConnectAsync();

        var id = ParseInteger(await first.CommandAsync("CLIENT", "ID"));
        Assert.Equal("+OK\r\n", await first.CommandAsync("SET", GatewayFixture.Key("id"), "x"));
        Assert.Equal(id, ParseInteger(await first.CommandAsync("CLIENT", "ID")));
        Assert.Equal(id, ParseInteger(await first.CommandAsync("CLIENT", "ID")));
        var secondId = ParseInteger(await second.CommandAsync("CLIENT", "ID"));
        Assert.NotEqual(id, secondId);

        // It is the backend's id for this client: CLIENT INFO agrees with it.
        Assert.Contains($"id={id} ", await first.CommandAsync("CLIENT", "INFO"));
    }

    [Fact]
    public async Task ClientListContainsTheNameSetThroughTheGateway()
    {
        var name = "listed-" + Guid.NewGuid().ToString("N")[..12];
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("CLIENT", "SETNAME", name));
        var id = ParseInteger(await client.CommandAsync("CLIENT", "ID"));

        var list = await client.CommandAsync("CLIENT", "LIST");
        Assert.StartsWith("$", list);
        var line = Assert.Single(list.Split('\n'), l => l.Contains($" name={name} "));
        Assert.StartsWith($"id={id} ", line);
        Assert.Contains($" name={name} ", await fixture.Redis.DirectAsync("CLIENT", "LIST"));
    }

    [Fact]
    public async Task ClientKillOfItsOwnIdSkipsItselfByDefaultAndClosesItWithSkipmeNoLikeRedis()
    {
        foreach (var (port, where) in new[] { (fixture.Redis.Port, "redis"), (fixture.Port, "gateway") })
        {
            await using var client = await RawClient.ConnectAsync(port);
            var id = ParseInteger(await client.CommandAsync("CLIENT", "ID")).ToString();
            Assert.True(await client.CommandAsync("CLIENT", "KILL", "ID", id) == ":0\r\n", $"{where}: SKIPME defaults to yes");
            Assert.True(await client.CommandAsync("PING") == "+PONG\r\n", $"{where}: the connection is still usable");
            await client.SendAsync(RawClient.Encode("CLIENT", "KILL", "ID", id, "SKIPME", "no"));
            Assert.Equal([where, ":1\r\n", "<closed>"], [where, .. await Frames.ReadAsync(client, 2, TimeSpan.FromSeconds(3))]);
        }
    }

    // ---- RESET and QUIT ----

    [Fact]
    public async Task ResetAnswersResetAndPutsTheClientBackInDatabaseZero()
    {
        var key = GatewayFixture.Key("reset");
        Assert.Equal("+OK\r\n", await fixture.Redis.DirectAsync("SET", key, "zero"));
        await using var client = await fixture.Gateway.ConnectAsync();

        Assert.Equal("+OK\r\n", await client.CommandAsync("SELECT", "3"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "three"));
        Assert.Equal("$5\r\nthree\r\n", await client.CommandAsync("GET", key));
        Assert.Equal("+RESET\r\n", await client.CommandAsync("RESET"));
        Assert.Equal("$4\r\nzero\r\n", await client.CommandAsync("GET", key));
        Assert.Equal("$5\r\nthree\r\n", await fixture.Redis.DirectAsync("EVAL", "redis.call('SELECT', 3) return redis.call('GET', KEYS[1])", "1", key));
    }

    [Fact]
    public async Task ResetInAPipelineGivesTheSameFramesAsRedis()
    {
        var key = GatewayFixture.Key("reset-pipe");
        byte[] request =
        [
            .. RawClient.Encode("SELECT", "4"),
            .. RawClient.Encode("SET", key, "four"),
            .. RawClient.Encode("MULTI"),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("RESET"),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("SELECT", "4"),
            .. RawClient.Encode("GET", key),
        ];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 8);
        Assert.Equal(["+OK\r\n", "+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+RESET\r\n", "$-1\r\n", "+OK\r\n", "$4\r\nfour\r\n"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 8));
    }

    [Fact]
    public async Task QuitAnswersOkAndTheServerClosesTheConnection()
    {
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        Assert.Equal("+OK\r\n", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the gateway kept the connection open after QUIT");
    }

    [Fact]
    public async Task PipelinedQuitAnswersWhatCameBeforeItAndNothingAfter()
    {
        var key = GatewayFixture.Key("quit");
        byte[] request = [.. RawClient.Encode("SET", key, "1"), .. RawClient.Encode("SELECT", "1"), .. RawClient.Encode("INCR", key), .. RawClient.Encode("QUIT"), .. RawClient.Encode("SET", key, "after quit")];
        var fromRedis = await Frames.ExchangeUntilClosedAsync(fixture.Redis.Port, request, 4);
        Assert.Equal(["+OK\r\n", "+OK\r\n", ":1\r\n", "+OK\r\n", "<closed>"], fromRedis);

        var key2 = GatewayFixture.Key("quit");
        byte[] gatewayRequest = [.. RawClient.Encode("SET", key2, "1"), .. RawClient.Encode("SELECT", "1"), .. RawClient.Encode("INCR", key2), .. RawClient.Encode("QUIT"), .. RawClient.Encode("SET", key2, "after quit")];
        Assert.Equal(fromRedis, await Frames.ExchangeUntilClosedAsync(fixture.Port, gatewayRequest, 4));
        Assert.Equal("$1\r\n1\r\n", await fixture.Redis.DirectAsync("GET", key2));
    }

    // ---- CLIENT REPLY ----

    [Fact]
    public async Task ClientReplySkipSuppressesExactlyTheNextReplyLikeRedis()
    {
        var key = GatewayFixture.Key("skip");
        byte[] request = [.. RawClient.Encode("CLIENT", "REPLY", "SKIP"), .. RawClient.Encode("SET", key, "1"), .. RawClient.Encode("GET", key)];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 1);
        Assert.Equal(["$1\r\n1\r\n"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 1));
    }

    [Fact]
    public async Task ClientReplyOffSuppressesRepliesUntilOnLikeRedis()
    {
        var key = GatewayFixture.Key("off");
        byte[] request =
        [
            .. RawClient.Encode("CLIENT", "REPLY", "OFF"),
            .. RawClient.Encode("SET", key, "1"),
            .. RawClient.Encode("INCR", key),
            .. RawClient.Encode("NOSUCHCOMMAND"),
            .. RawClient.Encode("CLIENT", "REPLY", "SKIP"),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("CLIENT", "REPLY", "ON"),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("CLIENT", "REPLY", "SKIP"),
            .. RawClient.Encode("CLIENT", "REPLY", "SKIP"),
            .. RawClient.Encode("INCR", key),
            .. RawClient.Encode("GET", key),
            .. RawClient.Encode("CLIENT", "REPLY", "SKIP"),
            .. RawClient.Encode("CLIENT", "REPLY", "ON"),
            .. RawClient.Encode("CLIENT", "REPLY", "MAYBE"),
        ];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 5);
        Assert.Equal("+OK\r\n", fromRedis[0]);
        Assert.Equal("$1\r\n2\r\n", fromRedis[1]);
        Assert.Equal("$1\r\n3\r\n", fromRedis[2]);
        Assert.Equal("+OK\r\n", fromRedis[3]);
        Assert.StartsWith("-ERR ", fromRedis[4]);

        var key2 = GatewayFixture.Key("off");
        var gatewayRequest = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(request).Replace(key, key2));
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, gatewayRequest, 5));
    }

    [Fact]
    public async Task ClientReplyOffThenQuitClosesWithoutAReplyLikeRedis()
    {
        byte[] request = [.. RawClient.Encode("PING"), .. RawClient.Encode("CLIENT", "REPLY", "OFF"), .. RawClient.Encode("PING"), .. RawClient.Encode("QUIT")];
        var fromRedis = await Frames.ExchangeUntilClosedAsync(fixture.Redis.Port, request, 1);
        Assert.Equal(["+PONG\r\n", "<closed>"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeUntilClosedAsync(fixture.Port, request, 1));
    }

    [Fact]
    public async Task ClientReplySkipBeforeResetSuppressesTheResetReplyLikeRedis()
    {
        // Redis clears CLIENT REPLY OFF before answering RESET, but a pending SKIP still applies to it.
        byte[] request = [.. RawClient.Encode("CLIENT", "REPLY", "SKIP"), .. RawClient.Encode("RESET"), .. RawClient.Encode("PING"), .. RawClient.Encode("CLIENT", "REPLY", "OFF"), .. RawClient.Encode("RESET"), .. RawClient.Encode("ECHO", "end")];
        var fromRedis = await Frames.ExchangeAsync(fixture.Redis.Port, request, 3);
        Assert.Equal(["+PONG\r\n", "+RESET\r\n", "$3\r\nend\r\n"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeAsync(fixture.Port, request, 3));
    }

    [Fact]
    public async Task ClientReplyOffQueuedInADiscardedTransactionDoesNotSilenceLaterReplies()
    {
        // Inside MULTI, CLIENT REPLY OFF is only queued; DISCARD drops it, so replies stay on.
        byte[] request = [.. RawClient.Encode("MULTI"), .. RawClient.Encode("CLIENT", "REPLY", "OFF"), .. RawClient.Encode("DISCARD"), .. RawClient.Encode("PING"), .. RawClient.Encode("QUIT")];
        var fromRedis = await Frames.ExchangeUntilClosedAsync(fixture.Redis.Port, request, 5);
        Assert.Equal(["+OK\r\n", "+QUEUED\r\n", "+OK\r\n", "+PONG\r\n", "+OK\r\n", "<closed>"], fromRedis);
        Assert.Equal(fromRedis, await Frames.ExchangeUntilClosedAsync(fixture.Port, request, 5));
    }

    [Fact]
    public async Task ClientReplyOffRefusedInSubscribedModeDoesNotSilenceLaterReplies()
    {
        // A RESP2 subscriber may not run CLIENT REPLY: Redis refuses it and keeps replying.
        var channel = GatewayFixture.Key("refused");
        byte[] request = [.. RawClient.Encode("SUBSCRIBE", channel), .. RawClient.Encode("CLIENT", "REPLY", "OFF"), .. RawClient.Encode("UNSUBSCRIBE"), .. RawClient.Encode("PING"), .. RawClient.Encode("QUIT")];
        var fromRedis = await Frames.ExchangeUntilClosedAsync(fixture.Redis.Port, request, 5);
        Assert.StartsWith("-ERR Can't execute 'client|reply'", fromRedis[1]);
        Assert.Equal(["+PONG\r\n", "+OK\r\n", "<closed>"], fromRedis[3..]);
        Assert.Equal(fromRedis, await Frames.ExchangeUntilClosedAsync(fixture.Port, request, 5));
    }

    private async Task<string> AuthenticatedDirectAsync(params string[] command)
    {
        await using var client = await RawClient.ConnectAsync(secured.Redis.Port);
        Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", PasswordProtectedBackend.Password));
        return await client.CommandAsync(command);
    }

    private static long ParseInteger(string frame)
    {
        Assert.Matches(@"^:[0-9]+\r\n$", frame);
        return long.Parse(frame.AsSpan(1, frame.Length - 3));
    }
}
