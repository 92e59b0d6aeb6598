using System.Globalization;
using System.Text.RegularExpressions;
using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Keys that Redis evicts under maxmemory fire "evicted" events. A Redis of its own, since the test
/// fills it until it evicts (allkeys-random may take any key).
/// </summary>
public sealed partial class EvictionTests : IAsyncLifetime
{
    private readonly GearsFixture _gears = new();

    public Task InitializeAsync() => _gears.InitializeAsync();

    public Task DisposeAsync() => _gears.DisposeAsync();

    [GeneratedRegex(@"used_memory:(\d+)")]
    private static partial Regex UsedMemory();

    [Fact]
    public async Task EvictedKeysFireEvictedEvents()
    {
        // The execution fails for any record that is not an eviction, so numSuccess counts evictions only.
        await _gears.SubmitOkAsync(
            """
            GB().ForEach(r =>
            {
                if (r.Event != "evicted" || !r.Key.StartsWith("fill:")) throw new InvalidOperationException("unexpected " + r.Event + " " + r.Key);
            }).Register(prefix: "fill:*", eventTypes: new[] { "evicted" }, mode: ExecutionMode.Sync);
            """,
            "ID", "evictions");
        var id = await _gears.RegistrationIdOfAsync("evictions");
        var used = long.Parse(UsedMemory().Match(await _gears.DirectAsync("INFO", "memory")).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal("+OK\r\n", await _gears.DirectAsync("CONFIG", "SET", "maxmemory-policy", "allkeys-random"));
        Assert.Equal("+OK\r\n", await _gears.DirectAsync("CONFIG", "SET", "maxmemory", (used + (1 << 20)).ToString(CultureInfo.InvariantCulture)));

        // About 4 MB of 10 KB values, pipelined straight to Redis: well past the limit.
        var value = new string('x', 10_000);
        await using (var client = await RawClient.ConnectAsync(_gears.Redis.Port))
        {
            for (var batch = 0; batch < 4; batch++)
            {
                await client.SendAsync([.. Enumerable.Range(0, 100).SelectMany(i => RawClient.Encode("SET", $"fill:{batch}:{i}", value))]);
                for (var i = 0; i < 100; i++)
                {
                    Assert.Equal("+OK\r\n", await client.ReadAsync());
                }
            }
        }

        await _gears.WaitForStatisticAsync(id, "numSuccess", 1);
        var data = await _gears.StatisticsAsync(id);
        Assert.Equal(0, data.Integer("numFailures"));
        Assert.Null(data["lastError"]);
    }
}
