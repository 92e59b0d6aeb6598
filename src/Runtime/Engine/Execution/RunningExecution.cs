using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// The execution the current code runs for, as the script functions see it (an ambient value that
/// flows through awaits): whose statistics count, and whether it was aborted.
/// </summary>
internal sealed class RunningExecution
{
    private static readonly AsyncLocal<RunningExecution?> s_current = new();
    private const int Running = 0, Finished = 1, Abandoned = 2;
    private readonly CancellationTokenSource? _abort;
    private int _outcome;

    /// <summary>An execution that <paramref name="aborted"/> aborts (a script's body).</summary>
    public RunningExecution(Registration? registration, CancellationToken aborted)
    {
        Registration = registration;
        Aborted = aborted;
    }

    /// <summary>An execution of <paramref name="registration"/>, aborted by <see cref="TryAbandon"/>.</summary>
    public RunningExecution(Registration registration)
    {
        Registration = registration;
        _abort = new CancellationTokenSource();
        Aborted = _abort.Token;
    }

    /// <summary>When it started (a Stopwatch timestamp).</summary>
    public long Started { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>True for the first of <see cref="TryFinish"/> and <see cref="TryAbandon"/>: its outcome is the one counted.</summary>
    public bool TryFinish() => Interlocked.CompareExchange(ref _outcome, Finished, Running) == Running;

    /// <summary>Aborts the execution (the time-out): true when it had not finished yet.</summary>
    public bool TryAbandon()
    {
        if (Interlocked.CompareExchange(ref _outcome, Abandoned, Running) != Running)
        {
            return false;
        }
        _abort?.Cancel();
        return true;
    }

    /// <summary>The execution of the code running now; null outside executions (a script's body).</summary>
    public static RunningExecution? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public Registration? Registration { get; }

    /// <summary>The client command this execution is linked to (<c>commands</c>), whose reply it may override.</summary>
    public Linking.ClientLink? Link { get; init; }

    /// <summary>The hook chain this execution is part of, for <c>CallNext</c>.</summary>
    public Linking.HookCall? Hook { get; init; }

    /// <summary>Cancelled when the execution is aborted (time-out): script functions then throw.</summary>
    public CancellationToken Aborted { get; }

    // The command a step ended with (ExecuteAtStepEnd), not yet answered, and where the script sent it.
    private Task<object?>? _stepEndCommand;
    private string? _stepEndLocation;

    /// <summary>True when no command waits for the end of the step yet.</summary>
    public bool CanDeferToStepEnd => _stepEndCommand is null;

    /// <summary>Keeps the command a step's lambda ends with (see IGears.ExecuteAtStepEnd) until the step returns.</summary>
    public void DeferToStepEnd(Task<object?> command, string location)
    {
        _stepEndCommand = command;
        _stepEndLocation = location;
    }

    /// <summary>
    /// Waits for the command the step ended with, if any, and throws its error as the step's own, at
    /// the script line that sent it. Called when every step returns, before anything else runs.
    /// </summary>
    public ValueTask StepEndedAsync() => _stepEndCommand is null ? ValueTask.CompletedTask : AwaitStepEndAsync();

    private async ValueTask AwaitStepEndAsync()
    {
        var command = _stepEndCommand!;
        var location = _stepEndLocation!;
        _stepEndCommand = null;
        try
        {
            await command.WaitAsync(Aborted);
        }
        catch (Api.GearsException e)
        {
            throw new ScriptCallException(e, location);
        }
    }

    /// <summary>Throws when the current execution was aborted, so that a script stops at its next call.</summary>
    public static void ThrowIfAborted()
    {
        if (s_current.Value is { Aborted.IsCancellationRequested: true })
        {
            throw new OperationCanceledException("the execution was aborted: it ran past the execution time-out (RG.CONFIGSET ExecutionTimeout)");
        }
    }
}
