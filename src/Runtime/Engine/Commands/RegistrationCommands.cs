using System.Text.Json;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>RG.DUMPREGISTRATIONS, RG.UNREGISTER and RG.CLEARREGISTRATIONSSTATS.</summary>
internal static class RegistrationCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine)
    {
        commands.Register("RG.DUMPREGISTRATIONS", GearsPermission.Read, request =>
        {
            RespReply.Write(request.Reply, engine.Registrations.Select(Entry).ToList());
            return ValueTask.CompletedTask;
        });
        commands.Register("RG.UNREGISTER", GearsPermission.Admin, async request =>
        {
            if (request.Count is < 2 or > 3)
            {
                request.WriteArityError();
                return;
            }
            if (request.Count == 3 && !string.Equals(request[2], "abortpending", StringComparison.OrdinalIgnoreCase))
            {
                request.WriteError($"ERR Unknown argument given: {request[2]} (the only one is abortpending)");
                return;
            }
            // Executions already queued still run, unless abortpending (as in RedisGears).
            RespReply.Write(request.Reply, await engine.UnregisterAsync(request[1], abortPending: request.Count == 3)
                ? new RespReply.Status("OK")
                : new GearsException("execution is not registered"));
        });
        commands.Register("RG.PAUSEREGISTRATIONS", GearsPermission.Admin, request => PauseOrUnpause(request, engine, pause: true));
        commands.Register("RG.UNPAUSEREGISTRATIONS", GearsPermission.Admin, request => PauseOrUnpause(request, engine, pause: false));
        commands.Register("RG.CLEARREGISTRATIONSSTATS", GearsPermission.Admin, request =>
        {
            foreach (var registration in engine.Registrations)
            {
                registration.Statistics.Clear();
                registration.Stream?.ClearLag();
            }
            RespReply.Write(request.Reply, new RespReply.Status("OK"));
            return ValueTask.CompletedTask;
        });
    }

    // RG.PAUSEREGISTRATIONS [ABORTPENDING] id ... / RG.UNPAUSEREGISTRATIONS id ...: StreamReader
    // registrations only; every id is checked before any is changed.
    private static ValueTask PauseOrUnpause(GearsRequest request, GearsEngine engine, bool pause)
    {
        var first = 1;
        var abortPending = pause && request.Count > 1 && string.Equals(request[1], "abortpending", StringComparison.OrdinalIgnoreCase);
        if (abortPending)
        {
            first = 2;
        }
        if (request.Count <= first)
        {
            request.WriteArityError();
            return ValueTask.CompletedTask;
        }
        var registrations = engine.Registrations.ToDictionary(r => r.Id);
        var targets = new List<Streams.StreamRegistration>();
        for (var i = first; i < request.Count; i++)
        {
            if (!registrations.TryGetValue(request[i], out var registration))
            {
                request.WriteError($"ERR registration {request[i]} does not exist");
                return ValueTask.CompletedTask;
            }
            if (registration.Stream is not { } stream)
            {
                request.WriteError($"ERR registration {request[i]} is a {registration.Request.Reader} registration: only StreamReader registrations can be paused");
                return ValueTask.CompletedTask;
            }
            targets.Add(stream);
        }
        foreach (var stream in targets)
        {
            if (pause)
            {
                engine.Streams.Pause(stream, abortPending);
            }
            else
            {
                engine.Streams.Unpause(stream);
            }
        }
        RespReply.Write(request.Reply, new RespReply.Status("OK"));
        return ValueTask.CompletedTask;
    }

    /// <summary>One entry of RG.DUMPREGISTRATIONS, with RedisGears 1.2's fields in its order.</summary>
    public static object?[] Entry(Registration registration)
    {
        var request = registration.Request;
        object?[] entry =
        [
            "id", registration.Id,
            "reader", request.Reader,
            "desc", registration.Session.Definition.Description,
            "RegistrationData", RegistrationData(registration),
            "PD", $"{{'sessionId':'{registration.Session.Id}', 'depsList':[{string.Join(", ", registration.Session.Code.Packages.Requirements.Select(r => $"'{r}'"))}]}}",
            "ExecutionThreadPool", "DefaultPool",
        ];
        // SharpGears' addition, only when there is something to say: what looked wrong at registration.
        return registration.Warnings.Count == 0 ? entry : [.. entry, "warnings", registration.Warnings];
    }

    // The reader's arguments, as RedisGears 1.2 shows them for its reader.
    private static object?[] Arguments(RegistrationRequest request) => request switch
    {
        { Trigger: { } trigger } => ["trigger", trigger, "inorder", 0L],
        { Hook: { } hook } => ["hook", hook, "keyprefix", request.KeyPrefix],
        _ => ["regex", request.Prefix, "eventTypes", request.EventTypes, "keyTypes", request.KeyTypes, "hookCommands", request.Commands],
    };

    // A StreamReader registration also shows its lag, after the durations, and its status, last.
    private static object?[] RegistrationData(Registration registration)
    {
        var statistics = registration.Statistics;
        var stream = registration.Stream;
        return
        [
            "mode", ModeName(registration.Mode),
            "numTriggered", statistics.Triggered,
            "numSuccess", statistics.Success,
            "numFailures", statistics.Failures,
            "numAborted", statistics.Aborted,
            "lastRunDurationMS", statistics.LastRunDurationMs,
            "totalRunDurationMS", statistics.TotalRunDurationMs,
            "avgRunDurationMS", statistics.AverageRunDurationMs,
            .. stream is null ? [] : new object?[] { "lastEstimatedLagMS", stream.LastEstimatedLagMs, "avgEstimatedLagMS", stream.AverageEstimatedLagMs },
            "lastError", statistics.LastError,
            "args", stream is null ? Arguments(registration.Request) : StreamArguments(registration.Request, stream),
            .. stream is null ? [] : new object?[] { "status", stream.StatusName },
        ];
    }

    // RedisGears 1.2's StreamReader args, and the status there too (GEARS-REFERENCE lists it with the
    // args; RedisGears itself sends it after them, in RegistrationData, where it is as well).
    private static object?[] StreamArguments(RegistrationRequest request, Streams.StreamRegistration stream)
    {
        var options = stream.Options;
        return
        [
            "batchSize", (long)options.Batch,
            "durationMS", (long)options.DurationMs,
            "stream", request.Prefix,
            "trimStream", options.TrimStream ? 1L : 0L,
            "onFailedPolicy", options.OnFailedPolicy.ToString().ToLowerInvariant(),
            "retryInterval", (long)options.RetryIntervalSeconds,
            "status", stream.StatusName,
        ];
    }

    public static string ModeName(ExecutionMode mode) => mode switch
    {
        ExecutionMode.Sync => "sync",
        ExecutionMode.AsyncLocal => "async_local",
        _ => "async",
    };
}
