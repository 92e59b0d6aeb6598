using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Engine.Executions;

/// <summary>An execution as the registry's commands show it: a Run (<see cref="BatchExecution"/>) or one of a registration's (<see cref="RegisteredExecution"/>).</summary>
internal interface IExecution
{
    string Id { get; }

    /// <summary>"created", "running", "done" or "aborted".</summary>
    string Status { get; }

    /// <summary>True for an execution of a registration (RG.DUMPEXECUTIONS' <c>registered</c>).</summary>
    bool Registered { get; }

    bool IsFinished { get; }

    Task Done { get; }

    /// <summary>The records that came out; null while running.</summary>
    List<object?>? Results { get; }

    List<string> Errors { get; }

    TimeSpan Duration { get; }

    long ReadTicks { get; }

    long RecordsRead { get; }

    IReadOnlyList<Step> Steps { get; }

    IReadOnlyList<long> StepTicks { get; }

    void Abort();
}
