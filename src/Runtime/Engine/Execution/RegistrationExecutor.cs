using System.Diagnostics;
using Microsoft.Extensions.Logging;
using GearsException = SharpGears.Api.GearsException;
using SharpGears.Runtime.Engine.Configuration;
using SharpGears.Runtime.Engine.Executions;
using SharpGears.Runtime.Engine.Linking;
using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// Runs one execution of a registration: its input, its steps, its statistics. Whatever the script
/// does, the failure stays in this execution: it is counted, kept as <c>lastError</c> with the script
/// line, and logged (at most once a second per registration, with the stack trace). An execution that
/// runs past the time-out is counted as aborted at that moment, and the script functions it calls
/// from then on throw, so a script that keeps calling Redis stops.
/// </summary>
internal sealed partial class RegistrationExecutor : IDisposable
{
    private readonly GearsSettings _settings;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<RunningExecution, byte> _running = new();
    private readonly Timer _watchdog;

    private readonly Func<long> _nextSequence;

    public RegistrationExecutor(GearsSettings settings, ILogger logger, Func<long> nextSequence)
    {
        _nextSequence = nextSequence;
        _settings = settings;
        _logger = logger;
        _watchdog = new Timer(_ => AbortOverdue(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>How long an execution may run (RG.CONFIGSET ExecutionTimeout).</summary>
    public TimeSpan Timeout => _settings.Timeout;

    /// <summary>
    /// Runs <paramref name="registration"/> over the records <paramref name="read"/> gives (null: the
    /// event does not concern the registration after all, e.g. a key of another type; not counted),
    /// linked to a client's command or a hook chain when given. Never throws: the outcome says.
    /// </summary>
    public async Task<ExecutionOutcome> RunAsync<TState>(
        Registration registration, Func<TState, ValueTask<List<object?>?>> read, TState state, ClientLink? link = null, HookCall? hook = null)
    {
        if (!registration.IsActive)
        {
            return ExecutionOutcome.Skipped;
        }
        var statistics = registration.Statistics;
        List<object?>? records;
        try
        {
            records = await read(state);
        }
        catch (Exception e)
        {
            statistics.OnTriggered();
            var error = ScriptFailure.Describe(e);
            statistics.OnFailed(0, error);
            return ExecutionOutcome.Failed(error);
        }
        if (records is null)
        {
            return ExecutionOutcome.Skipped;
        }
        statistics.OnTriggered();
        var execution = new RunningExecution(registration) { Link = link, Hook = hook };
        var previous = RunningExecution.Current;
        RunningExecution.Current = execution;
        _running.TryAdd(execution, 0);
        try
        {
            var results = await PipelineRunner.RunAsync(registration.Steps, records, execution);
            if (execution.TryFinish())
            {
                statistics.OnSucceeded(Stopwatch.GetTimestamp() - execution.Started);
                Keep(registration, execution, results, null);
                return ExecutionOutcome.Succeeded(results);
            }
            Keep(registration, execution, null, AbortedMessage);
            return ExecutionOutcome.Failed(AbortedMessage);
        }
        catch (Exception e)
        {
            if (!execution.TryFinish())
            {
                Keep(registration, execution, null, AbortedMessage);
                return ExecutionOutcome.Failed(AbortedMessage);
            }
            var error = ScriptFailure.Describe(e);
            statistics.OnFailed(Stopwatch.GetTimestamp() - execution.Started, error);
            Keep(registration, execution, null, error);
            if (registration.ShouldLogFailure())
            {
                LogFailed(_logger, e, registration.Id, registration.Session.Id);
            }
            // A GearsException is the script's own error for the client (RedisGears' flat_error): its text alone.
            return ExecutionOutcome.Failed(e is GearsException ? e.Message : error);
        }
        finally
        {
            _running.TryRemove(execution, out _);
            RunningExecution.Current = previous;
        }
    }

    // Kept with the registration for RG.DUMPEXECUTIONS / RG.GETRESULTS, the last MaxExecutionsPerRegistration of them.
    private void Keep(Registration registration, RunningExecution execution, List<object?>? results, string? error)
    {
        var limit = _settings.MaxExecutionCountPerRegistration;
        if (limit > 0)
        {
            registration.Executions.Keep(
                new RegisteredExecution(_nextSequence(), registration, results, error, error == AbortedMessage, Stopwatch.GetTimestamp() - execution.Started), limit);
        }
    }

    private string AbortedMessage =>
        $"Execution was aborted: it ran for more than the execution time-out of {(long)_settings.Timeout.TotalMilliseconds} ms (RG.CONFIGSET ExecutionTimeout)";

    // One timer for all executions (a timer each would cost more than a small execution itself).
    private void AbortOverdue()
    {
        var limit = _settings.Timeout;
        foreach (var execution in _running.Keys)
        {
            if (Stopwatch.GetElapsedTime(execution.Started) > limit && execution.TryAbandon())
            {
                var registration = execution.Registration!;
                var milliseconds = (long)limit.TotalMilliseconds;
                registration.Statistics.OnAborted(Stopwatch.GetTimestamp() - execution.Started, AbortedMessage);
                LogAborted(_logger, registration.Id, milliseconds);
            }
        }
    }

    /// <summary>Aborts the running executions of <paramref name="registration"/> (counted as aborted, with <paramref name="reason"/>).</summary>
    public void AbortRunning(Registration registration, string reason)
    {
        foreach (var execution in _running.Keys)
        {
            if (execution.Registration == registration && execution.TryAbandon())
            {
                registration.Statistics.OnAborted(Stopwatch.GetTimestamp() - execution.Started, reason);
            }
        }
    }

    public void Dispose() => _watchdog.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} (session {Session}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string registration, string session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} was aborted after {Milliseconds} ms (the execution time-out)")]
    private static partial void LogAborted(ILogger logger, string registration, long milliseconds);
}

/// <summary>How an execution ended: its output records, or the error its caller (a hooked client, RG.TRIGGER) gets.</summary>
internal readonly record struct ExecutionOutcome(bool Ran, List<object?>? Records, string? Error)
{
    public static ExecutionOutcome Skipped => default;

    public static ExecutionOutcome Succeeded(List<object?> records) => new(true, records, null);

    public static ExecutionOutcome Failed(string error) => new(true, null, error);
}
