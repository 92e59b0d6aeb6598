using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// The gateway turns on the keyspace notifications that registrations need, on Redis itself: the
/// keyevent channels (E) with the usual classes, key misses (m) only once a registration asks for
/// them, and without taking away what the user had set. Each test has a Redis of its own, since
/// notify-keyspace-events is server-wide.
/// </summary>
public sealed class NotificationSetupTests : IAsyncLifetime
{
    private readonly GearsFixture _gears = new();

    public Task InitializeAsync() => _gears.InitializeAsync();

    public Task DisposeAsync() => _gears.DisposeAsync();

    private async Task<string> FlagsAsync() =>
        Reply.Strings(Reply.Parse(await _gears.DirectAsync("CONFIG", "GET", "notify-keyspace-events")))[1];

    [Fact]
    public async Task ARegistrationEnablesKeyeventNotificationsAndKeymissOnlyWhenAsked()
    {
        Assert.Equal("", await FlagsAsync()); // Redis' default: nothing is published

        await _gears.SubmitOkAsync("""GB().Register(prefix: "a:*", eventTypes: new[] { "set" });""", "ID", "plain");

        var flags = await FlagsAsync();
        Assert.Contains('E', flags);
        Assert.Contains('A', flags); // Redis shows every usual class (g$lshzxetd) as A
        Assert.DoesNotContain('m', flags);

        await _gears.SubmitOkAsync("""GB().Register(prefix: "a:*", eventTypes: new[] { "keymiss" });""", "ID", "misses");

        flags = await FlagsAsync();
        Assert.Contains('m', flags);
        Assert.Contains('E', flags);
        Assert.Contains('A', flags);
    }

    [Fact]
    public async Task NewKeyNotificationsAreEnabledOnlyForARegistrationThatListsNew()
    {
        // Redis 7.0 accepts the 'n' class but CONFIG GET does not show it: what Redis publishes tells.
        await _gears.SubmitOkAsync("""GB().Register(prefix: "a:*");""", "ID", "all");
        Assert.Equal("set", await FirstEventOfANewKeyAsync());

        await _gears.SubmitOkAsync("""GB().Register(prefix: "a:*", eventTypes: new[] { "new" });""", "ID", "created");

        Assert.Equal("new", await FirstEventOfANewKeyAsync());
    }

    /// <summary>Sets a key that did not exist, straight on Redis, and returns the first event Redis publishes for it.</summary>
    private async Task<string> FirstEventOfANewKeyAsync()
    {
        await using var subscriber = await RawClient.ConnectAsync(_gears.Redis.Port);
        await subscriber.SendAsync(RawClient.Encode("SUBSCRIBE", "__keyevent@0__:new", "__keyevent@0__:set"));
        await subscriber.ReadAsync();
        await subscriber.ReadAsync();
        await _gears.DirectAsync("SET", GearsFixture.Unique("a:new"), "1");
        var message = Reply.Strings(Reply.Parse(await subscriber.ReadAsync()));
        return message[1]["__keyevent@0__:".Length..];
    }

    [Fact]
    public async Task FlagsTheUserHadSetAreKept()
    {
        Assert.Equal("+OK\r\n", await _gears.DirectAsync("CONFIG", "SET", "notify-keyspace-events", "Kl"));

        await _gears.SubmitOkAsync("""GB().Register(prefix: "a:*", eventTypes: new[] { "set" });""", "ID", "plain");

        var flags = await FlagsAsync();
        Assert.Contains('K', flags); // the user's keyspace channels stay
        Assert.Contains('E', flags);
        Assert.Contains('A', flags);
    }

    [Fact]
    public async Task SubmissionsThatRegisterNothingChangeNothing()
    {
        Assert.StartsWith("-ERR ", await _gears.SubmitAsync("""GB().Register(prefix: "a:*");\nthis is not C#;"""));
        Assert.StartsWith("-ERR ", await _gears.SubmitAsync("""GB().Register(prefix: "a:*");\nthrow new InvalidOperationException("no");"""));

        Assert.Equal("", await FlagsAsync());
    }

    [Fact]
    public async Task ARedisThatForgotItsFlagsGetsThemAgainWhenTheGatewayReconnects()
    {
        var log = GearsFixture.Unique("log");
        await _gears.SubmitOkAsync(Scripts.Recorder(log, "r:*", arguments: """, eventTypes: new[] { "set" }"""), "ID", "restart");

        // A restarted Redis starts from its configuration: no notifications, no subscriptions.
        _gears.Redis.Kill();
        _gears.Redis.Start();

        await Wait.UntilAsync(async () => (await FlagsAsync()).Contains('E'), "the gateway enables notifications on the new Redis");
        await Wait.UntilAsync(async () =>
        {
            await _gears.DirectAsync("SET", "r:k", "1");
            return (await _gears.ListAsync(log)).Length > 0;
        }, "a write fires the registration again");
    }
}
