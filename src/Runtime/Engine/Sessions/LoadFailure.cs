namespace SharpGears.Runtime.Engine.Sessions;

/// <summary>Why the file <paramref name="Origin"/> did not load as session <paramref name="SessionId"/> (compiler diagnostics, the exception of its body, ...).</summary>
internal sealed record LoadFailure(string SessionId, string Origin, string Error);
