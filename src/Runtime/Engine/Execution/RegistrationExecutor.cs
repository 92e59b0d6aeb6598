using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Engine.Configuration;
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

    public RegistrationExecutor(GearsSettings settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        _watchdog = new Timer(_ => AbortOverdue(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>How long an execution may run (RG.CONFIGSET ExecutionTimeout).</summary>
    public TimeSpan Timeout => _settings.Timeout;

    /// <summary>
    /// Runs <paramref name="registration"/> over the records <paramref name="read"/> gives (null: the
    /// event does not concern the registration after all, e.g. a key of another type; not counted).
    /// </summary>
    public async Task RunAsync<TState>(Registration registration, Func<TState, ValueTask<List<object?>?>> read, TState state)
    {
        if (!registration.IsActive)
        {
            return;
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
            statistics.OnFailed(0, ScriptFailure.Describe(e));
            return;
        }
        if (records is null)
        {
            return;
        }
        statistics.OnTriggered();
        var execution = new RunningExecution(registration);
        var previous = RunningExecution.Current;
        RunningExecution.Current = execution;
        _running.TryAdd(execution, 0);
        try
        {
            await PipelineRunner.RunAsync(registration.Steps, records, execution);
            if (execution.TryFinish())
            {
                statistics.OnSucceeded(Stopwatch.GetTimestamp() - execution.Started);
            }
        }
        catch (Exception e)
        {
            if (execution.TryFinish())
            {
                statistics.OnFailed(Stopwatch.GetTimestamp() - execution.Started, ScriptFailure.Describe(e));
                if (registration.ShouldLogFailure())
                {
                    LogFailed(_logger, e, registration.Id, registration.Session.Id);
                }
            }
        }
        finally
        {
            _running.TryRemove(execution, out _);
            RunningExecution.Current = previous;
        }
    }

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
                registration.Statistics.OnAborted(Stopwatch.GetTimestamp() - execution.Started,
                    $"Execution was aborted: it ran for more than the execution time-out of {milliseconds} ms (RG.CONFIGSET ExecutionTimeout)");
                LogAborted(_logger, registration.Id, milliseconds);
            }
        }
    }

    public void Dispose() => _watchdog.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} (session {Session}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string registration, string session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} was aborted after {Milliseconds} ms (the execution time-out)")]
    private static partial void LogAborted(ILogger logger, string registration, long milliseconds);
}
