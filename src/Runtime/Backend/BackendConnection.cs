using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// One connection to the backend Redis. A shared connection multiplexes the plain commands of many
/// clients; a private one belongs to a single client that holds connection state (MULTI, SELECT,
/// AUTH, SUBSCRIBE, blocking commands, ...). Either way requests go out in the order they were sent
/// and each reply frame goes to the client whose <see cref="PendingReply"/> is at the head of the
/// queue; pushes (pub/sub messages, RESP3 push frames, MONITOR lines) go to the owner.
/// </summary>
/// <remarks>
/// Writers append to an outbound pipe under a gate, so many clients' requests coalesce into one
/// socket write (the batching that lets Redis answer a pipelined stream). The receive loop walks reply
/// frames without copying them into objects and writes runs of bytes straight to each client's output.
/// </remarks>
internal sealed partial class BackendConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Queue<PendingReply> _pending = new();

    // Write combining: requests are appended to _fill and written in one call by a single sender.
    // A request that finds replies still outstanding is not sent at once; how long it waits is the
    // connection's WriteCoalescing (see there). A private connection sends at once (a request streamed
    // in parts must never wait for its own reply). _pending's lock guards all of it.
    private byte[] _fill = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private byte[]? _spare = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _fillCount;
    private bool _sending;
    private int _unsent;
    private TaskCompletionSource? _roomWaiter;
    private const int InitialBufferSize = 64 * 1024;

    // A writer waits while this much is gathered and unsent: a large request streamed faster than the
    // backend takes it (private), or clients flooding a backend that is busy (shared). The backend's
    // pace then reaches the clients through TCP, as it would without the gateway.
    private int BackpressureThreshold => _owner is null ? 4 * 1024 * 1024 : 1024 * 1024;
    private readonly IReplySink? _owner;
    private readonly WriteCoalescing _coalescing;
    private readonly ILogger _logger;
    private readonly Action<BackendConnection>? _onFailed;
    private Task _receiving = Task.CompletedTask;
    private bool _failed;
    private bool _closing;
    private bool _retiring;

    private BackendConnection(Socket socket, IReplySink? owner, WriteCoalescing coalescing, ILogger logger, Action<BackendConnection>? onFailed)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _owner = owner;
        _coalescing = coalescing;
        _logger = logger;
        _onFailed = onFailed;
    }

    /// <summary>True once the connection is lost; it then sends nothing more.</summary>
    public bool IsFailed => Volatile.Read(ref _failed);

    /// <summary>Completes when the receive loop has ended.</summary>
    public Task Completion => _receiving;

    /// <summary>
    /// Connects. <paramref name="owner"/> is the client of a private connection, null for a shared one.
    /// With <paramref name="authenticate"/> the connection logs in with the target's credentials: only
    /// SharpGears' own connections do, never those that serve clients; they also give themselves a
    /// <paramref name="clientName"/>. <paramref name="coalescing"/> applies to a shared connection.
    /// </summary>
    public static async Task<BackendConnection> ConnectAsync(
        BackendTarget target, IReplySink? owner, ILogger logger, Action<BackendConnection>? onFailed, CancellationToken cancellationToken,
        bool authenticate = false, string? clientName = null, WriteCoalescing coalescing = WriteCoalescing.PacedByReplies)
    {
        var socket = target.EndPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(target.EndPoint, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new BackendConnection(socket, owner, coalescing, logger, onFailed);
        connection.Start();
        if (authenticate && target.Password is { } password)
        {
            string[] auth = target.User is { } user ? ["AUTH", user, password] : ["AUTH", password];
            var login = new PendingCommand();
            await connection.SendAsync(new ReadOnlySequence<byte>(RespWriter.EncodeCommand(auth)), new PendingReply(login, ReplyKind.Replies, 1));
            try
            {
                await login.Result.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        if (clientName is not null)
        {
            // SharpGears' own connections say so in CLIENT LIST; a refusal (ACL) changes nothing else.
            await connection.SendAsync(new ReadOnlySequence<byte>(RespWriter.EncodeCommand("CLIENT", "SETNAME", clientName)),
                new PendingReply(null, ReplyKind.Replies, 1));
        }
        if (target.Database != 0)
        {
            // Client connections start in the configured database, as the gateway's clients expect.
            await connection.SendAsync(new ReadOnlySequence<byte>(RespWriter.EncodeCommand("SELECT", target.Database.ToString())),
                new PendingReply(null, ReplyKind.Replies, 1));
        }
        return connection;
    }

    private void Start() => _receiving = Task.Run(ReceiveLoopAsync);

    /// <summary>
    /// Sends <paramref name="request"/> and queues <paramref name="expected"/> (unless its Count is 0) as
    /// what will answer it. Returns false, having sent nothing, when the connection is already lost;
    /// once queued, a reply is always delivered, as an error if the connection fails later.
    /// </summary>
    public ValueTask<bool> SendAsync(ReadOnlySequence<byte> request, PendingReply expected)
    {
        lock (_pending)
        {
            if (_failed || _retiring)
            {
                return ValueTask.FromResult(false);
            }
            if (expected.Count != 0)
            {
                _pending.Enqueue(expected);
                _unsent++;
            }
            var awaitingReplies = _pending.Count > _unsent;
            if (_sending || (_owner is null && awaitingReplies))
            {
                Append(request);
                if (!_sending && _coalescing == WriteCoalescing.Prompt)
                {
                    // The rest of a burst comes in while a pool thread starts: one write takes them all.
                    _sending = true;
                    ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.SendGatheredInBackground(), this, preferLocal: false);
                }
                if (_fillCount > BackpressureThreshold)
                {
                    _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return WaitForRoomAsync(_roomWaiter.Task);
                }
                return ValueTask.FromResult(true);
            }
            _sending = true;
            if (_fillCount > 0)
            {
                Append(request);
                request = default;
            }
            else
            {
                _unsent = 0;
            }
        }
        // Nothing gathered before it: send straight from the caller's buffer (which it keeps until
        // this completes), without a copy.
        return SendGatheredAsync(request);

        static async ValueTask<bool> WaitForRoomAsync(Task room)
        {
            await room.ConfigureAwait(false);
            return true;
        }
    }

    private void Append(ReadOnlySequence<byte> request)
    {
        var needed = _fillCount + (int)request.Length;
        if (needed > _fill.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _fill.Length * 2));
            _fill.AsSpan(0, _fillCount).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_fill);
            _fill = larger;
        }
        request.CopyTo(_fill.AsSpan(_fillCount));
        _fillCount = needed;
    }

    // The sender writes `first`, then what was gathered, until nothing is left; meanwhile others
    // only append.
    private async ValueTask<bool> SendGatheredAsync(ReadOnlySequence<byte> first = default)
    {
        try
        {
            foreach (var segment in first)
            {
                for (var sent = 0; sent < segment.Length;)
                {
                    sent += await _socket.SendAsync(segment[sent..], SocketFlags.None).ConfigureAwait(false);
                }
            }
            while (true)
            {
                byte[] buffer;
                int count;
                lock (_pending)
                {
                    if (_fillCount == 0 || _failed)
                    {
                        _sending = false;
                        _roomWaiter?.TrySetResult();
                        _roomWaiter = null;
                        return true;
                    }
                    (buffer, count) = (_fill, _fillCount);
                    _fill = _spare ?? ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                    _spare = null;
                    _fillCount = 0;
                    _unsent = 0;
                    _roomWaiter?.TrySetResult();
                    _roomWaiter = null;
                }
                for (var sent = 0; sent < count;)
                {
                    sent += await _socket.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None).ConfigureAwait(false);
                }
                lock (_pending)
                {
                    if (_spare is null && buffer.Length <= 4 * InitialBufferSize)
                    {
                        _spare = buffer;
                        continue;
                    }
                }
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The receive loop sees the same broken socket and answers what is pending with errors.
            lock (_pending)
            {
                _sending = false;
                _fillCount = 0;
                _roomWaiter?.TrySetResult();
                _roomWaiter = null;
            }
            Shutdown();
            return true;
        }
    }

    /// <summary>Sends what was gathered while replies were outstanding (called by the receive loop).</summary>
    private void SendGathered()
    {
        lock (_pending)
        {
            if (_fillCount == 0 || _sending || _failed)
            {
                return;
            }
            _sending = true;
        }
        _ = SendGatheredInBackground();
    }

    // Sends what was gathered (the caller has set _sending); a full socket buffer finishes in the background.
    private Task SendGatheredInBackground()
    {
        var sending = SendGatheredAsync();
        return sending.IsCompleted ? Task.CompletedTask : sending.AsTask();
    }

    private void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Takes no more requests (SendAsync answers false) and closes once every reply already expected
    /// has arrived, so that nothing sent on it is reported failed after Redis ran it.
    /// </summary>
    public void Retire()
    {
        lock (_pending)
        {
            _retiring = true;
            if (_pending.Count > 0 || _sending)
            {
                return; // the receive loop closes it after the last reply
            }
        }
        Volatile.Write(ref _closing, true);
        Shutdown();
    }

    /// <summary>Closes the connection; whatever was pending gets error replies.</summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closing, true);
        Shutdown();
        await Completion.ConfigureAwait(false);
        _stream.Dispose();
    }
}
