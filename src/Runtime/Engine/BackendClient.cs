using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SharpGears.Api;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// SharpGears' own client of the backend, for what scripts <c>Execute</c>, logged in with the
/// <c>--backend</c> credentials. Two ways in:
/// <list type="bullet">
/// <item>asynchronous calls share one connection, kept open and reconnected like a shared lane, with
/// the commands of all callers pipelined on it; each is a <see cref="PendingCommand"/> that the
/// connection answers directly, in order;</item>
/// <item>synchronous calls from an execution worker (a thread that <see cref="AdoptCurrentThread"/>)
/// go over a connection of that thread's own with one blocking write and read, as RedisGears' execute
/// runs inline: no hand-off between threads, which is most of the cost of a small command.</item>
/// </list>
/// </summary>
internal sealed class BackendClient(BackendTarget target, ILogger logger, TimeSpan blockingReplyTimeout) : IAsyncDisposable
{
    private readonly SharedLane _lane = new(target, logger, authenticate: true, clientName: "sharpgears-engine");
    private readonly List<BlockingConnection> _blocking = [];

    [ThreadStatic]
    private static ThreadConnection? t_connection;

    public Task<bool> StartAsync(CancellationToken cancellationToken) => _lane.StartAsync(cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> (strings as UTF-8, byte
    /// arrays as they are, numbers in invariant culture) and returns its reply as <see cref="RespValue"/>
    /// describes; an error reply, or a backend that cannot be reached, throws a <see cref="GearsException"/>.
    /// </summary>
    public async Task<object?> ExecuteAsync(string command, params object?[] arguments)
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
            var pending = new PendingCommand();
            if (await connection.SendAsync(request, new PendingReply(pending, ReplyKind.Replies, 1)).ConfigureAwait(false))
            {
                return await pending.Result.ConfigureAwait(false);
            }
            // The connection was replaced under us: once more, on the new one.
        }
        throw new GearsException($"SharpGears cannot reach the backend Redis ({_lane.LastError ?? "connection lost"})");
    }

    /// <summary>
    /// As <see cref="ExecuteAsync"/>, blocking the caller: on an execution worker over its own
    /// connection, elsewhere by waiting for the shared one.
    /// </summary>
    public object? Execute(string command, params object?[] arguments) =>
        t_connection is { } own && own.Client == this
            ? ExecuteBlocking(own, command, arguments)
            : ExecuteAsync(command, arguments).GetAwaiter().GetResult();

    /// <summary>From now on, this thread's synchronous calls use a connection of its own (made when first needed).</summary>
    public void AdoptCurrentThread() => t_connection = new ThreadConnection(this);

    private object? ExecuteBlocking(ThreadConnection own, string command, object?[] arguments)
    {
        if (own.Connection is null)
        {
            try
            {
                own.Connection = BlockingConnection.Connect(target, "sharpgears-worker", selectDatabase: true, blockingReplyTimeout);
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or AggregateException or GearsException)
            {
                throw new GearsException($"SharpGears cannot reach the backend Redis ({(e is AggregateException a ? a.InnerException?.Message : e.Message)})");
            }
            lock (_blocking)
            {
                _blocking.Add(own.Connection);
            }
        }
        try
        {
            return own.Connection.Execute(command, arguments);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Whether the command ran is unknown, so it is not sent again; the next call reconnects.
            own.Connection.Dispose();
            own.Connection = null;
            throw new GearsException($"the connection to the backend Redis was lost during {command} ({e.Message}); it may or may not have run");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lane.DisposeAsync();
        lock (_blocking)
        {
            foreach (var connection in _blocking)
            {
                connection.Dispose();
            }
        }
    }

    private sealed class ThreadConnection(BackendClient client)
    {
        public BackendClient Client { get; } = client;

        public BlockingConnection? Connection { get; set; }
    }
}
