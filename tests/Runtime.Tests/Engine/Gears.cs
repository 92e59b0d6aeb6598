using System.Buffers;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// The engine as a user sees it through the gateway: RG.* commands sent with a <see cref="RawClient"/>,
/// their replies read into plain values, and counters read straight from Redis.
/// </summary>
internal static class Gears
{
    /// <summary>RG.CSEXECUTE with <paramref name="options"/> (ID, DESCRIPTION, UPGRADE, ...); the raw reply.</summary>
    public static Task<string> SubmitAsync(RawClient client, string code, params string[] options) =>
        client.CommandAsync(["RG.CSEXECUTE", code, .. options]);

    /// <summary>A reply frame as values: string, long, object?[], null; an error reply throws a GearsException.</summary>
    public static object? Parse(string frame) => RespValue.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(frame)));

    public static async Task<List<RegistrationEntry>> RegistrationsAsync(RawClient client) =>
        [.. ((object?[])Parse(await client.CommandAsync("RG.DUMPREGISTRATIONS"))!).Select(e => RegistrationEntry.From((object?[])e!))];

    public static async Task<RegistrationEntry> RegistrationAsync(RawClient client, string id) =>
        (await RegistrationsAsync(client)).Single(r => r.Id == id);

    public static async Task<List<SessionEntry>> SessionsAsync(RawClient client, params string[] options) =>
        [.. ((object?[])Parse(await client.CommandAsync(["RG.DUMPSESSIONS", .. options]))!).Select(e => SessionEntry.From((object?[])e!))];

    /// <summary>RG.STATS as name → value.</summary>
    public static async Task<Dictionary<string, object?>> StatsAsync(RawClient client) =>
        Pairs((object?[])Parse(await client.CommandAsync("RG.STATS"))!);

    /// <summary>The integer in <paramref name="key"/> (0 when missing), read on a fresh direct connection.</summary>
    public static async Task<long> CounterAsync(int redisPort, string key, string? password = null)
    {
        await using var client = await RawClient.ConnectAsync(redisPort);
        if (password is not null)
        {
            Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", password));
        }
        return Parse(await client.CommandAsync("GET", key)) is string value ? long.Parse(value) : 0;
    }

    public static async Task WaitForCounterAsync(RedisServer redis, string key, long expected, TimeSpan? timeout = null)
    {
        try
        {
            await Wait.UntilAsync(async () => await CounterAsync(redis.Port, key) == expected, $"{key} is {expected}", timeout);
        }
        catch (TimeoutException e)
        {
            // Say what was there instead: too few, or too many (an event fired twice).
            throw new TimeoutException($"{e.Message}; it is {await CounterAsync(redis.Port, key)}", e);
        }
    }

    /// <summary>
    /// Waits until something (the gateway) listens to <paramref name="eventName"/> events of database 0
    /// on Redis. A restarted gateway may report started before it does (see
    /// PersistenceTests.RestoredRegistrationsListenBeforeTheGatewayStartsServing); tests of other
    /// properties wait for it, so that they test what they say.
    /// </summary>
    public static Task WaitUntilListeningAsync(Func<string[], Task<string>> direct, string eventName = "set") =>
        Wait.UntilAsync(async () =>
        {
            // RESP (":1") or redis-cli's text ("1"): the count is the last word.
            var count = (await direct(["PUBSUB", "NUMSUB", $"__keyevent@0__:{eventName}"])).TrimEnd().Split('\n', ':')[^1];
            return count != "0";
        }, $"the gateway listens to {eventName} events");

    /// <summary>Sends <paramref name="commands"/> pipelined on one connection straight to Redis, in that order.</summary>
    public static async Task PipelineDirectAsync(int redisPort, IReadOnlyList<string[]> commands, string? password = null)
    {
        await using var client = await RawClient.ConnectAsync(redisPort);
        if (password is not null)
        {
            Assert.Equal("+OK\r\n", await client.CommandAsync("AUTH", password));
        }
        await client.SendAsync([.. commands.SelectMany(c => RawClient.Encode(c))]);
        foreach (var command in commands)
        {
            var reply = await client.ReadAsync();
            Assert.False(reply.StartsWith('-'), $"{string.Join(' ', command)}: {reply}");
        }
    }

    /// <summary>Name/value pairs of a flat RESP array as a dictionary.</summary>
    public static Dictionary<string, object?> Pairs(object?[] flat)
    {
        var map = new Dictionary<string, object?>();
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            map[(string)flat[i]!] = flat[i + 1];
        }
        return map;
    }

    /// <summary>Runs redis-cli with <paramref name="arguments"/> (for the embedded backend's unix socket); its output.</summary>
    public static async Task<string> RedisCliAsync(params string[] arguments) =>
        (await ChildProcess.RunAsync("redis-cli", arguments, timeout: TimeSpan.FromSeconds(15))).Output.Trim();
}

/// <summary>One entry of RG.DUMPREGISTRATIONS.</summary>
internal sealed record RegistrationEntry(
    string Id, string Reader, string? Description, string Mode,
    long Triggered, long Success, long Failures, long Aborted, string? LastError, string Pd)
{
    /// <summary>The session id, read from PD ("{'sessionId':'...', 'depsList':[]}").</summary>
    public string SessionId => Pd.Split('\'')[3];

    public static RegistrationEntry From(object?[] flat)
    {
        var entry = Gears.Pairs(flat);
        var data = Gears.Pairs((object?[])entry["RegistrationData"]!);
        return new RegistrationEntry(
            (string)entry["id"]!, (string)entry["reader"]!, (string?)entry["desc"], (string)data["mode"]!,
            (long)data["numTriggered"]!, (long)data["numSuccess"]!, (long)data["numFailures"]!, (long)data["numAborted"]!,
            (string?)data["lastError"], (string)entry["PD"]!);
    }
}

/// <summary>One entry of RG.DUMPSESSIONS (not VERBOSE).</summary>
internal sealed record SessionEntry(string Id, string? Description, string Dead, IReadOnlyList<string> Registrations)
{
    public static SessionEntry From(object?[] flat)
    {
        var entry = Gears.Pairs(flat);
        return new SessionEntry(
            (string)entry["ID"]!, (string?)entry["sessionDescription"], (string)entry["dead"]!,
            [.. ((object?[])entry["registrations"]!).Cast<string>()]);
    }
}
