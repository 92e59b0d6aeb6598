namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// A command's error that surfaced after the script's frame returned (a step's last Execute), with
/// the script location that sent it, so that it is reported as if thrown there.
/// </summary>
internal sealed class ScriptCallException(Exception inner, string location) : Exception(inner.Message, inner)
{
    /// <summary>"orders.csx:line 3".</summary>
    public string Location { get; } = location;
}
