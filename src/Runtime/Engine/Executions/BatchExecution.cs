using System.Diagnostics;
using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Engine.Executions;

/// <summary>
/// One <c>Run()</c>: its reader and steps, its progress while it runs, then its results and the errors
/// of the records that failed. Kept in the <see cref="ExecutionRegistry"/> until dropped or pushed out.
/// </summary>
internal sealed class BatchExecution(string id, string sessionId, RunRequest request) : IExecution
{
    /// <summary>At most this many errors are kept (the count goes on): a run over a million bad records must not hold a million messages.</summary>
    public const int MaxErrorsKept = 1000;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private readonly List<string> _errors = [];
    private long _recordsRead;
    private long _errorCount;

    public string Id { get; } = id;

    public string SessionId { get; } = sessionId;

    public RunRequest Request { get; } = request;

    public IReadOnlyList<Step> Steps => Request.Steps;

    public bool Registered => false;

    /// <summary>"created", "running", "done" or "aborted", as RedisGears names them.</summary>
    public string Status { get; private set; } = "created";

    public bool IsFinished => _done.Task.IsCompleted;

    /// <summary>Completes when the execution has finished, whatever its outcome.</summary>
    public Task Done => _done.Task;

    public CancellationToken Aborted => _abort.Token;

    /// <summary>Records the reader has produced so far: the progress of a long run.</summary>
    public long RecordsRead => Interlocked.Read(ref _recordsRead);

    /// <summary>The records that came out; null until the execution has finished.</summary>
    public List<object?>? Results { get; private set; }

    public long Started { get; private set; }

    public long Ended { get; private set; }

    /// <summary>Time the reader spent waiting for Redis (Stopwatch ticks).</summary>
    public long ReadTicks { get; set; }

    /// <summary>Time spent in each step (Stopwatch ticks; zeros unless ProfileExecutions was on).</summary>
    public IReadOnlyList<long> StepTicks { get; set; } = [];

    public void OnStarted()
    {
        Started = Stopwatch.GetTimestamp();
        Status = "running";
    }

    public void OnRead(int records) => Interlocked.Add(ref _recordsRead, records);

    public void OnError(string error)
    {
        lock (_errors)
        {
            _errorCount++;
            if (_errors.Count < MaxErrorsKept)
            {
                _errors.Add(error);
            }
        }
    }

    /// <summary>The errors kept, and a last line saying how many more there were.</summary>
    public List<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return _errorCount > _errors.Count ? [.. _errors, $"... and {_errorCount - _errors.Count} more errors"] : [.. _errors];
            }
        }
    }

    public void OnFinished(List<object?> results, bool aborted)
    {
        Results = results;
        Ended = Stopwatch.GetTimestamp();
        Status = aborted ? "aborted" : "done";
        _done.TrySetResult();
    }

    /// <summary>Asks the execution to stop: it stops at its next record, or at once if a step is awaiting.</summary>
    public void Abort() => _abort.Cancel();

    public TimeSpan Duration => Started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Started, Ended == 0 ? Stopwatch.GetTimestamp() : Ended);
}
