using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Engine.Configuration;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.Executions;
using SharpGears.Runtime.Engine.Sessions;
using ApiLogLevel = SharpGears.Api.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// The engine's functions as one session's code sees them: the globals of its script (or the
/// argument of a plugin's <c>Register</c>). Registrations made while the code's body runs are held
/// until the body has finished without error; only then does the session replace what it upgrades.
/// </summary>
internal sealed partial class SessionGears(Session session, GearsEngine engine, BackendClient backend, GearsSettings settings, ILogger logger)
    : IGears, IGearsRuntime
{
    private readonly List<RegistrationRequest> _pending = [];
    private bool _attached;

    /// <summary>The registrations the body made, in order.</summary>
    public IReadOnlyList<RegistrationRequest> PendingRegistrations => _pending;

    /// <summary>The Run() the script's body asked for, started once the body has finished.</summary>
    public RunRequest? PendingRun { get; private set; }

    /// <summary>From now on (the body has run), registrations go straight to the session.</summary>
    public void Attach() => _attached = true;

    public GearsBuilder<TRecord> GB<TRecord>(Reader<TRecord> reader) => new(this, reader.Name, reader.Source, ImmutableList<Step>.Empty);

    void IGearsRuntime.Run(RunRequest request)
    {
        if (_attached)
        {
            engine.StartRun(session.Id, request); // from an execution: it runs on its own, kept for RG.GETRESULTS
            return;
        }
        if (PendingRun is not null)
        {
            throw new GearsException("a script's body can Run() one pipeline: RG.CSEXECUTE replies with its results");
        }
        RunReaders.Check(request);
        PendingRun = request;
    }

    void IGearsRuntime.Register(RegistrationRequest request)
    {
        if (_attached)
        {
            engine.AddRegistration(session, request, id: null); // registered later, from an execution or onRegistered
        }
        else
        {
            _pending.Add(request);
        }
    }

    // Blocks the caller, as RedisGears' execute does; on an execution worker over the worker's own connection.
    public object? Execute(string command, params object?[] arguments)
    {
        RunningExecution.ThrowIfAborted();
        return backend.Execute(command, arguments);
    }

    // A step's last command: sent now, its reply awaited when the step returns (see StepTailExecutes).
    public void ExecuteAtStepEnd(int line, string command, params object?[] arguments)
    {
        RunningExecution.ThrowIfAborted();
        if (RunningExecution.Current is { CanDeferToStepEnd: true } execution)
        {
            execution.DeferToStepEnd(backend.ExecuteAsync(command, arguments), $"{session.Id}.csx:line {line}");
        }
        else
        {
            backend.Execute(command, arguments); // outside a step (a plugin calling it, say): as Execute
        }
    }

    public async Task<object?> ExecuteAsync(string command, params object?[] arguments)
    {
        RunningExecution.ThrowIfAborted();
        var result = await backend.ExecuteAsync(command, arguments).ConfigureAwait(false);
        RunningExecution.ThrowIfAborted();
        return result;
    }

    public IRedisConnection ConnectRedis(string address)
    {
        BackendTarget target;
        try
        {
            target = BackendTarget.Parse(address.Contains("://", StringComparison.Ordinal) ? address : $"redis://{address}", "ConnectRedis");
        }
        catch (FormatException e)
        {
            throw new GearsException(e.Message);
        }
        var client = new BackendClient(target, logger, settings.Timeout, clientName: "sharpgears-script", description: $"the Redis at {target}");
        session.Own(client);
        return client;
    }

    public void Log(string message, ApiLogLevel level = ApiLogLevel.Notice) =>
        LogFromScript(logger, level switch
        {
            ApiLogLevel.Debug => LogLevel.Trace,
            ApiLogLevel.Verbose => LogLevel.Debug,
            ApiLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        }, session.Id, message);

    public string? ConfigGet(string key) =>
        Execute("CONFIG", "GET", key) is object?[] { Length: >= 2 } pair ? pair[1] as string : null;

    public string? GearsConfigGet(string key, string? defaultValue = null) => settings.Get(key) ?? defaultValue;

    // One node holds every slot: any hashtag maps here. This one is RedisGears' own on a single shard.
    public string Hashtag() => "{06S}";

    public void OverrideReply(object? value)
    {
        RunningExecution.ThrowIfAborted();
        var link = RunningExecution.Current?.Link
            ?? throw new GearsException("Can not get command ctx: OverrideReply needs an execution linked to a client's command (Register with commands: [...]); inside MULTI/EXEC, EVAL and FCALL no client can be linked");
        link.Override(value);
    }

    public object? CallNext(params object?[] arguments) => CallNextAsync(arguments).GetAwaiter().GetResult();

    public async Task<object?> CallNextAsync(params object?[] arguments)
    {
        RunningExecution.ThrowIfAborted();
        var hook = RunningExecution.Current?.Hook
            ?? throw new GearsException("CallNext can only be called from a command hook (GB(Readers.Command) ... Register(hook: ...))");
        var result = await hook.CallNextAsync(arguments).ConfigureAwait(false);
        RunningExecution.ThrowIfAborted();
        return result;
    }

    [LoggerMessage(Message = "[{Session}] {Message}")]
    private static partial void LogFromScript(ILogger logger, LogLevel level, string session, string message);
}
