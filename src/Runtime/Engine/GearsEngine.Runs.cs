using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.Executions;

namespace SharpGears.Runtime.Engine;

/// <summary>Batch jobs: <c>GB()...Run()</c> reads through its reader, in batches, into its steps, on the execution pool.</summary>
internal sealed partial class GearsEngine
{
    public ExecutionRegistry Executions { get; } = new(settings);

    /// <summary>Every execution kept, Runs and registrations' alike, oldest first (RG.DUMPEXECUTIONS).</summary>
    public List<IExecution> AllExecutions()
    {
        var all = new List<(long Sequence, IExecution Execution)>();
        foreach (var run in Executions.All)
        {
            all.Add((SequenceOf(run.Id), run));
        }
        foreach (var registration in CurrentRegistrations())
        {
            foreach (var kept in registration.Executions.Snapshot())
            {
                all.Add((kept.Sequence, kept));
            }
        }
        all.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return all.ConvertAll(entry => entry.Execution);
    }

    /// <summary>The execution with <paramref name="id"/>, a Run's or a registration's; null when none is kept.</summary>
    public IExecution? FindExecution(string id)
    {
        if (Executions.Get(id) is { } run)
        {
            return run;
        }
        var sequence = SequenceOf(id);
        return CurrentRegistrations().SelectMany(r => r.Executions.Snapshot()).FirstOrDefault(e => e.Sequence == sequence && e.Id == id);
    }

    /// <summary>Forgets a finished execution; false while it runs.</summary>
    public bool DropExecution(IExecution execution) => execution switch
    {
        BatchExecution run => Executions.TryDrop(run),
        RegisteredExecution kept => kept.Registration.Executions.Remove(kept),
        _ => false,
    };

    private List<Registrations.Registration> CurrentRegistrations()
    {
        lock (_sessions)
        {
            return [.. _registrations.Values];
        }
    }

    private static long SequenceOf(string id) =>
        long.TryParse(id.AsSpan(id.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture, out var sequence) ? sequence : -1;

    /// <summary>Starts a Run of <paramref name="sessionId"/>'s pipeline; throws at once when its reader cannot Run.</summary>
    public BatchExecution StartRun(string sessionId, RunRequest request)
    {
        RunReaders.Check(request);
        var execution = new BatchExecution(NextId(), sessionId, request);
        Executions.Add(execution);
        _ = _pool.Run(() => RunBatchAsync(execution));
        return execution;
    }

    private async Task RunBatchAsync(BatchExecution execution)
    {
        execution.OnStarted();
        var running = new RunningExecution(null, execution.Aborted);
        RunningExecution.Current = running;
        var runner = new PipelineRunner(execution.Request.Steps, running, execution.OnError, Settings.Profile);
        var results = new List<object?>();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(execution.Aborted);
        var aborted = false;
        try
        {
            var batches = RunReaders.Start(execution.Request, _client, execution, stopReading.Token);
            while (!runner.InputEnded && await batches.WaitToReadAsync(execution.Aborted))
            {
                while (!runner.InputEnded && batches.TryRead(out var batch))
                {
                    results.AddRange(await runner.PushAsync(batch));
                }
            }
            await stopReading.CancelAsync(); // a Limit may have ended the input early
            results.AddRange(await runner.FinishAsync());
        }
        catch (OperationCanceledException) when (execution.Aborted.IsCancellationRequested)
        {
            aborted = true;
            execution.OnError("Execution was aborted (RG.ABORTEXECUTION)");
        }
        catch (Exception e)
        {
            // The reader failed (the backend went away, a bad pattern): the run ends with what it has.
            execution.OnError(ScriptFailure.Describe(e is ChannelClosedException { InnerException: { } inner } ? inner : e));
            LogRunFailed(_logger, execution.Id, execution.SessionId, e.Message);
        }
        finally
        {
            RunningExecution.Current = null;
        }
        execution.StepTicks = runner.StepTicks;
        execution.OnFinished(results, aborted);
        Executions.Trim();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {Execution} of session {Session} stopped early: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, string execution, string session, string reason);
}
