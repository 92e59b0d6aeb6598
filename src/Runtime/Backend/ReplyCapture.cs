using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// Takes one reply frame as bytes instead of passing it on: the reply of a command the gateway must
/// look at before its client may (a linked command), or of one a hook chain runs. A lost connection
/// becomes an error reply, so the capture always completes.
/// </summary>
internal sealed class ReplyCapture(Action<ReplyCapture>? onReply = null, Action? onFlush = null) : IReplySink
{
    private readonly TaskCompletionSource<byte[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte>? _reply;

    /// <summary>The whole reply frame, once it is in.</summary>
    public Task<byte[]> Reply => _done.Task;

    /// <summary>True when the reply is an error made up because the connection was lost (no flush follows it).</summary>
    public bool Failed { get; private set; }

    // True once: the connection then calls FlushFromBackend after the read that completed the reply,
    // so that what onReply wrote goes out with the rest of that read's replies, in one send.
    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        var first = _reply is null;
        _reply ??= new ArrayBufferWriter<byte>((int)Math.Min(bytes.Length, 1 << 20));
        RespWriter.WriteRaw(_reply, bytes);
        return first && onFlush is not null;
    }

    /// <summary>Called on the connection's receive loop, in reply order (so a callback there can keep the client's order).</summary>
    public void OnRepliesDelivered()
    {
        _done.TrySetResult(_reply is { WrittenCount: > 0 } reply ? reply.WrittenSpan.ToArray() : Error("ERR the backend's reply was empty"));
        onReply?.Invoke(this);
    }

    public void FailReplies(int count, string message)
    {
        _reply = null;
        Failed = true;
        _done.TrySetResult(Error(message));
    }

    public void Abort()
    {
        Failed = true;
        _done.TrySetResult(Error("ERR SharpGears lost its connection to the backend Redis mid-reply"));
        onReply?.Invoke(this);
    }

    public void FlushFromBackend() => onFlush?.Invoke();

    public void OnBackendLost()
    {
    }

    public Task OutputDrained => Task.CompletedTask;

    private static byte[] Error(string message)
    {
        var writer = new ArrayBufferWriter<byte>();
        RespWriter.WriteError(writer, message);
        return writer.WrittenSpan.ToArray();
    }
}
