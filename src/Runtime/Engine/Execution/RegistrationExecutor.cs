using System.Diagnostics;
using System.Runtime.CompilerServices;
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
internal sealed partial class RegistrationExecutor(GearsSettings settings, ILogger logger)
{
    private const int Running = 0, Finished = 1, Abandoned = 2;

    /// <summary>How long an execution may run (RG.CONFIGSET ExecutionTimeout).</summary>
    public TimeSpan Timeout => settings.Timeout;

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
        var started = Stopwatch.GetTimestamp();
        var outcome = new StrongBox<int>(Running);
        using var timeout = new CancellationTokenSource(settings.Timeout);
        await using var onTimeout = timeout.Token.UnsafeRegister(_ =>
        {
            if (Interlocked.CompareExchange(ref outcome.Value, Abandoned, Running) == Running)
            {
                var limit = (long)settings.Timeout.TotalMilliseconds;
                statistics.OnAborted(Stopwatch.GetTimestamp() - started, $"Execution was aborted: it ran for more than the execution time-out of {limit} ms (RG.CONFIGSET ExecutionTimeout)");
                LogAborted(logger, registration.Id, limit);
            }
        }, null);
        var previous = RunningExecution.Current;
        var execution = new RunningExecution(registration, timeout.Token);
        RunningExecution.Current = execution;
        try
        {
            await PipelineRunner.RunAsync(registration.Steps, records, execution);
            if (Interlocked.CompareExchange(ref outcome.Value, Finished, Running) == Running)
            {
                statistics.OnSucceeded(Stopwatch.GetTimestamp() - started);
            }
        }
        catch (Exception e)
        {
            if (Interlocked.CompareExchange(ref outcome.Value, Finished, Running) == Running)
            {
                statistics.OnFailed(Stopwatch.GetTimestamp() - started, ScriptFailure.Describe(e));
                if (registration.ShouldLogFailure())
                {
                    LogFailed(logger, e, registration.Id, registration.Session.Id);
                }
            }
        }
        finally
        {
            RunningExecution.Current = previous;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} (session {Session}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string registration, string session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An execution of registration {Registration} was aborted after {Milliseconds} ms (the execution time-out)")]
    private static partial void LogAborted(ILogger logger, string registration, long milliseconds);
}
