using System.Diagnostics;
using System.Runtime.Loader;
using SharpGears.Api;
using SharpGears.Runtime.Loading;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>Describes a script's exception for <c>lastError</c> and replies: the message and the script line.</summary>
internal static class ScriptFailure
{
    /// <summary>
    /// "InvalidOperationException: message (at orders.csx:line 3)". A <see cref="GearsException"/>
    /// (RedisGears' flat_error, or an error reply from Redis) keeps its bare message; the line is
    /// still given, since it is what a user needs to find the call.
    /// </summary>
    public static string Describe(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerException!;
        }
        if (exception is ScriptCallException call)
        {
            return $"{Describe(call.InnerException!)} (at {call.Location})";
        }
        var text = exception is GearsException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
        if (exception is TypeInitializationException { InnerException: { } cause })
        {
            text += $" {Describe(cause)}"; // its own message only names the type: the cause is what to fix
        }
        return ScriptLine(exception) is { } line ? $"{text} (at {line})" : text;
    }

    /// <summary>
    /// "name.csx:line 3": the innermost script frame of the exception's stack trace, if any; for a
    /// plugin loaded with its .pdb, the innermost frame of its code ("StatusTextPlugin.cs:line 15").
    /// </summary>
    public static string? ScriptLine(Exception exception)
    {
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: true).GetFrames())
        {
            if (frame.GetFileName() is { } file && frame.GetFileLineNumber() > 0
                && (file.EndsWith(".csx", StringComparison.Ordinal) || IsPluginCode(frame)))
            {
                return $"{Path.GetFileName(file)}:line {frame.GetFileLineNumber()}";
            }
        }
        return exception.InnerException is { } inner ? ScriptLine(inner) : null;
    }

    private static bool IsPluginCode(StackFrame frame) =>
        frame.GetMethod()?.Module.Assembly is { IsCollectible: true } assembly
        && AssemblyLoadContext.GetLoadContext(assembly) is PluginLoadContext;
}
