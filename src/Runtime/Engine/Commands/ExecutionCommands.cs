using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpGears.Runtime.Engine.Executions;
using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>
/// The execution registry's commands: RG.DUMPEXECUTIONS, RG.GETEXECUTION, RG.GETRESULTS,
/// RG.GETRESULTSBLOCKING, RG.ABORTEXECUTION, RG.DROPEXECUTION; and the reply of a Run.
/// </summary>
internal static class ExecutionCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine)
    {
        commands.Register("RG.DUMPEXECUTIONS", GearsPermission.Read, request => DumpExecutions(request, engine));
        commands.Register("RG.GETEXECUTION", GearsPermission.Read, request => WithExecution(request, engine, maxArguments: 3, GetExecution));
        commands.Register("RG.GETRESULTS", GearsPermission.Read, request => WithExecution(request, engine, maxArguments: 2, GetResults));
        commands.Register("RG.GETRESULTSBLOCKING", GearsPermission.Read, request => WithExecution(request, engine, maxArguments: 2, GetResultsBlockingAsync));
        commands.Register("RG.ABORTEXECUTION", GearsPermission.Admin, request => WithExecution(request, engine, maxArguments: 2, AbortAsync));
        commands.Register("RG.DROPEXECUTION", GearsPermission.Admin, request => WithExecution(request, engine, maxArguments: 2, (r, e) => Drop(r, e, engine)));
    }

    /// <summary>A finished Run's reply: <c>[[results...], [errors...]]</c>.</summary>
    public static void WriteResults(GearsRequest request, IExecution execution) =>
        RespReply.Write(request.Reply, new object?[] { execution.Results!.ConvertAll(ToReply), execution.Errors });

    private static ValueTask DumpExecutions(GearsRequest request, GearsEngine engine)
    {
        if (request.Count != 1)
        {
            request.WriteArityError();
            return ValueTask.CompletedTask;
        }
        RespReply.Write(request.Reply, engine.AllExecutions().ConvertAll(e => new object?[] { "executionId", e.Id, "status", e.Status, "registered", e.Registered ? 1L : 0L }));
        return ValueTask.CompletedTask;
    }

    private static ValueTask WithExecution(GearsRequest request, GearsEngine engine, int maxArguments, Func<GearsRequest, IExecution, ValueTask> then)
    {
        if (request.Count < 2 || request.Count > maxArguments)
        {
            request.WriteArityError();
            return ValueTask.CompletedTask;
        }
        if (engine.FindExecution(request[1]) is not { } execution)
        {
            request.WriteError("ERR execution does not exist");
            return ValueTask.CompletedTask;
        }
        return then(request, execution);
    }

    // RG.GETEXECUTION id [SHARD|CLUSTER]: one node, so both give this shard's plan.
    private static ValueTask GetExecution(GearsRequest request, IExecution execution)
    {
        if (request.Count == 3 && request[2].ToUpperInvariant() is not ("SHARD" or "CLUSTER"))
        {
            request.WriteError($"ERR Unknown argument given: {request[2]} (SHARD or CLUSTER)");
            return ValueTask.CompletedTask;
        }
        var steps = execution.Steps;
        var ticks = execution.StepTicks;
        var plan = new object?[]
        {
            "status", execution.Status,
            "shards_received", 0L,
            "shards_completed", 0L,
            "results", execution.Results is { } results ? (long)results.Count : -1L,
            "errors", execution.Errors,
            "total_duration", (long)execution.Duration.TotalMilliseconds,
            "read_duration", (long)Stopwatch.GetElapsedTime(0, execution.ReadTicks).TotalMilliseconds,
            "records_read", execution.RecordsRead,
            "steps", steps.Select((step, i) => new object?[]
            {
                "type", step.Name + "Step",
                "duration", i < ticks.Count ? (long)Stopwatch.GetElapsedTime(0, ticks[i]).TotalMilliseconds : 0L,
                "name", step.Operation,
                "arg", "",
            }).ToList(),
        };
        RespReply.Write(request.Reply, new object?[] { new object?[] { "shard_id", GearsEngine.ShardId, "execution_plan", plan } });
        return ValueTask.CompletedTask;
    }

    private static ValueTask GetResults(GearsRequest request, IExecution execution)
    {
        if (!execution.IsFinished)
        {
            request.WriteError("ERR execution is still running");
            return ValueTask.CompletedTask;
        }
        WriteResults(request, execution);
        return ValueTask.CompletedTask;
    }

    // Only this client waits: its session does not read its next command until the reply is written.
    private static async ValueTask GetResultsBlockingAsync(GearsRequest request, IExecution execution)
    {
        await execution.Done;
        WriteResults(request, execution);
    }

    private static async ValueTask AbortAsync(GearsRequest request, IExecution execution)
    {
        if (execution.IsFinished)
        {
            request.WriteError("ERR execution is already done");
            return;
        }
        execution.Abort();
        // It stops at its next record, or at once if it awaits; a step that neither calls Redis nor
        // awaits (a busy loop) cannot be stopped by .NET, so the reply does not wait for ever.
        await execution.Done.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        RespReply.Write(request.Reply, new RespReply.Status("OK"));
    }

    private static ValueTask Drop(GearsRequest request, IExecution execution, GearsEngine engine)
    {
        if (!engine.DropExecution(execution))
        {
            request.WriteError("ERR can not drop a not yet finished execution, abort it first.");
            return ValueTask.CompletedTask;
        }
        RespReply.Write(request.Reply, new RespReply.Status("OK"));
        return ValueTask.CompletedTask;
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        IncludeFields = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a reply, not HTML: "<" stays "<"
    };

    /// <summary>
    /// A result record as RESP: strings as bulk strings, integers as integers, other numbers as their
    /// invariant text, sequences as arrays; anything else (records such as KeyValue and KeyRecord,
    /// dictionaries, tuples, objects) as JSON, or its text if JSON cannot show it.
    /// </summary>
    public static object? ToReply(object? value) => value switch
    {
        null or string or long => value,
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        bool flag => flag ? 1L : 0L,
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        double or float or decimal or ulong => ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IDictionary => Json(value),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(ToReply).ToList(),
        _ => Json(value),
    };

    private static string Json(object value)
    {
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), s_json);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
        {
            return value.ToString() ?? "";
        }
    }
}
