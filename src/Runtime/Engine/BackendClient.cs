using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SharpGears.Api;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// A client of one Redis: SharpGears' own client of the backend (what scripts <c>Execute</c>, logged
/// in with the <c>--backend</c> credentials), or one a script made with <c>ConnectRedis</c>. Two ways in:
/// <list type="bullet">
/// <item>asynchronous calls share one connection, kept open and reconnected like a shared lane, with
/// the commands of all callers pipelined on it; each is a <see cref="PendingCommand"/> that the
/// connection answers directly, in order;</item>
/// <item>synchronous calls are one blocking write and read on a connection of their own, as
/// RedisGears' execute runs inline: no hand-off between threads, which is most of the cost of a small
/// command. An execution worker (a thread that <see cref="AdoptCurrentThread"/>) keeps one such
/// connection per client, so a script's commands keep their order and connection state (MULTI);
/// other threads borrow an idle one for the call.</item>
/// </list>
/// </summary>
internal sealed class BackendClient(BackendTarget target, ILogger logger, TimeSpan blockingReplyTimeout, string clientName = "sharpgears-engine", string description = "the backend Redis")
    : IRedisConnection
{
    private readonly SharedLane _lane = new(target, logger, authenticate: true, clientName: clientName, coalescing: WriteCoalescing.Prompt);
    private readonly ThreadLocal<BlockingConnection?> _threadConnection = new();
    private readonly ConcurrentBag<BlockingConnection> _idle = [];
    private readonly List<BlockingConnection> _blocking = [];
    private int _disposed;

    [ThreadStatic]
    private static bool t_keepsConnections;

    public Task<bool> StartAsync(CancellationToken cancellationToken) => _lane.StartAsync(cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> (strings as UTF-8, byte
    /// arrays as they are, numbers in invariant culture) and returns its reply as <see cref="RespValue"/>
    /// describes; an error reply, or a Redis that cannot be reached, throws a <see cref="GearsException"/>.
    /// </summary>
    public Task<object?> ExecuteAsync(string command, params object?[] arguments) => ExecuteAsync(resumeOnReceive: false, command, arguments);

    /// <summary>
    /// As <see cref="ExecuteAsync(string, object?[])"/>, but what awaits the reply resumes at once on
    /// the connection's receive loop, with no hand-off to another thread. Only for the engine's own
    /// continuations that are short and never block (a reader asking for its next page as soon as it
    /// knows where that starts, so that Redis is not left idle meanwhile): never for script code,
    /// which would hold up every reply behind it.
    /// </summary>
    public Task<object?> ExecuteResumingOnReceiveAsync(string command, params object?[] arguments) => ExecuteAsync(resumeOnReceive: true, command, arguments);

    private async Task<object?> ExecuteAsync(bool resumeOnReceive, string command, object?[] arguments)
    {
        var encoded = new ArrayBufferWriter<byte>(64);
        RespWriter.WriteCommand(encoded, command, arguments);
        var request = new ReadOnlySequence<byte>(encoded.WrittenMemory);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await _lane.GetConnectionAsync().ConfigureAwait(false) is not { } connection)
            {
                break;
            }
            var pending = new PendingCommand(resumeOnReceive);
            if (await connection.SendAsync(request, new PendingReply(pending, ReplyKind.Replies, 1)).ConfigureAwait(false))
            {
                return await pending.Result.ConfigureAwait(false);
            }
            // The connection was replaced under us: once more, on the new one.
        }
        throw new GearsException($"SharpGears cannot reach {description} ({_lane.LastError ?? "connection lost"})");
    }

    /// <summary>As <see cref="ExecuteAsync"/>, blocking the caller on a connection of its own (see the class).</summary>
    public object? Execute(string command, params object?[] arguments)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (t_keepsConnections)
        {
            var own = _threadConnection.Value ??= Connect();
            try
            {
                return Execute(own, command, arguments);
            }
            catch (GearsException) when (own.IsBroken)
            {
                _threadConnection.Value = null; // the next call reconnects
                throw;
            }
        }
        var borrowed = _idle.TryTake(out var idle) ? idle : Connect();
        try
        {
            return Execute(borrowed, command, arguments);
        }
        finally
        {
            if (!borrowed.IsBroken)
            {
                _idle.Add(borrowed); // also after an error reply: the connection is fine
            }
        }
    }

    /// <summary>From now on, this thread keeps a connection of its own to each client it calls synchronously.</summary>
    public static void AdoptCurrentThread() => t_keepsConnections = true;

    private BlockingConnection Connect()
    {
        BlockingConnection connection;
        try
        {
            connection = BlockingConnection.Connect(target, clientName, selectDatabase: true, blockingReplyTimeout);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or AggregateException or GearsException)
        {
            throw new GearsException($"SharpGears cannot reach {description} ({(e is AggregateException a ? a.InnerException?.Message : e.Message)})");
        }
        lock (_blocking)
        {
            _blocking.Add(connection);
        }
        return connection;
    }

    private object? Execute(BlockingConnection connection, string command, object?[] arguments)
    {
        try
        {
            return connection.Execute(command, arguments);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Whether the command ran is unknown, so it is not sent again.
            connection.Break();
            lock (_blocking)
            {
                _blocking.Remove(connection);
            }
            throw new GearsException($"the connection to {description} was lost during {command} ({e.Message}); it may or may not have run");
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _lane.DisposeAsync();
        lock (_blocking)
        {
            foreach (var connection in _blocking)
            {
                connection.Dispose();
            }
            _blocking.Clear();
        }
        _threadConnection.Dispose();
    }
}
