using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// One command SharpGears sends for itself: its reply is gathered here and becomes a value (or an
/// exception) when whole. Continuations never run on the socket thread that completed it, so that
/// script code resuming from an await cannot hold up the gateway's I/O.
/// </summary>
internal sealed class PendingCommand : IReplySink
{
    private readonly TaskCompletionSource<object?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte>? _reply;

    public Task<object?> Result => _result.Task;

    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        _reply ??= new ArrayBufferWriter<byte>((int)Math.Min(bytes.Length, 1 << 20));
        RespWriter.WriteRaw(_reply, bytes);
        return false;
    }

    public void OnRepliesDelivered()
    {
        try
        {
            _result.TrySetResult(_reply is { WrittenCount: > 0 } reply
                ? RespValue.Read(new ReadOnlySequence<byte>(reply.WrittenMemory))
                : throw new Api.GearsException("the backend's reply was empty"));
        }
        catch (Exception e)
        {
            _result.TrySetException(e);
        }
    }

    public void FailReplies(int count, string message) => _result.TrySetException(new Api.GearsException(message));

    public void Abort() => _result.TrySetException(new Api.GearsException("the connection to the backend Redis was lost mid-reply"));

    public void FlushFromBackend()
    {
    }

    public void OnBackendLost()
    {
    }

    public Task OutputDrained => Task.CompletedTask;
}
