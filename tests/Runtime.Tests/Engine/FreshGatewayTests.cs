using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// What the very first submissions to a gateway that has never stored a session do (its data
/// directory holds no sessions yet). Each test has a gateway and a Redis of its own.
/// </summary>
public sealed class FreshGatewayTests : IAsyncLifetime
{
    private readonly GearsFixture _gears = new();

    public Task InitializeAsync() => _gears.InitializeAsync();

    public Task DisposeAsync() => _gears.DisposeAsync();

    [Fact]
    public async Task AFirstScriptThatRegistersNothingIsAnsweredOk()
    {
        var marker = GearsFixture.Unique("fresh");

        Assert.Equal("+OK\r\n", await _gears.SubmitAsync($"Execute(\"SET\", \"{marker}\", \"ran\");", "ID", "first"));

        Assert.Equal("ran", await _gears.GetAsync(marker));
        Assert.Empty(await _gears.SessionsAsync());
    }

    [Fact]
    public async Task AFirstScriptThatRegistersIsAnsweredOkAndListed()
    {
        Assert.Equal("+OK\r\n", await _gears.SubmitAsync("""GB().Register(prefix: "fresh:*");""", "ID", "first"));

        Assert.Equal(["first"], (await _gears.SessionsAsync()).Select(s => s.Text("ID")));
        Assert.Single(await _gears.RegistrationsAsync());
    }

    [Fact]
    public async Task ABrokenFirstScriptLeavesNothingBehind()
    {
        Assert.StartsWith("-ERR ", await _gears.SubmitAsync("""GB().Register(prefix: "fresh:*");""" + "\nthrow new InvalidOperationException(\"no\");", "ID", "first"));

        Assert.Empty(await _gears.SessionsAsync());
        Assert.Empty(await _gears.RegistrationsAsync());
        // And the id can be used.
        Assert.Equal("+OK\r\n", await _gears.SubmitAsync("""GB().Register(prefix: "fresh:*");""", "ID", "first"));
    }
}
