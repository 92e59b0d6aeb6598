namespace SharpGears.Runtime.Hosting;

/// <summary>SharpGears cannot start, for a reason the user can act on; the message says what to do.</summary>
internal sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
