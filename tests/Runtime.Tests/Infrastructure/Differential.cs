namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// Sends the same request bytes to Redis directly and through the gateway and returns both replies,
/// frame by frame, for byte-for-byte comparison. "{k}" in the text becomes a key unique to each side,
/// so that both sides start from the same (empty) state.
/// </summary>
public static class Differential
{
    public static async Task<(List<string> Redis, List<string> Gateway)> RunAsync(GatewayFixture fixture, Func<string, string> request, int frames)
    {
        var direct = await RunOneAsync(fixture.Redis.Port, request($"sgtest-r{Guid.NewGuid():N}"), frames);
        var gateway = await RunOneAsync(fixture.Port, request($"sgtest-g{Guid.NewGuid():N}"), frames);
        return (direct, gateway);
    }

    /// <summary>For inline requests, where "{k}" can simply be replaced.</summary>
    public static Task AssertSameAsync(GatewayFixture fixture, string requestTemplate, int frames) =>
        AssertSameAsync(fixture, key => requestTemplate.Replace("{k}", key), frames);

    /// <summary>Builds the request from a key of the same length on both sides.</summary>
    public static async Task AssertSameAsync(GatewayFixture fixture, Func<string, string> request, int frames)
    {
        var (redis, gateway) = await RunAsync(fixture, request, frames);
        Assert.Equal(redis.Count, gateway.Count);
        for (var i = 0; i < redis.Count; i++)
        {
            // Keys differ by side; replies that echo a key are compared with the key masked.
            Assert.Equal(Mask(redis[i]), Mask(gateway[i]));
        }
    }

    private static string Mask(string frame) =>
        System.Text.RegularExpressions.Regex.Replace(frame, "sgtest-[rg][0-9a-f]{32}", "<key>");

    private static async Task<List<string>> RunOneAsync(int port, string request, int frames)
    {
        await using var client = await RawClient.ConnectAsync(port);
        await client.SendAsync(request);
        var replies = new List<string>();
        for (var i = 0; i < frames; i++)
        {
            replies.Add(await client.ReadAsync());
        }
        return replies;
    }
}
