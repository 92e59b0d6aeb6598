using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// Takes one reply frame as bytes instead of passing it on: the reply to the command at the end of
/// a hook chain. A lost connection becomes an error reply, so the capture always completes.
/// </summary>
internal sealed class ReplyCapture : IReplySink
{
    private readonly TaskCompletionSource<byte[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte>? _reply;

    /// <summary>The whole reply frame, once it is in.</summary>
    public Task<byte[]> Reply => _done.Task;

    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        _reply ??= new ArrayBufferWriter<byte>((int)Math.Min(bytes.Length, 1 << 20));
        RespWriter.WriteRaw(_reply, bytes);
        return false;
    }

    public void OnRepliesDelivered() =>
        _done.TrySetResult(_reply is { WrittenCount: > 0 } reply ? reply.WrittenSpan.ToArray() : Error("ERR the backend's reply was empty"));

    public void FailReplies(int count, string message) => _done.TrySetResult(Error(message));

    public void Abort() => _done.TrySetResult(Error("ERR SharpGears lost its connection to the backend Redis mid-reply"));

    public void FlushFromBackend()
    {
    }

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
