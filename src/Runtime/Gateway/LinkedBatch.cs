using System.Runtime.InteropServices;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Engine.Linking;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// A linked command forwarded among plain ones: its reply is the <paramref name="Index"/>-th of its
/// batch. Its keys are read from <paramref name="Request"/> only if the reply leaves it open whether
/// it fired (a GET that hits never needs them).
/// </summary>
internal readonly record struct LinkedCall(int Index, InterceptedCommand Command, byte[]? Request, List<CommandKey>? Keys, int ArgumentCount)
{
    public List<CommandKey> ReadKeys() => Keys ?? Command.Spec.Keys(RequestArguments.Read(new ReadOnlySequence<byte>(Request!)));
}

/// <summary>
/// Where the replies of a batch with linked commands go. Plain replies, and those of linked commands
/// whose first line shows they fired nothing (a GET that hits), run straight to the client, as in any
/// batch. The others are taken whole and handed to the session, which lets each through or holds it
/// for the executions it fired. So a linked command costs its batch no queue entry of its own.
/// </summary>
internal sealed class LinkedBatch(ClientSession session, List<LinkedCall> calls) : IFrameRouter
{
    private ArrayBufferWriter<byte>? _reply;
    private int _frame;
    private int _nextCall;
    private LinkedCall _taken;

    public IReplySink Route(ReadOnlySequence<byte> frame)
    {
        var index = _frame++;
        var pending = CollectionsMarshal.AsSpan(calls);
        if (_nextCall == pending.Length || pending[_nextCall].Index != index)
        {
            return session;
        }
        ref readonly var call = ref pending[_nextCall++];
        if (call.Command.NothingFiredOnSight(frame))
        {
            return session;
        }
        _taken = call;
        return this;
    }

    public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
    {
        RespWriter.WriteRaw(_reply ??= new ArrayBufferWriter<byte>(64), bytes);
        return false;
    }

    public bool FrameDone()
    {
        var flush = session.OnLinkedReply(_reply!.WrittenSpan, _taken);
        _reply.ResetWrittenCount();
        _taken = default;
        return flush;
    }

    public void OnRepliesDelivered() => session.OnRepliesDelivered();

    public void FlushFromBackend() => session.FlushFromBackend();

    public void FailReplies(int count, string message) => session.FailReplies(count, message);

    public void OnBackendLost() => session.OnBackendLost();

    public void Abort() => session.Abort();

    public Task OutputDrained => session.OutputDrained;
}
