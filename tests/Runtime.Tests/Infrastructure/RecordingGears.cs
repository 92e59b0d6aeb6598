using System.Collections.Immutable;
using SharpGears.Api;
using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// The engine's functions for scripts run in unit tests of the compiler and the Api: registrations and
/// commands are recorded, not sent. It stands in for the engine (not built yet), never for Redis.
/// </summary>
internal sealed class RecordingGears : IGears, IGearsRuntime
{
    public List<RegistrationRequest> Registrations { get; } = [];

    public List<(string Command, object?[] Arguments)> Executed { get; } = [];

    public GearsBuilder<TRecord> GB<TRecord>(Reader<TRecord> reader) => new(this, reader.Name, reader.Source, ImmutableList<Step>.Empty);

    public object? Execute(string command, params object?[] arguments)
    {
        Executed.Add((command, arguments));
        return command switch
        {
            "GET" => "value",
            "INCR" => 5L,
            "LRANGE" => new object?[] { "a", "b" },
            _ => null,
        };
    }

    public Task<object?> ExecuteAsync(string command, params object?[] arguments) => Task.FromResult(Execute(command, arguments));

    public IRedisConnection ConnectRedis(string address) => throw new NotSupportedException("plugin tests make no connections");

    public void Log(string message, LogLevel level = LogLevel.Notice) { }

    public string? ConfigGet(string key) => null;

    public string? GearsConfigGet(string key, string? defaultValue = null) => defaultValue;

    public string Hashtag() => "{06S}";

    public void OverrideReply(object? value) => throw new InvalidOperationException("no client");

    public object? CallNext(params object?[] arguments) => throw new InvalidOperationException("no hook");

    public Task<object?> CallNextAsync(params object?[] arguments) => throw new InvalidOperationException("no hook");

    public void Register(RegistrationRequest request) => Registrations.Add(request);

    public List<RunRequest> Runs { get; } = [];

    public void Run(RunRequest request) => Runs.Add(request);
}
