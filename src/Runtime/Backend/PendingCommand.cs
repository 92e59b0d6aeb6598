using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// One command SharpGears sends for itself: its reply is gathered here and becomes a value (or an
/// exception) when whole. Continuations run on another thread than the socket's that completed it,
/// so that script code resuming from an await cannot hold up the gateway's I/O; unless
/// <paramref name="resumeOnReceive"/>, for the engine's own short continuations (see
/// BackendClient.ExecuteResumingOnReceiveAsync).
/// </summary>
internal sealed class PendingCommand(bool resumeOnReceive = false) : IReplySink
{
    private readonly TaskCompletionSource<object?> _result = new(resumeOnReceive ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    // The reply as the connection handed it over, read in place if it is whole before the
    // connection's buffer moves on (nearly always); else copied into _copy, piece by piece.
    private ReadOnlySequence<byte> _received;
    private ArrayBufferWriter<byte>? _copy;

    public Task<object?> Result => _result.Task;

    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        if (_copy is null && _received.IsEmpty)
        {
            _received = bytes;
            return true; // FlushFromBackend, when the connection is done with its buffer
        }
        KeepReceived();
        RespWriter.WriteRaw(_copy!, bytes);
        return false;
    }

    public void OnRepliesDelivered()
    {
        try
        {
            var reply = _copy is { } copy ? new ReadOnlySequence<byte>(copy.WrittenMemory) : _received;
            _result.TrySetResult(reply.IsEmpty ? throw new Api.GearsException("the backend's reply was empty") : RespValue.Read(reply));
        }
        catch (Exception e)
        {
            _result.TrySetException(e);
        }
        _received = default;
        _copy = null;
    }

    // The connection's buffer is about to be reused, and the reply is not whole yet: its bytes so far are copied.
    public void FlushFromBackend() => KeepReceived();

    private void KeepReceived()
    {
        if (_received.IsEmpty)
        {
            return;
        }
        _copy ??= new ArrayBufferWriter<byte>((int)Math.Min(_received.Length * 2, 1 << 20));
        RespWriter.WriteRaw(_copy, _received);
        _received = default;
    }

    public void FailReplies(int count, string message) => _result.TrySetException(new Api.GearsException(message));

    public void Abort() => _result.TrySetException(new Api.GearsException("the connection to the backend Redis was lost mid-reply"));

    public void OnBackendLost()
    {
    }

    public Task OutputDrained => Task.CompletedTask;
}
