namespace SharpGears.Runtime.Tests.Engine.Support;

/// <summary>
/// A real redis-server and a gateway in front of it, shared by the tests of one class, with what
/// engine tests keep doing: RG.* commands through the gateway, reads and writes straight on Redis
/// (events must fire whoever writes), and waits on what registrations leave behind. Tests of one
/// class share it, so each uses its own session ids, key prefixes and log keys (<see cref="Unique"/>).
/// </summary>
public class GearsFixture : IAsyncLifetime
{
    public RedisServer Redis { get; protected set; } = null!;

    public GatewayHost Gateway { get; protected set; } = null!;

    /// <summary>Further command-line flags of the gateway (e.g. a --data-dir of the fixture's own).</summary>
    protected virtual string[] GatewayArguments => [];

    public virtual async Task InitializeAsync()
    {
        Redis = new RedisServer();
        Gateway = await GatewayHost.StartAsync(Redis, GatewayArguments);
    }

    public virtual async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>"tag-1a2b3c4d5e6f": a session id or key part no other test uses (only [A-Za-z0-9_-]).</summary>
    public static string Unique(string tag) => $"{tag}-{Guid.NewGuid():N}"[..(tag.Length + 13)];

    /// <summary>A command through the gateway, on a connection of its own; the raw reply.</summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        await using var client = await Gateway.ConnectAsync();
        return await client.CommandAsync(arguments);
    }

    /// <summary>A command through the gateway; the reply read into values.</summary>
    public async Task<object?> ValueAsync(params string[] arguments) => Reply.Parse(await CommandAsync(arguments));

    /// <summary>A command straight to Redis, not through the gateway; the raw reply.</summary>
    public Task<string> DirectAsync(params string[] arguments) => Redis.DirectAsync(arguments);

    public Task<string> SubmitAsync(string code, params string[] options) => CommandAsync(["RG.CSEXECUTE", code, .. options]);

    /// <summary>Submits code that must be accepted.</summary>
    public async Task SubmitOkAsync(string code, params string[] options)
    {
        var reply = await SubmitAsync(code, options);
        Assert.True(reply == "+OK\r\n", $"RG.CSEXECUTE {string.Join(' ', options)} answered {reply.TrimEnd()} to:\n{code}");
    }

    public async Task<IReadOnlyList<Pairs>> RegistrationsAsync() =>
        [.. Assert.IsType<object?[]>(await ValueAsync("RG.DUMPREGISTRATIONS")).Select(entry => new Pairs(entry))];

    /// <summary>The registrations of one session, found by the session id in their PD.</summary>
    public async Task<IReadOnlyList<Pairs>> RegistrationsOfAsync(string sessionId) =>
        [.. (await RegistrationsAsync()).Where(r => r.Text("PD")!.Contains($"'sessionId':'{sessionId}'", StringComparison.Ordinal))];

    /// <summary>The one registration of a session.</summary>
    public async Task<Pairs> RegistrationOfAsync(string sessionId)
    {
        var registrations = await RegistrationsOfAsync(sessionId);
        Assert.True(registrations.Count == 1, $"session {sessionId} has {registrations.Count} registrations, one expected");
        return registrations[0];
    }

    public async Task<string> RegistrationIdOfAsync(string sessionId) => (await RegistrationOfAsync(sessionId)).Text("id")!;

    /// <summary>The RegistrationData of a registration (it must exist).</summary>
    public async Task<Pairs> StatisticsAsync(string registrationId)
    {
        var registration = (await RegistrationsAsync()).SingleOrDefault(r => r.Text("id") == registrationId);
        Assert.True(registration is not null, $"registration {registrationId} is not in RG.DUMPREGISTRATIONS");
        return registration.Map("RegistrationData");
    }

    public async Task<IReadOnlyList<Pairs>> SessionsAsync(params string[] arguments) =>
        [.. Assert.IsType<object?[]>(await ValueAsync(["RG.DUMPSESSIONS", .. arguments])).Select(entry => new Pairs(entry))];

    /// <summary>A list's items, read straight from Redis.</summary>
    public async Task<string[]> ListAsync(string key) => Reply.Strings(Reply.Parse(await DirectAsync("LRANGE", key, "0", "-1")));

    /// <summary>A string's value, read straight from Redis (null when there is none).</summary>
    public async Task<string?> GetAsync(string key) => (string?)Reply.Parse(await DirectAsync("GET", key));

    /// <summary>Waits until the list at <paramref name="key"/> holds <paramref name="item"/>.</summary>
    public async Task WaitForItemAsync(string key, string item, TimeSpan? timeout = null)
    {
        string[] last = [];
        try
        {
            await Wait.UntilAsync(async () => (last = await ListAsync(key)).Contains(item), $"{key} holds \"{item}\"", timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; it holds {Pairs.Show(last)}", e);
        }
    }

    /// <summary>Waits until the string at <paramref name="key"/> is <paramref name="value"/>.</summary>
    public Task WaitForValueAsync(string key, string value) =>
        Wait.UntilAsync(async () => await GetAsync(key) == value, $"{key} is \"{value}\"");

    /// <summary>Waits until a counter of RegistrationData reaches <paramref name="value"/> (or more).</summary>
    public Task WaitForStatisticAsync(string registrationId, string name, long value) =>
        Wait.UntilAsync(async () => (await StatisticsAsync(registrationId)).Integer(name) >= value, $"{name} of {registrationId} reaches {value}");

}

/// <summary>Pieces of scripts the engine tests submit.</summary>
public static class Scripts
{
    /// <summary>
    /// A script method that shows a record's value with its type: "string:v", "map:a=1,b=2" (fields
    /// sorted), "list:a,b", "null", or "other:TypeName".
    /// </summary>
    public const string Show = """
        string Show(object value) => value switch
        {
            null => "null",
            string text => "string:" + text,
            IReadOnlyDictionary<string, string> map => "map:" + string.Join(",", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)),
            IReadOnlyList<string> list => "list:" + string.Join(",", list),
            _ => "other:" + value.GetType().Name,
        };

        """;

    /// <summary>
    /// One registration (no <see cref="Show"/>) that appends "<paramref name="tag"/>key|event|type|value"
    /// to the list <paramref name="log"/> for every record. Sync by default: executions run one after
    /// another in event order, so once a later event's record is logged, every earlier one is too (which
    /// is how tests see that something did NOT fire without sleeping).
    /// </summary>
    public static string Recording(string log, string prefix, string tag = "", string arguments = "", string mode = "Sync") =>
        $$"""
        GB().ForEach(r => Execute("RPUSH", "{{log}}", "{{tag}}" + r.Key + "|" + r.Event + "|" + r.Type + "|" + Show(r.Value))).Register(prefix: "{{prefix}}", mode: ExecutionMode.{{mode}}{{arguments}});

        """;

    /// <summary>A whole script: <see cref="Show"/> and one <see cref="Recording"/> registration.</summary>
    public static string Recorder(string log, string prefix, string tag = "", string arguments = "", string mode = "Sync") =>
        Show + Recording(log, prefix, tag, arguments, mode);

    /// <summary>What <see cref="Recording"/> logs for a record.</summary>
    public static string Entry(string key, string eventName, string type, string value, string tag = "") =>
        $"{tag}{key}|{eventName}|{type}|{value}";
}
