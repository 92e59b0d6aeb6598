using System.Text.Json;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>
/// Issue 4's "Done when": the read-through transcript played with redis-cli, Redis' own client,
/// against the gateway. A second redis-server plays the slower source that holds the data; the
/// gateway's Redis starts empty (so this class has a gateway and two servers of its own).
/// </summary>
public sealed class ReadThroughTranscriptTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private RedisServer _source = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer();
        _source = new RedisServer();
        _gateway = await GatewayHost.StartAsync(_redis);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _source.DisposeAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>redis-cli against the gateway: arguments as a one-shot command, or commands read from <paramref name="input"/>.</summary>
    private async Task<string> CliAsync(string? input, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync("redis-cli", ["-p", _gateway.Port.ToString(), .. arguments], input);
        Assert.True(result.ExitCode == 0, $"redis-cli {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Output}");
        return result.Output;
    }

    [Fact]
    public async Task TheReadThroughTranscriptPlaysAsIssue4Says()
    {
        Assert.Equal("+OK\r\n", await _source.DirectAsync("SET", "x", "1"));
        Assert.Equal("+OK\r\n", await _source.DirectAsync("SET", "y", "2"));
        var script = $$"""
            var source = ConnectionMultiplexer.Connect("127.0.0.1:{{_source.Port}}").GetDatabase();
            GB().ForEach(r =>
            {
                string? v = source.StringGet(r.Key);
                Execute("SET", r.Key, v);
                OverrideReply(v);
            }).Register(eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.AsyncLocal);
            """;
        Assert.Equal("OK\n", await CliAsync(null, "RG.CSEXECUTE", script, "ID", "readthrough"));

        // One redis-cli session, as a user would type it (--no-raw: the formatting a terminal gets).
        var transcript = await CliAsync("KEYS *\nGET x\nKEYS *\nMULTI\nGET y\nEXEC\n", "--no-raw");

        Assert.Equal(
            """
            (empty array)
            "1"
            1) "x"
            OK
            QUEUED
            1) (nil)

            """.ReplaceLineEndings("\n"),
            transcript);

        // The execution that EXEC's GET fired runs unlinked, after EXEC: OverrideReply fails there.
        JsonElement registration = default;
        await Wait.UntilAsync(async () =>
        {
            var dump = JsonDocument.Parse(await CliAsync(null, "--json", "RG.DUMPREGISTRATIONS")).RootElement;
            registration = Assert.Single(dump.EnumerateArray().ToList());
            return Field(Field(registration, "RegistrationData"), "numFailures").GetInt64() >= 1;
        }, "the registration counts the failure of the execution EXEC fired");
        var data = Field(registration, "RegistrationData");
        Assert.Equal(1, Field(data, "numFailures").GetInt64());
        Assert.Equal(2, Field(data, "numTriggered").GetInt64());
        Assert.Equal(1, Field(data, "numSuccess").GetInt64());
        Assert.Contains("Can not get command ctx", Field(data, "lastError").GetString());
        // It did read through before it failed: the next GET y is a hit.
        Assert.Equal("2\n", await CliAsync(null, "GET", "y"));
    }

    /// <summary>A field of a RedisGears name/value reply, as redis-cli --json prints it (a flat array, or an object in RESP3).</summary>
    private static JsonElement Field(JsonElement pairs, string name)
    {
        if (pairs.ValueKind == JsonValueKind.Object)
        {
            return pairs.GetProperty(name);
        }
        var items = pairs.EnumerateArray().ToList();
        for (var i = 0; i + 1 < items.Count; i += 2)
        {
            if (items[i].ValueKind == JsonValueKind.String && items[i].GetString() == name)
            {
                return items[i + 1];
            }
        }
        throw new KeyNotFoundException($"no '{name}' in {pairs}");
    }
}
