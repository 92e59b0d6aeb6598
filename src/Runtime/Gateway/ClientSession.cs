using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// One client connection. It reads requests, forwards plain ones on a shared backend connection and
/// moves to a private backend connection of its own the first time it needs connection state; replies
/// come back in request order, written straight into the client's output by the backend connection.
/// </summary>
internal sealed partial class ClientSession : IReplySink, IGearsClient
{
    private readonly GatewayServer _server;
    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Lock _outputLock = new();
    private readonly ILogger _logger;
    private readonly SharedLane _lane;
    private bool _outputClosed;
    private bool _flushPending;
    private bool _closing;

    private BackendConnection? _private;
    private int _outstanding;
    private TaskCompletionSource? _drained;
    private int _drainedAt; // the _outstanding count that completes _drained
    private ReplySuppression _suppression;

    public ClientSession(GatewayServer server, ConnectionContext connection, SharedLane lane, ILogger logger)
    {
        _server = server;
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _lane = lane;
        _logger = logger;
        _parser = new RequestParser(server.Options.MaxBulkLength);
    }

    /// <summary>Called between requests (RG.* handling), when the client's connection has no replies outstanding.</summary>
    public Task<object?>? AskOwnConnection(params string[] command) =>
        _private is null ? null : AskAsync(ForwardAsync(command[0], command[1..]));

    // An error reply (also the one for a lost connection) is thrown as a GearsException.
    private static async Task<object?> AskAsync(Task<byte[]> reply) => RespValue.Read(new ReadOnlySequence<byte>(await reply));

    /// <summary>The client's id within the gateway (not the backend's CLIENT ID).</summary>
    public string Id => _connection.ConnectionId;

    public async Task RunAsync()
    {
        using var closed = _connection.ConnectionClosed.Register(static state => ((ClientSession)state!).OnConnectionClosed(), this);
        try
        {
            while (!_closing)
            {
                var result = await _input.ReadAsync();
                var buffer = result.Buffer;
                var consumed = await ProcessAsync(buffer);
                if (_closing)
                {
                    break;
                }
                _input.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ConnectionAbortedException or InvalidOperationException)
        {
            // The client went away mid-request; nothing to answer.
        }
        finally
        {
            await CloseAsync();
        }
    }

    private void OnConnectionClosed()
    {
        Volatile.Write(ref _closing, true);
        Interlocked.Exchange(ref _drained, null)?.TrySetCanceled();
        _input.CancelPendingRead();
    }

    private async Task CloseAsync()
    {
        _closing = true;
        lock (_outputLock)
        {
            _outputClosed = true;
        }
        await _input.CompleteAsync();
        await _output.CompleteAsync();
        if (_private is { } connection)
        {
            _private = null;
            await connection.DisposeAsync();
        }
    }

    // ---- Called by backend connections, on their receive loops. ----

    /// <summary>Writes reply bytes; true when the caller must call <see cref="FlushFromBackend"/>.</summary>
    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        lock (_outputLock)
        {
            if (_outputClosed)
            {
                return false;
            }
            RespWriter.WriteRaw(Out, bytes);
            if (_flushPending || _lastHeld is not null)
            {
                return false;
            }
            _flushPending = true;
            return true;
        }
    }

    public void FlushFromBackend()
    {
        lock (_outputLock)
        {
            _flushPending = false;
            FlushLocked();
        }
    }

    /// <summary>One entry of expected replies has been answered in full.</summary>
    public void OnRepliesDelivered()
    {
        if (Interlocked.Decrement(ref _outstanding) <= Volatile.Read(ref _drainedAt))
        {
            Interlocked.Exchange(ref _drained, null)?.TrySetResult();
        }
    }

    /// <summary>Answers <paramref name="count"/> requests with the same error.</summary>
    public void FailReplies(int count, string message)
    {
        lock (_outputLock)
        {
            if (_outputClosed)
            {
                return;
            }
            for (var i = 0; i < count; i++)
            {
                RespWriter.WriteError(Out, message);
            }
            FlushLocked();
        }
    }

    /// <summary>The client's private backend connection is gone, and with it the state it held.</summary>
    public void OnBackendLost()
    {
        // Like Redis going away: the client sees its connection close, after the error replies.
        _closing = true;
        _input.CancelPendingRead();
    }

    /// <summary>Closes the client at once (a reply was cut off half way).</summary>
    public void Abort()
    {
        lock (_outputLock)
        {
            _outputClosed = true;
        }
        _connection.Abort(new ConnectionAbortedException("backend connection lost mid-reply"));
    }

    // ---- Local replies, in order after everything forwarded before them. ----

    private void WriteLocal(Action<IBufferWriter<byte>> write)
    {
        lock (_outputLock)
        {
            if (_outputClosed)
            {
                return;
            }
            write(Out);
            FlushLocked();
        }
    }

    private void WriteLocalError(string message) => WriteLocal(output => RespWriter.WriteError(output, message));

    /// <summary>
    /// Completes when the client has taken what was written (Kestrel's pause threshold), or when the
    /// session stops reading input to wait for replies (see DrainAsync).
    /// </summary>
    public Task OutputDrained
    {
        get
        {
            if (Volatile.Read(ref _congestion) is not { IsCompleted: false } congestion || Volatile.Read(ref _draining))
            {
                return Task.CompletedTask;
            }
            var release = Volatile.Read(ref _backPressureRelease);
            if (release is null)
            {
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                release = Interlocked.CompareExchange(ref _backPressureRelease, fresh, null) ?? fresh;
                if (Volatile.Read(ref _draining))
                {
                    release.TrySetResult();
                }
            }
            return Task.WhenAny(congestion, release.Task);
        }
    }

    private bool OutputCongested => Volatile.Read(ref _congestion) is { IsCompleted: false };

    private bool _draining;
    private TaskCompletionSource? _backPressureRelease;

    // Nothing here ever waits for the client: a backend connection that other clients share must not
    // stall on one slow reader. While a flush is held back by the client, later writes only append
    // (a pipe allows one flush at a time) and are flushed when it completes; a private connection
    // waits on OutputDrained instead.
    private Task? _congestion;

    private void FlushLocked()
    {
        if (_congestion is { IsCompleted: false })
        {
            return;
        }
        var flush = _output.FlushAsync();
        _congestion = flush.IsCompleted ? null : FlushWhenDrainedAsync(flush);
    }

    private async Task FlushWhenDrainedAsync(ValueTask<FlushResult> pending)
    {
        try
        {
            await pending;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
        {
        }
        lock (_outputLock)
        {
            _congestion = null;
            if (!_outputClosed)
            {
                FlushLocked();
            }
        }
    }

    private enum ReplySuppression
    {
        None,
        Off,
        SkipNext,
    }
}
