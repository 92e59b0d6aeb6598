namespace SharpGears.Runtime.Scripting;

/// <summary>A script did not compile; <see cref="Exception.Message"/> lists every error with its line and column.</summary>
internal sealed class ScriptCompilationException(string message, IReadOnlyList<string> errors) : Exception(message)
{
    /// <summary>Each error as "line:column: CSxxxx: message".</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
