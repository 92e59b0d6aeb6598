using System.Diagnostics;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Executions;

/// <summary>
/// A finished execution of a registration, kept with it (the last MaxExecutionsPerRegistration) for
/// RG.DUMPEXECUTIONS and RG.GETRESULTS. Small on purpose: one is made for every event that ran.
/// </summary>
internal sealed class RegisteredExecution(long sequence, Registration registration, List<object?>? results, string? error, bool aborted, long durationTicks) : IExecution
{
    public long Sequence { get; } = sequence;

    public string Id => $"{GearsEngine.ShardId}-{Sequence}";

    public Registration Registration { get; } = registration;

    public string Status => aborted ? "aborted" : "done";

    public bool Registered => true;

    public bool IsFinished => true;

    public Task Done => Task.CompletedTask;

    public List<object?>? Results { get; } = results ?? [];

    public List<string> Errors => error is null ? [] : [error];

    public TimeSpan Duration => Stopwatch.GetElapsedTime(0, durationTicks);

    public long ReadTicks => 0;

    public long RecordsRead => 0;

    public IReadOnlyList<Step> Steps => Registration.Steps;

    public IReadOnlyList<long> StepTicks => [];

    public void Abort()
    {
    }
}

/// <summary>The last executions of one registration, newest last; the oldest go beyond the limit.</summary>
internal sealed class KeptExecutions
{
    private readonly List<RegisteredExecution> _kept = [];

    public void Keep(RegisteredExecution execution, int limit)
    {
        lock (_kept)
        {
            _kept.Add(execution);
            _kept.RemoveRange(0, Math.Max(0, _kept.Count - Math.Max(0, limit)));
        }
    }

    public RegisteredExecution[] Snapshot()
    {
        lock (_kept)
        {
            return [.. _kept];
        }
    }

    public bool Remove(RegisteredExecution execution)
    {
        lock (_kept)
        {
            return _kept.Remove(execution);
        }
    }
}
