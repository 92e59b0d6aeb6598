namespace SharpGears.Api;

/// <summary>
/// A client of another Redis (a source to read through from, a sink to write behind to), made by
/// <see cref="IGears.ConnectRedis"/>. Its calls work as <see cref="IGears.Execute"/> and
/// <see cref="IGears.ExecuteAsync"/> do on the backend: the same reply values, an error reply thrown
/// as a <see cref="GearsException"/>. Safe to share between executions and threads.
/// </summary>
public interface IRedisConnection : IDisposable, IAsyncDisposable
{
    /// <summary>Runs a command and returns its reply, blocking the caller (one write and one read, no hand-off between threads).</summary>
    object? Execute(string command, params object?[] arguments);

    /// <summary>As <see cref="Execute"/>, without blocking the caller while Redis answers (the commands of all callers are pipelined).</summary>
    Task<object?> ExecuteAsync(string command, params object?[] arguments);
}
