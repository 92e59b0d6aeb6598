using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// The execution the current code runs for, as the script functions see it (an ambient value that
/// flows through awaits): whose statistics count, and whether it was aborted.
/// </summary>
internal sealed class RunningExecution(Registration? registration, CancellationToken aborted)
{
    private static readonly AsyncLocal<RunningExecution?> s_current = new();

    /// <summary>The execution of the code running now; null outside executions (a script's body).</summary>
    public static RunningExecution? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public Registration? Registration { get; } = registration;

    /// <summary>Cancelled when the execution is aborted (time-out): script functions then throw.</summary>
    public CancellationToken Aborted { get; } = aborted;

    /// <summary>Throws when the current execution was aborted, so that a script stops at its next call.</summary>
    public static void ThrowIfAborted()
    {
        if (s_current.Value is { Aborted.IsCancellationRequested: true })
        {
            throw new OperationCanceledException("the execution was aborted: it ran past the execution time-out (RG.CONFIGSET ExecutionTimeout)");
        }
    }
}
